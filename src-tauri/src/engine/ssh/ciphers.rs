//! Which SSH ciphers Outpost offers, fastest first on this machine.
//!
//! russh's own order (ChaCha20-Poly1305 first, as OpenSSH's) suits CPUs without AES
//! instructions. On one that has them, AES-GCM (through aws-lc's assembly) costs a fraction of
//! russh's ChaCha20-Poly1305 per byte, on the desktop and on the server alike, which is what
//! bounds transfers and `-L` forwards on a loaded machine; so it goes first there. Every cipher
//! offered is one OpenSSH offers by default (no CBC, no `none`), so any server that accepted
//! `ssh` accepts Outpost.

use russh::cipher::{self, Name};

/// AES-GCM first (AES-128-GCM too, which russh supports and OpenSSH offers but russh's own list
/// leaves out), then russh's usual order.
const AES_FIRST: &[Name] = &[
    cipher::AES_128_GCM,
    cipher::AES_256_GCM,
    cipher::CHACHA20_POLY1305,
    cipher::AES_256_CTR,
    cipher::AES_192_CTR,
    cipher::AES_128_CTR,
];

/// Whether the CPU has the instructions AES-GCM runs fast on (AES rounds and carry-less
/// multiplication).
fn aes_in_hardware() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes")
            && std::arch::is_aarch64_feature_detected!("pmull")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Sets the ciphers of `preferred` for this machine.
pub fn prefer_fastest(preferred: &mut russh::Preferred) {
    if aes_in_hardware() {
        preferred.cipher = AES_FIRST.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// russh's ciphers and AES-128-GCM (which OpenSSH offers too), AES-GCM first.
    #[test]
    fn aes_first_offers_what_russh_offers() {
        let mut ours: Vec<&str> = AES_FIRST.iter().map(AsRef::as_ref).collect();
        let default = russh::Preferred::default();
        let mut theirs: Vec<&str> = default.cipher.iter().map(AsRef::as_ref).collect();
        theirs.push(cipher::AES_128_GCM.as_ref());
        ours.sort_unstable();
        theirs.sort_unstable();
        theirs.dedup();
        assert_eq!(ours, theirs);
        let mut p = russh::Preferred::default();
        prefer_fastest(&mut p);
        if aes_in_hardware() {
            assert_eq!(p.cipher[0], cipher::AES_128_GCM);
        }
    }
}
