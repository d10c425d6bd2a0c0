//! Byte scans that run before the parser: where feeding is split (OSC 133 marks), the lines of
//! a plain text flood that can be skipped unparsed, whether a scroll region may be set, and
//! the SCO cursor save and restore (`CSI s`, `CSI u`) the model turns into DECSC and DECRC.

/// The start of an OSC 133 sequence, where feeding is split so a mark knows its offset.
pub(super) const OSC_133: &[u8] = b"\x1b]133;";

/// The part `a..b` of `data` a `rows`-high screen never shows, when `data` is plain text: no
/// control character but CR, LF, TAB, BS and BEL, no escape or C1 control, every LF after a CR
/// (a cooked terminal's line ends). `a` is just after the first line end (which completes
/// whatever the parser was in the middle of); `b` leaves `rows + 1` whole lines before the end,
/// enough to scroll every row of the screen (or of a scroll region) past. The screen after
/// parsing `data[..a]` and `data[b..]` is the one after parsing `data`, and parsing costs
/// what a screenful costs instead of what the flood costs: this is what keeps the model
/// at raw-PTY speed under `cat` of a large file.
pub(super) fn scrolled_away(data: &[u8], rows: usize) -> Option<(usize, usize)> {
    // A quick refusal first: floods of plain text are long, and short reads gain nothing.
    if data.len() < 4096 {
        return None;
    }
    // The first line end is parsed in full (a read may start between CR and LF).
    let first = memchr::memchr(b'\n', data)?;
    if any_pair(data, 0, not_plain) || any_pair(data, first + 1, bare_lf) {
        return None;
    }
    let a = first + 1;
    // After the (rows + 2)-th line end counted from the end: `rows + 1` whole lines stay.
    let b = memchr::memrchr_iter(b'\n', data).nth(rows + 1)? + 1;
    (b > a).then_some((a, b))
}

/// Whether `bad(before, byte)` holds for some byte of `data[from..]` and the byte before it (0
/// before the first). Branch-free over blocks, so the compiler vectorises it: this pass runs
/// over every byte of a flood.
fn any_pair(data: &[u8], from: usize, bad: impl Fn(u8, u8) -> bool) -> bool {
    const BLOCK: usize = 256;
    if from >= data.len() {
        return false;
    }
    if from == 0 && bad(0, data[0]) {
        return true;
    }
    let from = from.max(1);
    let (bytes, before) = (&data[from..], &data[from - 1..data.len() - 1]);
    bytes
        .chunks(BLOCK)
        .zip(before.chunks(BLOCK))
        .any(|(b, p)| b.iter().zip(p).fold(false, |acc, (&b, &p)| acc | bad(p, b)))
}

/// A byte that is not plain text: a control character but CR, LF, TAB, BS and BEL, DEL, or a
/// C1 control as UTF-8 (U+0080..U+009F are C2 80..C2 9F).
fn not_plain(before: u8, b: u8) -> bool {
    let control =
        (b < 0x20) & (b != b'\n') & (b != b'\r') & (b != b'\t') & (b != 0x08) & (b != 0x07);
    control | (b == 0x7f) | ((before == 0xc2) & (0x80..=0x9f).contains(&b))
}

/// A line end without the CR a cooked terminal puts before it.
fn bare_lf(before: u8, b: u8) -> bool {
    (b == b'\n') & (before != b'\r')
}

/// Whether a scroll region smaller than the screen may be set after `data`, given `before`:
/// every `CSI top;bottom r` sets it (unless it spans the whole `rows`-high screen), `CSI r` and
/// `ESC c` clear it. A sequence cut off at the end of `data` counts as setting one.
pub(super) fn scroll_region_after(data: &[u8], mut before: bool, rows: u16) -> bool {
    for at in memchr::memchr_iter(0x1b, data) {
        match data.get(at + 1) {
            None => return true,
            Some(b'c') => before = false,
            Some(b'[') => {
                let params_end = data[at + 2..]
                    .iter()
                    .position(|&b| !(b.is_ascii_digit() || b == b';'));
                let Some(n) = params_end else {
                    return true;
                };
                let params = &data[at + 2..at + 2 + n];
                if data[at + 2 + n] == b'r' {
                    let mut it = params.split(|&b| b == b';');
                    let num = |p: Option<&[u8]>| {
                        p.and_then(|p| std::str::from_utf8(p).ok())
                            .and_then(|p| p.parse::<u16>().ok())
                            .filter(|&n| n > 0)
                    };
                    let top = num(it.next()).unwrap_or(1);
                    let bottom = num(it.next()).unwrap_or(rows);
                    before = !(top == 1 && bottom >= rows);
                }
            }
            Some(_) => {}
        }
    }
    before
}

