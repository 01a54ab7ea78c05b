//! Files written so that no reader ever sees them half-written: the one place nasc writes
//! output files, checkpoints, records and generated crates through.

use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename, fsync
/// of the directory.
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
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written into: renaming a file
    // over it would replace the device node itself.
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
    // Directory fsync makes the rename durable on Linux; not every platform allows it.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    res
}
