//! The figures of the link-cut tests: their sections of the reliability document
//! ([`section`], an `outpost_testkit::report::FaultSection`, which prints them and writes them
//! when `$OUTPOST_RELIABILITY_OUT` is set).

use outpost_testkit::report::FaultSection;

/// The section `key` (e.g. `link-desktop`) of a link-cut test, with its title and description.
pub fn section(key: &'static str, title: &str, what: &str) -> FaultSection {
    let mut s = FaultSection::new(
        "cargo test -p outpost-desktop --no-default-features --test faults_link",
        key,
        title,
    );
    s.what(what);
    s
}

/// Seconds with one decimal.
pub fn secs(d: std::time::Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
