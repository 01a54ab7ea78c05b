//! Run directories and checkpoints: nothing a run wrote is ever overwritten silently,
//! every file appears atomically (temporary name, fsync, rename), and a checkpoint is a
//! directory that exists complete or not at all, with a CRC-32 of each of its files, the
//! network's structural fingerprint and the training settings, all verified before any
//! byte of it reaches Burn.
//!
//! Layout of a run directory `OUT`:
//! `OUT/metrics.csv`, `OUT/model.bpk` (final, inference mode), and
//! `OUT/checkpoint/epoch-NNNN/{model.bpk, optim.bpk, state.json}` (only the newest is kept).

use super::settings::{EpochMetrics, RunSettings};
pub use nasc_core::fsutil::write_atomic;
use nasc_core::fsutil::{sync_dir, sync_file};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSum {
    pub bytes: u64,
    pub crc32: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    pub format: String,
    pub version: u32,
    /// Epochs completed.
    pub epoch: usize,
    pub network: String,
    /// Structural fingerprint of the IR (ops, attributes, shapes, wiring).
    pub fingerprint: String,
    pub params: usize,
    pub settings: RunSettings,
    /// CRC-32 and size of every other file in the checkpoint directory.
    pub files: BTreeMap<String, FileSum>,
    pub history: Vec<EpochMetrics>,
}

pub const FORMAT: &str = "nasc-checkpoint";
pub const VERSION: u32 = 2;

/// The directory a training run writes to, chosen before any work starts.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
    /// A checkpoint to continue from (`--resume`).
    pub resume_from: Option<PathBuf>,
}

/// Why a run directory cannot be used: these are usage errors (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error(
        "{dir} already holds a training run ({what}); pass --resume to continue it, --force to replace it, or --out for another directory"
    )]
    Occupied { dir: String, what: String },
    #[error("--resume: there is no checkpoint to resume in {dir}")]
    NothingToResume { dir: String },
    #[error("cannot prepare {path}: {msg}")]
    Io { path: String, msg: String },
}

fn io_err(p: &Path, e: impl std::fmt::Display) -> RunDirError {
    RunDirError::Io { path: p.display().to_string(), msg: e.to_string() }
}

/// What of a previous run a directory holds, if anything.
fn occupant(dir: &Path) -> Option<String> {
    let found: Vec<&str> = ["metrics.csv", "model.bpk", "checkpoint"]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect();
    (!found.is_empty()).then(|| found.join(", "))
}

/// Chooses the run directory. Without `--out`, a new numbered directory `runs/run-NNNN` is
/// made and `runs/latest` (a symbolic link) points at it; `--resume` without `--out`
/// continues `runs/latest`. An `--out` that holds a run is refused unless `--resume` or
/// `--force` says what to do with it.
pub fn prepare(
    out: Option<&Path>,
    runs_root: &Path,
    resume: bool,
    force: bool,
) -> Result<RunDir, RunDirError> {
    let dir = match (out, resume) {
        (Some(d), _) => d.to_path_buf(),
        (None, true) => runs_root.join("latest"),
        (None, false) => return new_numbered(runs_root),
    };
    if resume {
        return match latest_checkpoint(&dir) {
            Some(c) => Ok(RunDir { dir, resume_from: Some(c) }),
            None => Err(RunDirError::NothingToResume { dir: dir.display().to_string() }),
        };
    }
    if let Some(what) = occupant(&dir) {
        if !force {
            return Err(RunDirError::Occupied { dir: dir.display().to_string(), what });
        }
        for f in ["metrics.csv", "model.bpk"] {
            let p = dir.join(f);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
            }
        }
        let c = dir.join("checkpoint");
        if c.exists() {
            std::fs::remove_dir_all(&c).map_err(|e| io_err(&c, e))?;
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    Ok(RunDir { dir, resume_from: None })
}

fn new_numbered(root: &Path) -> Result<RunDir, RunDirError> {
    std::fs::create_dir_all(root).map_err(|e| io_err(root, e))?;
    let next = std::fs::read_dir(root)
        .map_err(|e| io_err(root, e))?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("run-"))
                .and_then(|n| n.parse::<u32>().ok())
        })
        .max()
        .map_or(1, |m| m.saturating_add(1));
    for n in next..next.saturating_add(1000) {
        let name = format!("run-{n:04}");
        let dir = root.join(&name);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                point_latest(root, &name);
                return Ok(RunDir { dir, resume_from: None });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&dir, e)),
        }
    }
    Err(io_err(root, "no free run-NNNN name"))
}

