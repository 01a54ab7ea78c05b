//! Compiler throughput: parse + check + expand + verify + stats.
//!   cargo bench --bench pipeline
//! Figures are recorded in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn full(src: &str) -> u64 {
    let c = nasc::compile(src, &Default::default()).expect("verifier");
    let ir = c.ir.expect("spec compiles");
    nasc::stats::stats(&ir).params
}

fn paper_spec(c: &mut Criterion) {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/randwire_ws.nas")).unwrap();
    c.bench_function("randwire_ws.nas (parse+check+expand+verify+stats)", |b| b.iter(|| full(black_box(&src))));
}

/// The language-v2 paper specs: cells (NASNet-A Mobile, DARTS_V2) and motifs (hierarchical).
fn v2_specs(c: &mut Criterion) {
    let mut g = c.benchmark_group("v2 paper specs (parse+check+expand+verify+stats)");
    for name in ["nasnet_a_mobile", "darts_v2_cifar", "darts_v2_imagenet", "hierarchical", "flat_motif"] {
        let src = std::fs::read_to_string(format!("{}/specs/{name}.nas", env!("CARGO_MANIFEST_DIR"))).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(name), &src, |b, s| b.iter(|| full(black_box(s))));
    }
    g.finish();
}

fn ws_stage(c: &mut Criterion) {
    let mut g = c.benchmark_group("one WS(n, 4, 0.75) stage");
    g.sample_size(10);
    for n in [1_000usize, 10_000, 100_000] {
        let src = format!(
            "network big(N: int = {n}) {{\n  input [3, 32, 32]\n  classes 10\n  stage s = random(WS(N, 4, 0.75), 16)\n  stage head = global_avg_pool -> linear(classes)\n}}\n"
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, s| b.iter(|| full(black_box(s))));
    }
    g.finish();
}

criterion_group!(benches, paper_spec, v2_specs, ws_stage);
criterion_main!(benches);
