//! The output ring buffer, addressed by absolute byte offsets.
//!
//! Offset 0 is the first byte the session ever produced; [`Ring::end`] is the offset of the next
//! byte. The ring holds the last `capacity` bytes, `[start, end)`. Reading from an offset older
//! than `start` returns the oldest bytes held and says where they begin, so a reader that fell
//! behind sees the gap in the offsets instead of getting wrong bytes. Storage is a `ringbuf`
//! heap buffer allocated once with its capacity; the allocator maps its pages lazily, so memory is
//! only taken as output arrives.

use ringbuf::traits::Observer;
use ringbuf::HeapRb;

/// Output bytes with absolute offsets.
pub struct Ring {
    rb: HeapRb<u8>,
    end: u64,
}

impl Ring {
    /// An empty ring holding at most `capacity` bytes (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            rb: HeapRb::new(capacity.max(1)),
            end: 0,
        }
    }

    /// How many bytes the ring can hold.
    pub fn capacity(&self) -> usize {
        self.rb.capacity().get()
    }

    /// The oldest offset still held.
    pub fn start(&self) -> u64 {
        self.end - self.rb.occupied_len() as u64
    }

    /// The offset of the next byte to be written.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Appends output, dropping the oldest bytes when full.
    pub fn push(&mut self, data: &[u8]) {
        self.rb.push_slice_overwrite(data);
        self.end += data.len() as u64;
    }

    /// Copies up to `max` bytes starting at `from` (or at [`Ring::start`] if `from` is older) into
    /// `out`, returning the offset of the first byte copied. `from` beyond [`Ring::end`] reads
    /// nothing at `end`.
    pub fn read_into(&mut self, from: u64, max: usize, out: &mut Vec<u8>) -> u64 {
        let start = self.start();
        let from = from.clamp(start, self.end);
        let skip = (from - start) as usize;
        let want = max.min((self.end - from) as usize);
        let (a, b) = self.rb.as_slices();
        // Copy from the two contiguous halves, skipping `skip` bytes.
        let mut left = want;
        let mut skip_left = skip;
        for part in [a, b] {
            if left == 0 {
                break;
            }
            if skip_left >= part.len() {
                skip_left -= part.len();
                continue;
            }
            let take = (part.len() - skip_left).min(left);
            out.extend_from_slice(&part[skip_left..skip_left + take]);
            left -= take;
            skip_left = 0;
        }
        from
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(r: &mut Ring, from: u64, max: usize) -> (u64, Vec<u8>) {
        let mut v = Vec::new();
        let at = r.read_into(from, max, &mut v);
        (at, v)
    }

    #[test]
    fn offsets_survive_wrapping() {
        let mut r = Ring::new(8);
        r.push(b"abcdef");
        assert_eq!((r.start(), r.end()), (0, 6));
        r.push(b"ghij");
        assert_eq!((r.start(), r.end()), (2, 10));
        assert_eq!(read(&mut r, 0, 100), (2, b"cdefghij".to_vec()));
        assert_eq!(read(&mut r, 5, 3), (5, b"fgh".to_vec()));
        assert_eq!(read(&mut r, 10, 3), (10, vec![]));
        assert_eq!(read(&mut r, 99, 3), (10, vec![]));
        r.push(&[b'x'; 20]);
        assert_eq!((r.start(), r.end()), (22, 30));
        assert_eq!(read(&mut r, 0, 100), (22, vec![b'x'; 8]));
    }

    proptest! {
        /// Whatever is pushed, reading any offset returns exactly the bytes of the whole stream at
        /// that offset (or at `start` when older), never more than asked.
        #[test]
        fn reads_match_the_stream(
            cap in 1usize..64,
            pushes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..20),
            from in 0u64..600,
            max in 0usize..100,
        ) {
            let mut r = Ring::new(cap);
            let mut all = Vec::new();
            for p in &pushes { r.push(p); all.extend_from_slice(p); }
            prop_assert_eq!(r.end(), all.len() as u64);
            prop_assert_eq!(r.start(), all.len().saturating_sub(cap) as u64);
            let (at, got) = read(&mut r, from, max);
            let want_at = from.clamp(r.start(), r.end());
            prop_assert_eq!(at, want_at);
            let lo = want_at as usize;
            let hi = (lo + max).min(all.len());
            prop_assert_eq!(&got[..], &all[lo..hi]);
        }
    }

    /// One step against the ring and its model.
    #[derive(Clone, Debug)]
    enum Op {
        Push(Vec<u8>),
        Read { from: u64, max: usize },
    }

    /// Offsets near the data, anywhere, and at the very top of `u64`.
    fn offset() -> impl Strategy<Value = u64> {
        prop_oneof![
            4 => 0u64..400,
            1 => any::<u64>(),
            1 => (u64::MAX - 8)..=u64::MAX,
        ]
    }

    /// Read sizes: small, anything, and `usize::MAX`.
    fn read_size() -> impl Strategy<Value = usize> {
        prop_oneof![
            4 => 0usize..80,
            1 => any::<usize>(),
            1 => Just(usize::MAX),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..100).prop_map(Op::Push),
            (offset(), read_size()).prop_map(|(from, max)| Op::Read { from, max }),
        ]
    }

    proptest! {
        /// Interleaved writes and reads against a model that keeps the whole stream in a `Vec`:
        /// offsets only grow, the ring holds exactly the last `capacity` bytes, reading changes
        /// nothing, and a read returns the model's bytes from `from`, or from the first offset
        /// held when `from` is older, appended after what `out` already held. Extreme offsets
        /// and sizes (up to `u64::MAX` and `usize::MAX`) neither overflow nor over-read.
        #[test]
        fn interleaved_ops_match_a_model(
            cap in prop_oneof![Just(0usize), 1usize..70, 200usize..300],
            ops in proptest::collection::vec(op(), 0..60),
        ) {
            let mut r = Ring::new(cap);
            let cap = cap.max(1);
            prop_assert_eq!(r.capacity(), cap);
            let mut model: Vec<u8> = Vec::new();
            let (mut last_start, mut last_end) = (0u64, 0u64);
            for op in ops {
                match op {
                    Op::Push(data) => {
                        r.push(&data);
                        model.extend_from_slice(&data);
                    }
                    Op::Read { from, max } => {
                        let (start, end) = (r.start(), r.end());
                        let mut out = b"kept".to_vec();
                        let at = r.read_into(from, max, &mut out);
                        prop_assert_eq!((r.start(), r.end()), (start, end));
                        prop_assert_eq!(at, from.clamp(start, end));
                        let lo = usize::try_from(at).unwrap();
                        let hi = lo.saturating_add(max).min(model.len());
                        prop_assert_eq!(&out[..4], b"kept");
                        prop_assert_eq!(&out[4..], &model[lo..hi]);
                    }
                }
                let (start, end) = (r.start(), r.end());
                prop_assert_eq!(end, model.len() as u64);
                prop_assert_eq!(start, model.len().saturating_sub(cap) as u64);
                prop_assert!(start >= last_start && end >= last_end);
                (last_start, last_end) = (start, end);
            }
        }

        /// One write larger than the ring keeps only its last `capacity` bytes.
        #[test]
        fn oversized_write_keeps_its_tail(
            cap in 1usize..50,
            before in proptest::collection::vec(any::<u8>(), 0..50),
            extra in 1usize..200,
        ) {
            let mut r = Ring::new(cap);
            r.push(&before);
            let big: Vec<u8> = (0..cap + extra).map(|i| i as u8).collect();
            r.push(&big);
            prop_assert_eq!(r.end(), (before.len() + big.len()) as u64);
            let (at, got) = read(&mut r, 0, usize::MAX);
            prop_assert_eq!(at, r.end() - cap as u64);
            prop_assert_eq!(&got[..], &big[big.len() - cap..]);
        }
    }
}
