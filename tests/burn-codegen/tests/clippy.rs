//! Clippy with warnings denied: on the generated code of every spec and example (compiled
//! into this crate), and on nasc itself (library and binary). Clippy runs with its own
//! target directory under `target/`, since the `cargo test` that runs these tests holds the
//! lock of the main one.

use std::path::PathBuf;
use std::process::Command;

fn clippy(package: &str, targets: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let has_clippy = Command::new(&cargo)
        .args(["clippy", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_clippy {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have clippy (rustup component add clippy)"
        );
        eprintln!("skipped: clippy is not installed");
        return;
    }
    let target = root.join("target/clippy");
    let out = Command::new(&cargo)
        .args(["clippy", "--offline", "--release", "-p", package])
        .args(targets)
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-D", "warnings"])
        .current_dir(&root)
        // Cargo probes rustc with `rustc -`: an inherited stdin (a CI runner's pipe) would be
        // read as source.
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run cargo clippy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "clippy found problems in {package}:\n{stderr}");
}

#[test]
fn generated_code_is_clippy_clean() {
    clippy("nasc-codegen-check", &["--lib"]);
}

#[test]
fn nasc_is_clippy_clean() {
    clippy("nasc", &["--lib", "--bins"]);
}
