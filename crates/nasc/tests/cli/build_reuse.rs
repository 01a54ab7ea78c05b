//! `cargo test --release --workspace` must reuse the build of `cargo build --release` (the
//! README's two commands): every crate both builds use must get the same features, or
//! cargo compiles it (and all of Burn above it) a second time. Test-only dependencies can
//! switch on extra features; nasc's Cargo.toml asks for those too. This test compares the
//! two feature sets with `cargo tree` and names any crate that drifts.

use std::collections::BTreeMap;
use std::process::Command;

fn features(args: &[&str]) -> Option<BTreeMap<String, String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "--prefix", "none", "-f", "{p} [{f}]"])
        .args(args)
        .current_dir(nasc_test_support::root())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Some(
        text.lines()
            .filter_map(|l| {
                let (name, rest) = l.split_once(" [")?;
                Some((
                    name.replace(" (*)", ""),
                    rest.trim_end_matches(" (*)").trim_end_matches(']').to_string(),
                ))
            })
            .collect(),
    )
}

#[test]
fn tests_reuse_the_release_build() {
    let (Some(build), Some(test)) =
        (features(&["-e", "normal,build"]), features(&["--workspace", "-e", "normal,build,dev"]))
    else {
        eprintln!("skipped: `cargo tree --offline` is unavailable here");
        return;
    };
    let drift: Vec<String> = build
        .iter()
        .filter_map(|(k, f)| {
            test.get(k).filter(|g| *g != f).map(|g| format!("{k}: build [{f}] vs tests [{g}]"))
        })
        .collect();
    assert!(build.len() > 100, "cargo tree listed only {} crates", build.len());
    assert!(
        drift.is_empty(),
        "features differ between `cargo build --release` and `cargo test --release --workspace`; add them to nasc's unification list in Cargo.toml:\n{}",
        drift.join("\n")
    );
}
