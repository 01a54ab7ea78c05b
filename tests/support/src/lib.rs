//! Shared helpers for the test suites of every crate. Set NASC_BLESS=1 to (re)write expected
//! golden files; review every change it makes before committing.

use std::path::{Path, PathBuf};

/// The repository root (specs/, examples/, std/, tests/golden/, docs/ are under it).
pub fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The text of a file under the repository root.
pub fn read(rel: &str) -> String {
    let p = root().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// Compares `actual` with the file at `path`, or writes it when blessing.
/// Returns a description of the mismatch, if any.
pub fn check_golden(path: &Path, actual: &str) -> Option<String> {
    if std::env::var_os("NASC_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create golden dir");
        }
        std::fs::write(path, actual).expect("write golden file");
        return None;
    }
    let expected = match std::fs::read_to_string(path) {
        Ok(e) => e,
        Err(_) => {
            return Some(format!(
                "{}: missing golden file (run with NASC_BLESS=1 and review)",
                path.display()
            ));
        }
    };
    if expected == actual {
        return None;
    }
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(expected.lines().count().min(actual.lines().count()));
    Some(format!(
        "{}: output differs from golden file at line {}\n  expected: {:?}\n  actual:   {:?}",
        path.display(),
        first + 1,
        expected.lines().nth(first).unwrap_or("<end>"),
        actual.lines().nth(first).unwrap_or("<end>")
    ))
}

/// All `.nas` files under a directory, sorted.
pub fn nas_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "nas"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The directories of specs every back end is pinned on (golden files, generated code,
/// export): the methods' specs, the examples and the model library.
pub const SPEC_DIRS: [&str; 3] = ["specs", "examples", "zoo"];

/// Options given in a spec's first line as `// args: --set A=1 --seed 3 --network n --preset p`.
pub fn spec_options(source: &str) -> nasc_core::check::Options {
    let mut o = nasc_core::check::Options::default();
    let Some(args) = source.lines().next().and_then(|l| l.strip_prefix("// args:")) else {
        return o;
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut i = 0;
    while i + 1 < words.len() {
        match words[i] {
            "--set" => {
                let (k, v) = words[i + 1].split_once('=').expect("--set NAME=VALUE");
                o.overrides.push((k.to_string(), v.to_string()));
            }
            "--seed" => o.seed = words[i + 1].parse().ok(),
            "--network" => o.network = Some(words[i + 1].to_string()),
            "--preset" => o.preset = Some(words[i + 1].to_string()),
            w => panic!("unknown test arg {w}"),
        }
        i += 2;
    }
    o
}

/// The Python that has `imports` (a comma-separated module list): NASC_TEST_PYTHON, else
/// `python3`. `None` outside CI when it lacks one (the caller skips, saying so); under CI a
/// missing module fails the test, since `.ci/run` installs them all.
pub fn python_with(imports: &str, what: &str) -> Option<String> {
    let py = std::env::var("NASC_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&py)
        .args(["-c", &format!("import {imports}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {what}: {py} lacks one of {imports} (.ci/run sets NASC_TEST_PYTHON)"
    );
    eprintln!("note: {py} lacks one of {imports}; skipping {what}");
    None
}
