//! Data sets: MNIST-format IDX files (Fashion-MNIST, MNIST; gzipped or not) and the CIFAR-10
//! binary format, read from a directory. Errors say what is missing and how to get it.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where Debian's `dataset-fashion-mnist` package installs the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataKind {
    #[value(name = "fashion-mnist")]
    FashionMnist,
    Mnist,
    Cifar10,
    /// Random images and labels at the spec's input shape and class count (for throughput
    /// measurements; nothing to learn)
    Synthetic,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(
        "Fashion-MNIST not found in {dir}: install it with `apt-get install dataset-fashion-mnist`, or pass --data-dir DIR with the four *-ubyte(.gz) IDX files"
    )]
    NoFashionMnist { dir: String },
    #[error("{what} not found in {dir} (looked for {looked})")]
    Missing { what: String, dir: String, looked: String },
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {problem}")]
    Format { path: String, problem: String },
}

/// Images stored as bytes (channels first per image) with their labels.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    /// [C, H, W]
    pub shape: [usize; 3],
    pub classes: usize,
    /// Per-channel normalisation applied when batching.
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Keeps the first `n` examples.
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.images.truncate(n * self.image_len());
    }

    /// Splits off the last `n` examples (at most all) as a second set with the same
    /// normalisation: a validation split held out of the training set.
    pub fn split_off_last(&mut self, n: usize) -> Dataset {
        let keep = self.len() - n.min(self.len());
        let labels = self.labels.split_off(keep);
        let images = self.images.split_off(keep * self.image_len());
        Dataset {
            images,
            labels,
            shape: self.shape,
            classes: self.classes,
            mean: self.mean.clone(),
            std: self.std.clone(),
        }
    }
}

/// Most bytes nasc reads from one data file, compressed or not: 8 GiB, or half the
/// available memory if that is less.
fn max_data_bytes() -> u64 {
    (8u64 << 30).min(nasc_core::limits::available_memory() as u64 / 2)
}

/// Reads at most `cap` bytes of a file, decompressing `.gz` on the fly: a gzip bomb or a
/// huge file stops at the cap instead of in the allocator.
fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, DataError> {
    let io = |e| DataError::Io { path: path.display().to_string(), source: e };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        GzDecoder::new(std::io::BufReader::new(file))
            .take(cap)
            .read_to_end(&mut out)
            .map_err(io)?;
    } else {
        file.take(cap).read_to_end(&mut out).map_err(io)?;
    }
    Ok(out)
}

/// Reads a whole data file, refusing one larger than [`max_data_bytes`].
fn read_all(path: &Path) -> Result<Vec<u8>, DataError> {
    let limit = max_data_bytes();
    let out = read_capped(path, limit + 1)?;
    if out.len() as u64 > limit {
        return Err(DataError::Format {
            path: path.display().to_string(),
            problem: format!(
                "larger than {limit} bytes, more than nasc reads (half the available memory, at most 8 GiB)"
            ),
        });
    }
    Ok(out)
}

/// Reads an IDX file: the header first, then exactly the bytes it declares (checked against
/// the limit before they are read), so the declared size bounds the allocation.
fn read_idx(path: &Path) -> Result<Vec<u8>, DataError> {
    let head = read_capped(path, 4 + 4 * 4)?;
    let bad = |p: String| DataError::Format { path: path.display().to_string(), problem: p };
    let nd = *head.get(3).ok_or_else(|| bad("truncated header".into()))? as usize;
    let dims: Option<Vec<u64>> =
        (0..nd.min(4)).map(|i| be_u32(&head, 4 + 4 * i).map(|d| d as u64)).collect();
    let declared = dims
        .and_then(|d| d.iter().try_fold(1u64, |a, &x| a.checked_mul(x)))
        .and_then(|n| n.checked_add(4 + 4 * nd as u64))
        .ok_or_else(|| bad("truncated or overflowing header".into()))?;
    let limit = max_data_bytes();
    if declared > limit {
        return Err(bad(format!(
            "the header declares {declared} bytes, more than nasc reads ({limit})"
        )));
    }
    read_capped(path, declared)
}

/// Finds `stem` or `stem.gz` in `dir` (also the `stem` with `-idx` written as `.idx`).
fn find(dir: &Path, stems: &[&str]) -> Option<PathBuf> {
    for s in stems {
        for cand in [
            s.to_string(),
            format!("{s}.gz"),
            s.replace("-idx", ".idx"),
            format!("{}.gz", s.replace("-idx", ".idx")),
        ] {
            let p = dir.join(&cand);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn be_u32(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]) as usize)
}

/// Parses an IDX file: magic 0x00000800 + ndims, then big-endian u32 dims, then u8 data.
pub fn parse_idx(
    bytes: &[u8],
    path: &str,
    want_dims: usize,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let bad = |p: &str| DataError::Format { path: path.to_string(), problem: p.to_string() };
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 {
        return Err(bad("not an IDX file of unsigned bytes (bad magic number)"));
    }
    let nd = bytes[3] as usize;
    if nd != want_dims {
        return Err(bad(&format!("expected {want_dims} dimensions, found {nd}")));
    }
    let dims: Vec<usize> = (0..nd)
        .map(|i| be_u32(bytes, 4 + 4 * i))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("truncated header"))?;
    let start = 4 + 4 * nd;
    let n = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad("dimensions overflow"))?;
    let data = bytes
        .get(start..start + n)
        .ok_or_else(|| bad(&format!("truncated: header promises {n} bytes of data")))?;
    Ok((dims, data.to_vec()))
}