/// The first position of `needle` in `hay` at or after `from` (0 never matches: the split point
/// must move forward).
pub(super) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| from + p)
}

/// The length of `CSI s` and `CSI u` (without parameters: with them, or with a private marker,
/// they mean other things).
pub(super) const SCO_LEN: usize = 3;

/// What stands in for `CSI s` and `CSI u`: DECSC and DECRC.
const SCO: [(&[u8; SCO_LEN], &[u8]); 2] = [(b"\x1b[s", b"\x1b7"), (b"\x1b[u", b"\x1b8")];

/// The first `CSI s` or `CSI u` in `data`: where it starts and what stands in for it.
pub(super) fn sco_cursor(data: &[u8]) -> Option<(usize, &'static [u8])> {
    memchr::memchr_iter(0x1b, data).find_map(|at| {
        let seq = data.get(at..at + SCO_LEN)?;
        SCO.iter()
            .find(|(s, _)| s.as_slice() == seq)
            .map(|&(_, with)| (at, with))
    })
}

/// How much of `ESC [` the bytes fed end with (0, 1 or 2 bytes) after `data`, when those before
/// it ended with `before`.
pub(super) fn esc_tail(before: usize, data: &[u8]) -> usize {
    match data {
        [.., 0x1b, b'['] => 2,
        [.., 0x1b] => 1,
        [b'['] if before == 1 => 2,
        [] => before,
        _ => 0,
    }
}

