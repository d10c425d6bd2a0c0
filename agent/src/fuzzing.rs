//! The checks behind the agent's fuzz targets (`agent/fuzz/`), shared with
//! `agent/tests/fuzz_regressions.rs`, so `cargo test` replays every kept input through the very
//! same code on stable Rust. Built only with the `fuzzing` feature (the fuzz crate and the tests
//! turn it on).
//!
//! * [`frames`]: the agent↔daemon frames. [`Frame::decode`] refuses or accepts a payload, and an
//!   accepted frame encodes to bytes that decode to it again; [`read_frame`] over a byte stream
//!   yields exactly the frames the documented layout (kind, u32 LE length, payload, at most
//!   [`MAX_PAYLOAD`] bytes) describes, and an error for a stream cut anywhere but between frames.
//! * [`probe`]: the monitoring probe's output parser. [`probe::parse`] never panics, and every
//!   sample made from what it reads is sane and survives the wire: its JSON parses as the
//!   protocol's [`Sample`].

use std::future::Future;
use std::task::{Context, Poll, Waker};

use crate::daemon::frames::{read_frame, Frame, FrameError, MAX_PAYLOAD};
use crate::monitor::probe;
use outpost_protocol::monitor::Sample;

/// Runs a future that never waits: reading frames from a byte slice is always ready.
fn now<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("reading from memory is never pending"),
    }
}

/// An accepted frame encodes to its kind, its length and a payload that decodes to it again.
fn check_encoding(frame: &Frame, kind: u8) {
    let mut out = Vec::new();
    frame.encode(&mut out);
    assert_eq!(out[0], kind, "{frame:?} changed kind");
    let len = u32::from_le_bytes([out[1], out[2], out[3], out[4]]) as usize;
    assert_eq!(len, out.len() - 5);
    match Frame::decode(out[0], &out[5..]) {
        Ok(again) => assert_eq!(&again, frame),
        Err(e) => panic!("{frame:?} re-encoded does not decode: {e}"),
    }
}

/// What reading the next frame of `rest` must give, per the layout; `None` at the clean end.
fn expected(rest: &[u8]) -> Option<Result<(Frame, usize), ()>> {
    if rest.is_empty() {
        return None;
    }
    let Some((head, body)) = rest.split_first_chunk::<5>() else {
        return Some(Err(()));
    };
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > MAX_PAYLOAD || body.len() < len {
        return Some(Err(()));
    }
    Some(
        Frame::decode(head[0], &body[..len])
            .map(|f| (f, 5 + len))
            .map_err(|_| ()),
    )
}

/// Fuzz check of the daemon frames: `data[0]` and the rest as one kind and payload, then `data`
/// as a stream of frames.
pub fn frames(data: &[u8]) {
    if let Some((&kind, payload)) = data.split_first() {
        match Frame::decode(kind, payload) {
            Ok(frame) => check_encoding(&frame, kind),
            Err(FrameError::Bad(_)) => {}
            Err(e) => panic!("decoding a payload in memory failed with {e}"),
        }
    }
    let mut reader = data;
    let mut at = 0;
    loop {
        let got = now(read_frame(&mut reader));
        match (expected(&data[at..]), got) {
            (None, Ok(None)) => break,
            (Some(Ok((want, used))), Ok(Some(frame))) => {
                assert_eq!(frame, want, "frame at byte {at}");
                check_encoding(&frame, data[at]);
                at += used;
                assert_eq!(
                    reader.len(),
                    data.len() - at,
                    "read_frame consumed too much"
                );
            }
            (Some(Err(())), Err(_)) => break,
            (want, got) => panic!("at byte {at}: expected {want:?}, read_frame gave {got:?}"),
        }
    }
}

/// Sanity of one sample, and its trip over the wire as the protocol's [`Sample`].
fn check_sample(s: &Sample, cores: usize) {
    assert!(
        (0.0..=100.0).contains(&s.cpu.percent),
        "cpu {}",
        s.cpu.percent
    );
    assert_eq!(s.cpu.per_core.len(), cores);
    assert!(s.cpu.per_core.iter().all(|p| (0.0..=100.0).contains(p)));
    assert!(s.top.len() <= 5);
    assert!(s.memory.used_bytes <= s.memory.total_bytes);
    let json = match serde_json::to_string(s) {
        Ok(j) => j,
        Err(e) => panic!("a sample does not serialise: {e}"),
    };
    if let Err(e) = serde_json::from_str::<Sample>(&json) {
        panic!("the sample {json} does not parse back: {e}");
    }
}

/// Fuzz check of the probe parser: the text is split after its first `@end` line into two
/// readings; each one that parses makes a first sample (without per-core figures), and two make
/// a sample with rates.
pub fn probe(data: &[u8]) {
    // The agent reads the probe with `read_line` into a `String`: only UTF-8 reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (first, second) = match text.find("@end\n") {
        Some(i) => text.split_at(i + "@end\n".len()),
        None => (text, ""),
    };
    let Ok(mut a) = probe::parse(first) else {
        return;
    };
    // A first reading has no earlier one to measure against: no per-core figures yet.
    check_sample(&probe::sample(&a, None), 0);
    a.at = 1_000;
    check_sample(&probe::sample(&a, Some(&a)), a.cores.len());
    if let Ok(mut b) = probe::parse(second) {
        b.at = 3_000;
        check_sample(&probe::sample(&b, Some(&a)), b.cores.len());
        // A clock that went backwards must not produce rates either.
        check_sample(&probe::sample(&a, Some(&b)), a.cores.len());
    }
}
