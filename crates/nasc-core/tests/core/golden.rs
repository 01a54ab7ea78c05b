//! Golden files: every spec in specs/ and examples/ (text IR + stats table), JSON and DOT for
//! three specs, and every broken spec in tests/diagnostics/ (rendered diagnostics, no
//! colour). The generated Burn code's goldens are nasc-burn's (tests/burn/codegen_golden.rs).

use nasc_core::diag::{Code, Renderer};
use nasc_test_support::*;

#[test]
fn every_spec_compiles_and_matches_golden() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in nasc_test_support::SPEC_DIRS {
        for path in nas_files(&root().join(dir)) {
            count += 1;
            let src = std::fs::read_to_string(&path).unwrap();
            let c = nasc_core::compile(&src, &spec_options(&src)).expect("verifier");
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
                &nasc_core::emit::text::emit(&ir, &src),
            ));
            let stats = nasc_core::stats::table(&nasc_core::stats::stats(&ir));
            failures.extend(check_golden(&golden.join(format!("{stem}.stats")), &stats));
        }
    }
    assert!(count >= 5, "expected the RandWire specs, found {count}");
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
        let ir = nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap();
        failures.extend(check_golden(
            &root().join(format!("tests/golden/{dir}/{stem}.json")),
            &nasc_core::emit::json::emit(&ir),
        ));
        failures.extend(check_golden(
            &root().join(format!("tests/golden/{dir}/{stem}.dot")),
            &nasc_core::emit::dot::emit(&ir),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn render_all(path: &std::path::Path) -> (String, Vec<Code>) {
    let src = std::fs::read_to_string(path).unwrap();
    let c = nasc_core::compile(&src, &spec_options(&src)).expect("verifier");
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
    // file: crates/nasc-core/tests/core/space.rs pins its rendering (tests/space/E043_budget.stderr).
    // E045 (a record that does not fit) comes from `nasc freeze`: crates/nasc/tests/cli/cli.rs pins it.
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
    let src = std::fs::read_to_string(root().join("crates/nasc-core/src/limits.rs")).unwrap();
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

#[test]
fn the_language_reference_documents_every_op() {
    let doc = std::fs::read_to_string(root().join("docs/language.md")).expect("docs/language.md");
    for sig in nasc_core::ir::ops::prim::Prim::sigs() {
        assert!(
            doc.contains(&format!("| `{}` | `{}", sig.name, sig.name)),
            "docs/language.md's op table has no row for `{}`",
            sig.name
        );
    }
}
