//! Wall-clock helpers.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The current time in RFC 3339 (UTC, with nanoseconds so metadata files sort by creation).
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}
