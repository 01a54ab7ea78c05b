//! The language server's re-check after an edit (parse, check, expand, verify, the name
//! table, diagnostics converted to LSP) on a generated 2,000-line spec, and `nasc fmt` on it.
//!   cargo bench -p nasc-lsp --bench lsp
//! Target (issue 12): < 50 ms per re-check. Figures in BENCHMARKS.md.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// 2,000 lines: 60 blocks (10 lines each), 600 top-level definitions, and a network of
/// 790 stages using them.
fn big_spec() -> String {
    let mut s = String::from("// A generated 2,000-line spec for the editor benchmark.\n");
    for b in 0..60 {
        s += &format!(
            "block unit{b}(C: int, k: int = 3) {{\n    input x\n    // a residual unit\n    let y = x -> conv(k, C) -> bn -> relu\n    let z = y -> conv(k, C) -> bn\n    let w = z -> relu\n    let v = w -> identity\n    output v + x\n\n}}\n"
        );
    }
    for d in 0..600 {
        s += &format!("let pipe{d} = relu -> conv(1x1, {}) -> bn\n", 8 + (d % 4) * 8);
    }
    s += "network big(C: int in {8, 16} = 8) {\n    input [3, 8, 8]\n    classes 10\n    stage stem = conv(3x3, C) -> bn\n";
    let mut lines = s.lines().count();
    let mut i = 0;
    while lines < 1998 {
        s += &format!("    stage s{i} = unit{}(C)\n", i % 60);
        i += 1;
        lines += 1;
    }
    s += "    stage head = global_avg_pool -> linear(classes)\n}\n";
    s
}

fn recheck(c: &mut Criterion) {
    let src = big_spec();
    assert_eq!(src.lines().count(), 2000);
    assert_eq!(
        nasc_lsp::recheck(&src),
        600,
        "each of the 600 unused definitions is a warning, nothing else"
    );
    let mut g = c.benchmark_group("editor, 2,000-line spec");
    g.sample_size(20);
    g.bench_function("re-check after an edit (nasc lsp)", |b| {
        b.iter(|| nasc_lsp::recheck(black_box(&src)))
    });
    g.bench_function("nasc fmt", |b| b.iter(|| nasc_core::fmt::format(black_box(&src)).len()));
    g.finish();
}

criterion_group!(benches, recheck);
criterion_main!(benches);
