//! Whole copies: `cp SRC DST` with `cp`'s rules (into DST when it is a directory, as DST
//! otherwise), directories recursively (`-r`), and `rm -r`. Directories are created 0700 while
//! filled and get their own mode and modification time after their contents, so neither a
//! read-only directory nor the files written into it get in the way.

use std::path::{Path, PathBuf};

use super::copy::{
    download_file, local_mode_mtime, set_local_mode_mtime, upload_file, CopyOptions,
};
use super::error::{from_io, kind_error, ErrorKind, TransferError};
use super::progress::Progress;
use super::remote::{base_name, join, Entry, EntryKind, RemoteFs};

/// How deep a recursive copy or removal goes before it stops (a loop of symbolic links).
pub const MAX_DEPTH: usize = 64;

/// What a whole copy did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    /// Files copied.
    pub files: u64,
    /// Directories created or filled.
    pub dirs: u64,
    /// Bytes in the files copied.
    pub bytes: u64,
    /// Bytes kept from interrupted copies (`--resume`).
    pub resumed: u64,
    /// Files whose SHA-256 was compared on both sides.
    pub verified: u64,
}

impl Copied {
    fn add_file(&mut self, f: &super::copy::FileCopied) {
        self.files += 1;
        self.bytes += f.bytes;
        self.resumed += f.resumed;
        if f.sha256.is_some() {
            self.verified += 1;
        }
    }
}

/// Uploads `src` (a file, or with `recursive` a directory) to `dst` on `fs`.
pub async fn upload(
    fs: &RemoteFs,
    src: &Path,
    dst: &str,
    recursive: bool,
    opts: CopyOptions,
    progress: &Progress,
) -> Result<Copied, TransferError> {
    let shown = src.display().to_string();
    let meta = std::fs::metadata(src).map_err(|e| from_io(&shown, &e))?;
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| base_name(&src.to_string_lossy()).to_string());
    let into = match fs.stat(dst).await? {
        Some(e) if e.kind == EntryKind::Dir => Some(join(dst, &name)),
        Some(_) if meta.is_dir() => {
            return Err(kind_error(ErrorKind::NotADirectory, &fs.show(dst)))
        }
        _ => None,
    };
    let target = into.unwrap_or_else(|| dst.to_string());
    let mut done = Copied::default();
    if meta.is_dir() {
        if !recursive {
            return Err(TransferError::new(
                ErrorKind::IsADirectory,
                shown,
                "is a directory (use -r to copy directories)",
            ));
        }
        upload_dir(fs, src, &target, opts, progress, &mut done, 0).await?;
    } else {
        let f = upload_file(fs, src, &target, opts, progress).await?;
        done.add_file(&f);
    }
    Ok(done)
}

async fn upload_dir(
    fs: &RemoteFs,
    src: &Path,
    dst: &str,
    opts: CopyOptions,
    progress: &Progress,
    done: &mut Copied,
    depth: usize,
) -> Result<(), TransferError> {
    let shown = src.display().to_string();
    if depth > MAX_DEPTH {
        return Err(TransferError::new(
            ErrorKind::Failed,
            shown,
            "directories nested too deep (a link loop?)",
        ));
    }
    let meta = std::fs::metadata(src).map_err(|e| from_io(&shown, &e))?;
    let (mode, mtime) = local_mode_mtime(&meta);
    match fs.stat(dst).await? {
        Some(e) if e.kind == EntryKind::Dir => {}
        Some(_) => return Err(kind_error(ErrorKind::NotADirectory, &fs.show(dst))),
        None => fs.mkdir(dst, 0o700).await?,
    }
    done.dirs += 1;
    let mut names: Vec<PathBuf> = std::fs::read_dir(src)
        .map_err(|e| from_io(&shown, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".outpost-part") && name.starts_with('.') {
            continue;
        }
        let child = join(dst, &name);
        let m = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("skipping {}: {e}", path.display());
                continue;
            }
        };
        if m.is_dir() {
            Box::pin(upload_dir(
                fs,
                &path,
                &child,
                opts,
                progress,
                done,
                depth + 1,
            ))
            .await?;
        } else if m.is_file() {
            let f = upload_file(fs, &path, &child, opts, progress).await?;
            done.add_file(&f);
        } else {
            tracing::warn!("skipping {} (not a file or directory)", path.display());
        }
    }
    fs.set_mode_mtime(dst, mode, mtime).await
}

