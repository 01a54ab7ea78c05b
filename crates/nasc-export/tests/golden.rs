//! Golden files of the generated PyTorch modules (tests/golden/pytorch): every spec and
//! example at -O1, and the -O2 inference export of the specs that cover every -O2 rewrite.
//! crates/nasc/tests/cli/export.rs runs each one in PyTorch against nasc's runtime model.
//! NASC_BLESS=1 rewrites them; review the change.

use nasc_core::passes;
use nasc_test_support::*;

/// The -O2 exports pinned and run (the Burn code generator's list: folded batch norms, fused
/// ReLUs, baked RandWire weights, merged duplicates, dropped dropout, frozen wirings).
const EXPORTED: &[&str] = &[
    "specs/randwire_ws_fmnist.nas",
    "examples/regnetx_fmnist.nas",
    "examples/resnet_blocks.nas",
    "examples/plain_cnn.nas",
    "examples/darts_fmnist.nas",
    "examples/hierarchical_fmnist.nas",
    "examples/dnw_frozen_fmnist.nas",
    "specs/regnety_400mf.nas",
];

#[test]
fn generated_modules_of_every_spec_match_golden() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["specs", "examples"] {
        for path in nas_files(&root().join(dir)) {
            count += 1;
            let src = std::fs::read_to_string(&path).expect("read spec");
            let ir = nasc_core::compile(&src, &spec_options(&src))
                .expect("verifier")
                .ir
                .expect("compiles");
            let stem =
                path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let rel = format!("{dir}/{stem}.nas");
            let emitted = nasc_export::pytorch::emit(&ir, &rel, &src);
            failures.extend(check_golden(
                &root().join("tests/golden/pytorch").join(format!("{stem}.py")),
                &emitted.source,
            ));
        }
    }
    assert!(count >= 29, "expected every spec and example, found {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inference_exports_match_golden() {
    let mut failures = Vec::new();
    for rel in EXPORTED {
        let src = std::fs::read_to_string(root().join(rel)).expect("read spec");
        let ir = nasc_core::compile_with(&src, &spec_options(&src), &passes::level(2))
            .expect("verifier")
            .ir
            .expect("compiles");
        let stem = std::path::Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let emitted = nasc_export::pytorch::emit(&ir, rel, &src);
        failures.extend(check_golden(
            &root().join("tests/golden/pytorch").join(format!("{stem}_o2.py")),
            &emitted.source,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The list the live check runs at -O2 is this one.
#[test]
fn the_live_check_runs_every_pinned_export() {
    let live = std::fs::read_to_string(root().join("crates/nasc/tests/cli/export.rs"))
        .expect("read export.rs");
    for rel in EXPORTED {
        assert!(live.contains(&format!("\"{rel}\"")), "export.rs does not run {rel} at -O2");
    }
}
