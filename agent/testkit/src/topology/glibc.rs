//! What a binary needs of a host's C library: the highest `GLIBC_` symbol version among its
//! dynamic symbols, read with binutils' `objdump -T` (an oracle independent of the build), to be
//! compared with the glibc an old host has (e.g. 2.31 on Debian 11, 2.17 on CentOS 7).

use std::path::Path;
use std::process::Command;

use anyhow::Result;

use crate::process::run;

/// The highest `GLIBC_x.y[.z]` symbol version `binary` needs, as `objdump -T` lists its
/// dynamic symbols (binutils, an oracle independent of the build); `None` when it needs none
/// (a static binary).
pub fn highest_glibc_version(binary: &Path) -> Result<Option<(u32, u32, u32)>> {
    let listing = run(Command::new("objdump").arg("-T").arg(binary))?;
    Ok(glibc_versions(&listing).into_iter().max())
}

/// Every `GLIBC_x.y[.z]` version named in `objdump -T` output.
fn glibc_versions(listing: &str) -> Vec<(u32, u32, u32)> {
    listing
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            let major = parts.next()??;
            let minor = parts.next()??;
            let patch = parts.next().flatten().unwrap_or(0);
            Some((major, minor, patch))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_are_read_from_objdump_lines() {
        let listing = "\
0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.2.5) write\n\
0000000000000000      DF *UND*  0000000000000000  GLIBC_2.34  __libc_start_main\n\
0000000000000000  w   D  *UND*  0000000000000000  Base        __gmon_start__\n\
0000000000000000      DF *UND*  0000000000000000 (GLIBC_PRIVATE) _dl_x\n";
        let v = glibc_versions(listing);
        assert_eq!(v, vec![(2, 2, 5), (2, 34, 0)]);
        assert_eq!(v.into_iter().max(), Some((2, 34, 0)));
    }
}
