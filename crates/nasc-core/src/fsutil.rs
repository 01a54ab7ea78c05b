//! Files written so that no reader ever sees them half-written: the one place nasc writes
//! output files, checkpoints, records and generated crates through. Every form writes into a
//! temporary name beside the target, syncs it, renames it into place and syncs the directory.

use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync
/// of the directory. A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written into:
/// renaming a file over it would replace the device node itself.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        use std::io::Write;
        return std::fs::OpenOptions::new().write(true).open(path)?.write_all(bytes);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp"));
    let res = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    sync_dir(dir);
    res
}

/// Writes many small files into `dir`, each through a temporary file and a rename (so none is
/// ever seen half-written), with one directory fsync at the end instead of two per file
/// (`nasc sample` writes thousands of specs).
pub fn write_many(dir: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    for (name, text) in files {
        let tmp = dir.join(format!(".{name}.tmp"));
        let res = std::fs::write(&tmp, text.as_bytes())
            .and_then(|_| std::fs::rename(&tmp, dir.join(name)));
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return res;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Why [`publish`] failed: a file-system step, or the caller's writer.
#[derive(Debug, thiserror::Error)]
pub enum PublishError<E: std::fmt::Display> {
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Writer(E),
}

/// Lets `write` create `name` in a fresh temporary directory inside `dir`, then moves it to
/// `dir/name` atomically: for files a library writes itself (Burn's records). The temporary
/// directory is removed whatever happens.
pub fn publish<E: std::fmt::Display>(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), PublishError<E>> {
    let tmp = dir.join(format!(".tmp-{name}"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PublishError::Io { path, source }
    };
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let res = write(&tmp.join(name)).map_err(PublishError::Writer).and_then(|()| {
        sync_file(&tmp.join(name)).map_err(io(&tmp.join(name)))?;
        std::fs::rename(tmp.join(name), dir.join(name)).map_err(io(&dir.join(name)))
    });
    let _ = std::fs::remove_dir_all(&tmp);
    sync_dir(dir);
    res
}

/// Flushes a file's contents to disk.
pub fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

/// Makes the renames in a directory durable (on Linux; not every platform allows a
/// directory fsync, so failures are ignored).
pub fn sync_dir(path: &Path) {
    if let Ok(d) = std::fs::File::open(path) {
        let _ = d.sync_all();
    }
}
