//! Replays every kept fuzz input of the protocol through the fuzz checks, on stable Rust.
//!
//! The checks live in the crate's `fuzzing` module (feature `fuzzing`), which the fuzz targets
//! call too, so both run the same code. Each target's seeds (`protocol/fuzz/corpus/<target>/`)
//! and the inputs that once made it fail (`protocol/fuzz/regressions/<target>/`) are fed to it;
//! a new crash is fixed, then its input is added to `regressions/` and guarded here from then on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use outpost_protocol::fuzzing as checks;

use outpost_protocol::method;

/// Runs `check` on every kept input of `target`, then fails naming each input that panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    outpost_testkit::fuzz::replay(&fuzz, target, check);
}

#[test]
fn agent_line_inputs() {
    replay("agent_line", checks::agent_line);
}

#[test]
fn line_codec_inputs() {
    replay("line_codec", checks::line_codec);
}

#[test]
fn message_inputs() {
    replay("message", checks::message);
}

#[test]
fn params_inputs() {
    replay("params", checks::params);
}

/// A method added to the protocol must get its typed check in `protocol/src/fuzzing.rs`.
#[test]
fn every_method_has_a_typed_check() {
    let checked: Vec<&str> = checks::TYPED.iter().map(|t| t.name).collect();
    assert_eq!(checked, method::ALL);
}

/// The kept `message` crashes: serde_json without its `float_roundtrip` feature parsed a number,
/// wrote it in its shortest form and parsed that to another `f64`, one and two ULPs away. With the
/// feature (set in the workspace) every float survives exactly.
#[test]
fn floats_survive_being_parsed_again() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/message");
    // serde_json's default float parser was off by one or two ULPs on these (found by the
    // `message` target); the workspace enables its `float_roundtrip` feature, which is exact.
    for (file, index) in [
        ("float_reparse_one_ulp.json", 1),
        ("float_reparse_two_ulps.json", 9),
    ] {
        let line = std::fs::read(dir.join(file)).unwrap();
        let first: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let (_, array) = first["result"].as_object().unwrap().iter().next().unwrap();
        let x = array[index].as_f64().unwrap();
        let y: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        assert_eq!(x.to_bits(), y.to_bits(), "{file}: {x:e} {y:e}");
        assert!(checks::nearly_equal(x, y));
    }
    assert!(!checks::nearly_equal(1.0, 1.0 + 1e-13));
    assert!(!checks::nearly_equal(1.0, -1.0));
    assert!(!checks::nearly_equal(f64::NAN, f64::NAN));
}
