//! Golden files: every spec in specs/ and examples/ (text IR + stats table), JSON and DOT for
//! one spec, and every broken spec in tests/diagnostics/ (rendered diagnostics, no colour).

mod common;

use common::*;
use nasc::diag::{Code, Renderer};

#[test]
fn every_spec_compiles_and_matches_golden() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["specs", "examples"] {
        for path in nas_files(&root().join(dir)) {
            count += 1;
            let src = std::fs::read_to_string(&path).unwrap();
            let c = nasc::compile(&src, &spec_options(&src)).expect("verifier");
            let Some(ir) = c.ir else {
                failures.push(format!(
                    "{} does not compile: {:?}",
                    path.display(),
                    c.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
                ));
                continue;
            };
            assert!(c.diags.is_empty(), "{}: unexpected warnings {:?}", path.display(), c.diags);
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let golden = root().join("tests/golden").join(dir);
            failures.extend(check_golden(
                &golden.join(format!("{stem}.ir")),
                &nasc::backend::text::emit(&ir, &src),
            ));
            let stats = nasc::stats::table(&nasc::stats::stats(&ir));
            failures.extend(check_golden(&golden.join(format!("{stem}.stats")), &stats));
            // Generated Burn code (compiled and checked by tests/burn-codegen).
            let rel = format!("{dir}/{stem}.nas");
            let generated = nasc::backend::burn::codegen::generate(&ir, &rel);
            failures.extend(check_golden(
                &root().join("tests/golden/burn").join(format!("{stem}.rs")),
                &generated.source,
            ));
            let lib = std::fs::read_to_string(root().join("tests/burn-codegen/src/lib.rs"))
                .unwrap_or_default();
            if !lib.contains(&format!("pub mod {stem};")) {
                failures.push(format!(
                    "tests/burn-codegen/src/lib.rs does not compile the generated code of {rel}"
                ));
            }
        }
    }
    assert!(count >= 5, "expected the RandWire specs, found {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Specs whose -O2 code (the inference export) is pinned and compiled by tests/burn-codegen,
/// chosen to cover every -O2 rewrite: folded batch norms and fused ReLUs (ResNet, RegNet X/Y,
/// plain CNN), baked RandWire aggregation weights, merged duplicates and dropped dropout
/// (DARTS, hierarchical), frozen wirings.
pub const EXPORTED: &[&str] = &[
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
fn inference_export_code_matches_golden() {
    let mut failures = Vec::new();
    let lib =
        std::fs::read_to_string(root().join("tests/burn-codegen/src/lib.rs")).unwrap_or_default();
    for rel in EXPORTED {
        let src = std::fs::read_to_string(root().join(rel)).unwrap();
        let ir = nasc::compile_with(&src, &spec_options(&src), &nasc::passes::level(2))
            .unwrap()
            .ir
            .unwrap();
        let stem = std::path::Path::new(rel).file_stem().unwrap().to_string_lossy().to_string();
        let generated = nasc::backend::burn::codegen::generate(&ir, rel);
        failures.extend(check_golden(
            &root().join("tests/golden/burn").join(format!("{stem}_o2.rs")),
            &generated.source,
        ));
        if !lib.contains(&format!("pub mod {stem}_o2;")) {
            failures.push(format!(
                "tests/burn-codegen/src/lib.rs does not compile the -O2 code of {rel}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_and_dot_match_golden() {
    // A RandWire spec, and a v2 one (scopes in JSON, nested clusters stage > cell > block in DOT).
    let mut failures = Vec::new();
    for (dir, stem) in
        [("specs", "randwire_ws_fmnist"), ("examples", "custom_cell"), ("specs", "dnw_fmnist")]
    {
        let src = std::fs::read_to_string(root().join(format!("{dir}/{stem}.nas"))).unwrap();
        let ir = nasc::compile(&src, &Default::default()).unwrap().ir.unwrap();
        failures.extend(check_golden(
            &root().join(format!("tests/golden/{dir}/{stem}.json")),
            &nasc::backend::json::emit(&ir),
        ));
        failures.extend(check_golden(
            &root().join(format!("tests/golden/{dir}/{stem}.dot")),
            &nasc::backend::dot::emit(&ir),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn render_all(path: &std::path::Path) -> (String, Vec<Code>) {
    let src = std::fs::read_to_string(path).unwrap();
    let c = nasc::compile(&src, &spec_options(&src)).expect("verifier");
    let r = Renderer { color: false, width: 100 };
    let name = format!("tests/diagnostics/{}", path.file_name().unwrap().to_string_lossy());
    let text: String = c.diags.iter().map(|d| r.render(d, &name, &src)).collect();
    (text, c.diags.iter().map(|d| d.code).collect())
}

#[test]
fn diagnostics_match_golden_and_cover_every_code() {
    let mut failures = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let files = nas_files(&root().join("tests/diagnostics"));
    assert!(files.len() >= 20, "at least 20 broken specs, found {}", files.len());
    for path in files {
        let (text, codes) = render_all(&path);
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        // A file named after a code must produce that code.
        if let Some(code) = stem
            .split('_')
            .next()
            .filter(|c| c.len() == 4 && (c.starts_with('E') || c.starts_with('W')))
            && !codes.iter().any(|c| c.as_str() == code)
        {
            failures.push(format!("{stem}: expected a diagnostic {code}, got {codes:?}"));
        }
        assert!(!codes.is_empty(), "{stem}: no diagnostics at all");
        seen.extend(codes);
        failures.extend(check_golden(&path.with_extension("stderr"), &text));
    }
    // E043 (a sample budget nothing meets) comes from `nasc sample`, not from compiling one
    // file: tests/space.rs pins its rendering (tests/space/E043_budget.stderr).
    // E045 (a record that does not fit) comes from `nasc freeze`: tests/cli.rs pins it.
    for code in Code::ALL.iter().filter(|c| !matches!(**c, Code::Budget | Code::Record)) {
        if !seen.contains(code) {
            failures.push(format!("no test in tests/diagnostics produces {code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnostic_catalogue_documents_every_code() {
    let doc =
        std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    for code in Code::ALL {
        assert!(
            doc.contains(&format!("## {}", code.as_str())),
            "docs/diagnostics.md lacks a section `## {code}`"
        );
    }
}

#[test]
fn all_errors_in_a_file_are_reported() {
    let (_, codes) = render_all(&root().join("tests/diagnostics/multi_errors.nas"));
    let errors = codes.iter().filter(|c| c.as_str().starts_with('E')).count();
    assert!(errors >= 4, "expected at least 4 errors in one run, got {codes:?}");
}

#[test]
fn limits_table_documents_every_limit() {
    let doc = std::fs::read_to_string(root().join("docs/limits.md")).expect("docs/limits.md");
    let src = std::fs::read_to_string(root().join("src/limits.rs")).unwrap();
    let names: Vec<&str> = src
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(names.len() >= 15, "{names:?}");
    for n in names {
        assert!(doc.contains(&format!("`{n}`")), "docs/limits.md does not document {n}");
    }
}
