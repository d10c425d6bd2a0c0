//! What the throughput benchmarks `cat`: a file of printable lines, like `base64` of random data,
//! and the shell quoting of their remote commands.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// One MiB, as a float for rates.
pub const MIB: f64 = 1024.0 * 1024.0;

/// `s` quoted for `sh` (single quotes).
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Writes `bytes` of printable lines (76 base64-alphabet characters and `\n`, like `base64` of
/// random data) and returns the number of lines (each becomes `\r\n` on a PTY, so a terminal
/// path delivers `bytes` + lines bytes).
pub fn make_data_file(path: &Path, bytes: u64) -> Result<u64> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut seed = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .context("reading /dev/urandom")?;
    let mut state = u64::from_le_bytes(seed) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut f = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    let (mut written, mut lines) = (0u64, 0u64);
    let mut line = [0u8; 77];
    while written < bytes {
        for chunk in line[..76].chunks_mut(10) {
            let mut r = next();
            for c in chunk {
                *c = ALPHABET[(r & 63) as usize];
                r >>= 6;
            }
        }
        line[76] = b'\n';
        let take = (bytes - written).min(77) as usize;
        let mut part = line[..take].to_vec();
        if let Some(last) = part.last_mut() {
            *last = b'\n';
        }
        f.write_all(&part)?;
        written += take as u64;
        lines += 1;
    }
    f.flush()?;
    Ok(lines)
}

/// Opens a waiting remote gate (a newline on `gate`) and reads `out` to its end: the seconds from
/// the newline to the end, the bytes and the number of reads.
pub fn release_and_drain(
    gate: &mut impl Write,
    out: &mut impl Read,
) -> std::io::Result<(f64, u64, u64)> {
    let t0 = std::time::Instant::now();
    gate.write_all(b"\n")?;
    gate.flush()?;
    let (bytes, reads) = drain(out)?;
    Ok((t0.elapsed().as_secs_f64(), bytes, reads))
}

/// Reads `r` to its end in 64 KiB reads: the bytes and the number of reads. `EIO` also ends the
/// stream (a PTY master reads `EIO` once its child has exited and closed the slave).
pub fn drain(r: &mut impl Read) -> std::io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 64 << 10];
    let (mut bytes, mut reads) = (0u64, 0u64);
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes += n as u64;
                reads += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((bytes, reads))
}

/// Reads `path` once, so that the runs that follow find it in the page cache.
pub fn warm_page_cache(path: &Path) -> Result<()> {
    std::io::copy(&mut std::fs::File::open(path)?, &mut std::io::sink())
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_has_the_size_asked_and_whole_lines() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("d");
        let lines = make_data_file(&p, 200).unwrap();
        let data = std::fs::read(&p).unwrap();
        assert_eq!(data.len(), 200);
        assert_eq!(lines, 3);
        assert_eq!(data.iter().filter(|&&b| b == b'\n').count(), 3);
        assert!(data.ends_with(b"\n"));
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
