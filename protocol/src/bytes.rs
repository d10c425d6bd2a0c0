//! Binary payloads on the wire: terminal output and input travel as standard base64 strings.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes that serialise as a standard (padded) base64 string.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl Base64Bytes {
    /// The decoded bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Takes the decoded bytes out.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }
}

impl From<Vec<u8>> for Base64Bytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for Base64Bytes {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl std::fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        STANDARD
            .decode(text.as_bytes())
            .map(Base64Bytes)
            .map_err(|e| serde::de::Error::custom(format_args!("invalid base64 data: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_binary() {
        let b = Base64Bytes((0u8..=255).collect());
        let json = serde_json::to_string(&b).unwrap();
        let back: Base64Bytes = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn rejects_bad_base64() {
        let err = serde_json::from_str::<Base64Bytes>("\"@@@\"").unwrap_err();
        assert!(err.to_string().contains("invalid base64"), "{err}");
    }
}