fn load_idx(dir: &Path, train: bool, kind: DataKind) -> Result<Dataset, DataError> {
    let split = if train { "train" } else { "t10k" };
    let what = if kind == DataKind::FashionMnist { "Fashion-MNIST" } else { "MNIST" };
    let img_stem = format!("{split}-images-idx3-ubyte");
    let lbl_stem = format!("{split}-labels-idx1-ubyte");
    let missing = |stem: &str| -> DataError {
        if kind == DataKind::FashionMnist && dir == Path::new(FASHION_MNIST_DIR) {
            DataError::NoFashionMnist { dir: dir.display().to_string() }
        } else {
            DataError::Missing {
                what: format!("{what} {split} set"),
                dir: dir.display().to_string(),
                looked: format!("{stem}[.gz]"),
            }
        }
    };
    let ip = find(dir, &[&img_stem]).ok_or_else(|| missing(&img_stem))?;
    let lp = find(dir, &[&lbl_stem]).ok_or_else(|| missing(&lbl_stem))?;
    let (idims, images) = parse_idx(&read_idx(&ip)?, &ip.display().to_string(), 3)?;
    let (ldims, labels) = parse_idx(&read_idx(&lp)?, &lp.display().to_string(), 1)?;
    if idims[0] != ldims[0] {
        return Err(DataError::Format {
            path: lp.display().to_string(),
            problem: format!("{} labels for {} images", ldims[0], idims[0]),
        });
    }
    if let Some(l) = labels.iter().find(|&&l| l >= 10) {
        return Err(DataError::Format {
            path: lp.display().to_string(),
            problem: format!("label {l} outside 0..9"),
        });
    }
    let (mean, std) =
        if kind == DataKind::FashionMnist { (0.2860, 0.3530) } else { (0.1307, 0.3081) };
    Ok(Dataset {
        images,
        labels,
        shape: [1, idims[1], idims[2]],
        classes: 10,
        mean: vec![mean],
        std: vec![std],
    })
}

/// CIFAR-10 binary version: records of 1 label byte + 3072 image bytes (R, G, B planes 32x32).
fn load_cifar(dir: &Path, train: bool) -> Result<Dataset, DataError> {
    let files: Vec<String> = if train {
        (1..=5).map(|i| format!("data_batch_{i}.bin")).collect()
    } else {
        vec!["test_batch.bin".into()]
    };
    let base = if dir.join("cifar-10-batches-bin").is_dir() {
        dir.join("cifar-10-batches-bin")
    } else {
        dir.to_path_buf()
    };
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for f in &files {
        let p = base.join(f);
        if !p.is_file() {
            return Err(DataError::Missing {
                what: "CIFAR-10 (binary version)".into(),
                dir: base.display().to_string(),
                looked: files.join(", "),
            });
        }
        let bytes = read_all(&p)?;
        if bytes.len() % 3073 != 0 {
            return Err(DataError::Format {
                path: p.display().to_string(),
                problem: "size is not a multiple of 3073-byte records".into(),
            });
        }
        for rec in bytes.chunks_exact(3073) {
            if rec[0] >= 10 {
                return Err(DataError::Format {
                    path: p.display().to_string(),
                    problem: format!("label {} outside 0..9", rec[0]),
                });
            }
            labels.push(rec[0]);
            images.extend_from_slice(&rec[1..]);
        }
    }
    Ok(Dataset {
        images,
        labels,
        shape: [3, 32, 32],
        classes: 10,
        mean: vec![0.4914, 0.4822, 0.4465],
        std: vec![0.2470, 0.2435, 0.2616],
    })
}

/// `n` random images of `shape` with labels in `0..classes`, reproducible from `seed`.
pub fn synthetic(n: usize, shape: [usize; 3], classes: usize, seed: u64) -> Dataset {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let len: usize = shape.iter().product();
    let images = (0..n * len).map(|_| rng.random::<u8>()).collect();
    let labels = (0..n).map(|_| rng.random_range(0..classes.clamp(1, 256)) as u8).collect();
    Dataset { images, labels, shape, classes, mean: vec![0.5; shape[0]], std: vec![0.29; shape[0]] }
}

/// Loads the train or test split of a data set from `dir` (or its default location).
/// `Synthetic` is not loaded here (it needs the spec's shape): see [`synthetic`].
pub fn load(kind: DataKind, dir: Option<&Path>, train: bool) -> Result<Dataset, DataError> {
    match kind {
        DataKind::Synthetic => Ok(synthetic(0, [1, 1, 1], 1, 0)),
        DataKind::FashionMnist => {
            load_idx(dir.unwrap_or(Path::new(FASHION_MNIST_DIR)), train, kind)
        }
        DataKind::Mnist => {
            let d = dir.ok_or_else(|| DataError::Missing {
                what: "MNIST".into(),
                dir: "(none given)".into(),
                looked: "--data-dir DIR with the four *-ubyte(.gz) IDX files".into(),
            })?;
            load_idx(d, train, kind)
        }
        DataKind::Cifar10 => {
            let d = dir.ok_or_else(|| DataError::Missing {
                what: "CIFAR-10".into(),
                dir: "(none given)".into(),
                looked: "--data-dir DIR with data_batch_1..5.bin and test_batch.bin".into(),
            })?;
            load_cifar(d, train)
        }
    }
}