/// Points `root/latest` at `name`, atomically (a new link renamed over the old one). A
/// `latest` that is a real directory (from an older nasc) is left alone.
fn point_latest(root: &Path, name: &str) {
    let latest = root.join("latest");
    if latest.is_dir() && !latest.is_symlink() {
        eprintln!("note: {} is a directory, not a link; left as it is", latest.display());
        return;
    }
    #[cfg(unix)]
    {
        let tmp = root.join(".latest.tmp");
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(name, &tmp).is_ok() && std::fs::rename(&tmp, &latest).is_err()
        {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The newest complete checkpoint of a run directory.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let c = dir.join("checkpoint");
    std::fs::read_dir(&c)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let n: u32 = name.strip_prefix("epoch-")?.parse().ok()?;
            e.path().join("state.json").is_file().then_some((n, e.path()))
        })
        .max_by_key(|x| x.0)
        .map(|x| x.1)
}

pub fn file_sum(path: &Path) -> std::io::Result<FileSum> {
    let bytes = std::fs::read(path)?;
    Ok(FileSum { bytes: bytes.len() as u64, crc32: crc32fast::hash(&bytes) })
}

/// Why a checkpoint cannot be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// The model or optimizer record could not be saved (Burn's message).
    #[error("{0}")]
    Save(String),
    #[error("cannot encode state.json: {0}")]
    Encode(serde_json::Error),
    #[error("cannot write state.json: {0}")]
    WriteState(std::io::Error),
    #[error("state.json: {0}")]
    ReadState(std::io::Error),
    #[error("state.json is {0} bytes, not a nasc checkpoint state")]
    StateTooLarge(u64),
    #[error("state.json is not a nasc checkpoint state: {0}")]
    NotAState(serde_json::Error),
    #[error(
        "state.json is format {format} version {version}, this nasc reads {FORMAT} version {VERSION}"
    )]
    Format { format: String, version: u32 },
    #[error("state.json does not list {0}")]
    Unlisted(&'static str),
    #[error("{name}: {source}")]
    File { name: &'static str, source: std::io::Error },
    #[error(
        "{name} is not the file this checkpoint wrote ({} bytes, CRC-32 {:08x}; expected {} bytes, {:08x}): it was replaced or corrupted",
        got.bytes, got.crc32, want.bytes, want.crc32
    )]
    Changed { name: &'static str, got: FileSum, want: FileSum },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |source| CheckpointError::Io { action, path, source }
}

/// Writes checkpoint `epoch` into `run/checkpoint/epoch-NNNN`: `write` saves the model and
/// optimizer records into a temporary directory; their sums go into `state.json`; then the
/// directory is renamed into place and older checkpoints are removed.
pub fn save(
    run: &Path,
    mut state: CheckpointState,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), CheckpointError> {
    let root = run.join("checkpoint");
    std::fs::create_dir_all(&root).map_err(io("create", &root))?;
    let tmp = root.join(format!(".tmp-epoch-{:04}", state.epoch));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io("create", &tmp))?;
    write(&tmp).map_err(CheckpointError::Save)?;
    let mut names: Vec<String> = std::fs::read_dir(&tmp)
        .map_err(io("list", &tmp))?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .collect();
    names.sort();
    for n in names {
        let p = tmp.join(&n);
        sync_file(&p).map_err(io("sync", &p))?;
        state.files.insert(n, file_sum(&p).map_err(io("read", &p))?);
    }
    let text = serde_json::to_string_pretty(&state).map_err(CheckpointError::Encode)?;
    write_atomic(&tmp.join("state.json"), text.as_bytes()).map_err(CheckpointError::WriteState)?;
    sync_dir(&tmp);
    let final_dir = root.join(format!("epoch-{:04}", state.epoch));
    let _ = std::fs::remove_dir_all(&final_dir);
    std::fs::rename(&tmp, &final_dir).map_err(io("move the checkpoint into", &final_dir))?;
    sync_dir(&root);
    // Older checkpoints (and leftovers of interrupted writes) go only after the new one is in place.
    if let Ok(rd) = std::fs::read_dir(&root) {
        for e in rd.flatten() {
            if e.path() != final_dir {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(())
}

/// Reads and verifies a checkpoint's state: format, every file's size and CRC-32. Nothing
/// is handed to Burn before this passes.
pub fn load_state(dir: &Path) -> Result<CheckpointState, CheckpointError> {
    let path = dir.join("state.json");
    let size = std::fs::metadata(&path).map_err(CheckpointError::ReadState)?.len();
    if size > 64 << 20 {
        return Err(CheckpointError::StateTooLarge(size));
    }
    let text = std::fs::read_to_string(&path).map_err(CheckpointError::ReadState)?;
    let st: CheckpointState = serde_json::from_str(&text).map_err(CheckpointError::NotAState)?;
    if st.format != FORMAT || st.version != VERSION {
        return Err(CheckpointError::Format { format: st.format, version: st.version });
    }
    for name in ["model.bpk", "optim.bpk"] {
        let want = st.files.get(name).ok_or(CheckpointError::Unlisted(name))?;
        let got =
            file_sum(&dir.join(name)).map_err(|source| CheckpointError::File { name, source })?;
        if &got != want {
            return Err(CheckpointError::Changed { name, got, want: want.clone() });
        }
    }
    Ok(st)
}