/// When the last bytes ended with `tail` bytes of `ESC [` and `data` completes a `CSI s` or
/// `CSI u`: how many bytes of `data` it takes and what stands in for the whole sequence.
pub(super) fn sco_completed(tail: usize, data: &[u8]) -> Option<(usize, &'static [u8])> {
    if tail == 0 {
        return None;
    }
    SCO.iter().find_map(|(seq, with)| {
        let rest = seq.get(tail..)?;
        data.starts_with(rest).then_some((rest.len(), *with))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_regions_are_followed() {
        assert!(scroll_region_after(b"\x1b[2;5r", false, 24));
        assert!(!scroll_region_after(b"\x1b[2;5rx\x1b[r", false, 24));
        assert!(!scroll_region_after(b"\x1b[1;24r", true, 24));
        assert!(!scroll_region_after(b"\x1bc", true, 24));
        assert!(scroll_region_after(b"abc\x1b[2;", false, 24));
        assert!(scroll_region_after(b"abc\x1b", false, 24));
        assert!(!scroll_region_after(b"\x1b[31mred\x1b[m", false, 24));
    }

    #[test]
    fn only_plain_cooked_text_is_skipped() {
        let lines = b"some text\r\n".repeat(1000);
        assert!(scrolled_away(&lines, 24).is_some());
        let mut esc = lines.clone();
        esc[5000] = 0x1b;
        assert_eq!(scrolled_away(&esc, 24), None);
        assert_eq!(scrolled_away(&b"some text\n".repeat(1000), 24), None);
        // A read that starts between a CR and its LF.
        let mut split = b"\n".to_vec();
        split.extend_from_slice(&lines);
        assert_eq!(scrolled_away(&split, 24).map(|(a, _)| a), Some(1));
        let mut c1 = lines.clone();
        c1[5000..5002].copy_from_slice(&[0xc2, 0x9b]);
        assert_eq!(scrolled_away(&c1, 24), None);
    }

    /// What a flood's bytes are spoiled with in the test below.
    const SPOILERS: &[&[u8]] = &[
        b"\x00",
        b"\x07",
        b"\x08",
        b"\t",
        b"\n",
        b"\r",
        b"\x1b",
        b"\x1f",
        b"\x7f",
        b"\x80",
        b"\xc2\x80",
        b"\xc2\x9f",
        b"\xc2\xa0",
        b"\xc3\x9f",
    ];

    /// `scrolled_away` as the rule reads, one byte at a time.
    fn scrolled_away_bytewise(data: &[u8], rows: usize) -> Option<(usize, usize)> {
        if data.len() < 4096 {
            return None;
        }
        let (mut prev, mut first_end, mut ends) = (0u8, None, Vec::new());
        for (i, &b) in data.iter().enumerate() {
            let c1 = prev == 0xc2 && (0x80..=0x9f).contains(&b);
            let control = b < 0x20 && !b"\n\r\t\x08\x07".contains(&b);
            if c1 || control || b == 0x7f || (b == b'\n' && prev != b'\r' && first_end.is_some()) {
                return None;
            }
            if b == b'\n' {
                first_end.get_or_insert(i + 1);
                ends.push(i + 1);
            }
            prev = b;
        }
        let a = first_end?;
        let b = *ends.iter().rev().nth(rows + 1)?;
        (b > a).then_some((a, b))
    }

    proptest::proptest! {
        /// Floods of lines, cooked or not, with up to two places spoiled by a control
        /// character, a C1 control, a bare LF or DEL (or by harmless bytes).
        #[test]
        fn the_block_scan_matches_the_bytewise_rule(
            lines in proptest::collection::vec(
                proptest::collection::vec(0x20u8..0x7f, 0..120),
                0..400,
            ),
            cooked in proptest::bool::ANY,
            spoil in proptest::collection::vec(
                (
                    proptest::arbitrary::any::<proptest::sample::Index>(),
                    proptest::sample::select(SPOILERS),
                ),
                0..3,
            ),
            rows in 1usize..60,
        ) {
            let mut data = Vec::new();
            for l in &lines {
                data.extend_from_slice(l);
                data.extend_from_slice(if cooked { b"\r\n" } else { b"\n" });
            }
            for (at, bytes) in spoil {
                if !data.is_empty() {
                    let i = at.index(data.len());
                    let n = bytes.len().min(data.len() - i);
                    data[i..i + n].copy_from_slice(&bytes[..n]);
                }
            }
            proptest::prop_assert_eq!(
                scrolled_away(&data, rows),
                scrolled_away_bytewise(&data, rows)
            );
        }
    }

    #[test]
    fn find_splits_only_forward() {
        assert_eq!(find(b"\x1b]133;A", OSC_133, 1), None);
        assert_eq!(find(b"a\x1b]133;A", OSC_133, 1), Some(1));
        assert_eq!(find(b"a\x1b]13\x1b]133;", OSC_133, 1), Some(5));
    }

    #[test]
    fn sco_saves_and_restores_are_found() {
        assert_eq!(sco_cursor(b"ab\x1b[sc"), Some((2, &b"\x1b7"[..])));
        assert_eq!(sco_cursor(b"\x1b[1;2H\x1b[u"), Some((6, &b"\x1b8"[..])));
        assert_eq!(sco_cursor(b"\x1b[2s\x1b[?u\x1b[>1u\x1b["), None);
        assert_eq!(esc_tail(0, b"x\x1b["), 2);
        assert_eq!(esc_tail(0, b"x\x1b"), 1);
        assert_eq!(esc_tail(2, b"\x1b[1"), 0);
        assert_eq!(esc_tail(1, b"["), 2);
        assert_eq!(esc_tail(0, b"["), 0);
        assert_eq!(esc_tail(2, b""), 2);
        assert_eq!(sco_completed(1, b"[sx"), Some((2, &b"\x1b7"[..])));
        assert_eq!(sco_completed(2, b"ux"), Some((1, &b"\x1b8"[..])));
        assert_eq!(sco_completed(2, b"1u"), None);
        assert_eq!(sco_completed(0, b"s"), None);
    }
}