/// Downloads `src` on `fs` (a file, or with `recursive` a directory) to local `dst`.
pub async fn download(
    fs: &RemoteFs,
    src: &str,
    dst: &Path,
    recursive: bool,
    opts: CopyOptions,
    progress: &Progress,
) -> Result<Copied, TransferError> {
    let entry = fs
        .stat(src)
        .await?
        .ok_or_else(|| kind_error(ErrorKind::NotFound, &fs.show(src)))?;
    let dst_shown = dst.display().to_string();
    let into = match std::fs::metadata(dst) {
        Ok(m) if m.is_dir() => Some(dst.join(base_name(src))),
        Ok(_) if entry.kind == EntryKind::Dir => {
            return Err(kind_error(ErrorKind::NotADirectory, &dst_shown))
        }
        _ => None,
    };
    let target = into.unwrap_or_else(|| dst.to_path_buf());
    let mut done = Copied::default();
    if entry.kind == EntryKind::Dir {
        if !recursive {
            return Err(TransferError::new(
                ErrorKind::IsADirectory,
                fs.show(src),
                "is a directory (use -r to copy directories)",
            ));
        }
        download_dir(fs, src, &entry, &target, opts, progress, &mut done, 0).await?;
    } else {
        let f = download_file(fs, src, &target, opts, progress).await?;
        done.add_file(&f);
    }
    Ok(done)
}

#[allow(clippy::too_many_arguments)]
async fn download_dir(
    fs: &RemoteFs,
    src: &str,
    entry: &Entry,
    dst: &Path,
    opts: CopyOptions,
    progress: &Progress,
    done: &mut Copied,
    depth: usize,
) -> Result<(), TransferError> {
    let shown = dst.display().to_string();
    if depth > MAX_DEPTH {
        return Err(TransferError::new(
            ErrorKind::Failed,
            fs.show(src),
            "directories nested too deep (a link loop?)",
        ));
    }
    match std::fs::metadata(dst) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(kind_error(ErrorKind::NotADirectory, &shown)),
        Err(_) => {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(dst)
                .map_err(|e| from_io(&shown, &e))?;
        }
    }
    done.dirs += 1;
    for child in fs.read_dir(src).await? {
        if child.name.ends_with(".outpost-part") && child.name.starts_with('.') {
            continue;
        }
        let path = join(src, &child.name);
        let child = if child.kind == EntryKind::Symlink {
            match fs.stat(&path).await {
                Ok(Some(followed)) => followed,
                _ => {
                    tracing::warn!("skipping {} (a dangling link)", fs.show(&path));
                    continue;
                }
            }
        } else {
            child
        };
        let local = dst.join(base_name(&path));
        match child.kind {
            EntryKind::Dir => {
                Box::pin(download_dir(
                    fs,
                    &path,
                    &child,
                    &local,
                    opts,
                    progress,
                    done,
                    depth + 1,
                ))
                .await?
            }
            EntryKind::File => {
                let f = download_file(fs, &path, &local, opts, progress).await?;
                done.add_file(&f);
            }
            _ => tracing::warn!("skipping {} (not a file or directory)", fs.show(&path)),
        }
    }
    let dir = std::fs::File::open(dst).map_err(|e| from_io(&shown, &e))?;
    set_local_mode_mtime(&dir, &shown, entry.mode, entry.mtime)
}

/// Removes `path` on `fs`: a file, or with `recursive` a directory and everything in it.
/// Returns how many entries were removed.
pub async fn remove(fs: &RemoteFs, path: &str, recursive: bool) -> Result<u64, TransferError> {
    let entry = fs
        .stat(path)
        .await?
        .ok_or_else(|| kind_error(ErrorKind::NotFound, &fs.show(path)))?;
    if entry.kind != EntryKind::Dir {
        fs.remove_file(path).await?;
        return Ok(1);
    }
    if !recursive {
        return Err(TransferError::new(
            ErrorKind::IsADirectory,
            fs.show(path),
            "is a directory (use -r to remove it and its contents)",
        ));
    }
    remove_dir(fs, path, 0).await
}

async fn remove_dir(fs: &RemoteFs, path: &str, depth: usize) -> Result<u64, TransferError> {
    if depth > MAX_DEPTH {
        return Err(TransferError::new(
            ErrorKind::Failed,
            fs.show(path),
            "directories nested too deep",
        ));
    }
    let mut n = 0;
    for child in fs.read_dir(path).await? {
        let p = join(path, &child.name);
        // Entries from `readdir` are not followed: a link to a directory is removed as a link.
        if child.kind == EntryKind::Dir {
            n += Box::pin(remove_dir(fs, &p, depth + 1)).await?;
        } else {
            fs.sftp(&p)?
                .remove(p.as_str())
                .await
                .map_err(|e| fs.sftp_error(&p, &e))?;
            n += 1;
        }
    }
    fs.remove_dir(path).await?;
    Ok(n + 1)
}
