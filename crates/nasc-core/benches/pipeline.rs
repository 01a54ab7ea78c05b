//! Compiler throughput: parse + check + expand + verify + stats, and the optimiser.
//!   cargo bench -p nasc-core --bench pipeline
//! Figures are recorded in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn full(src: &str) -> u64 {
    let c = nasc_core::compile(src, &Default::default()).expect("verifier");
    let ir = c.ir.expect("spec compiles");
    nasc_core::stats::stats(&ir).params
}

fn paper_spec(c: &mut Criterion) {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/randwire_ws.nas"
    ))
    .unwrap();
    c.bench_function("randwire_ws.nas (parse+check+expand+verify+stats)", |b| {
        b.iter(|| full(black_box(&src)))
    });
}

/// The language-v2 paper specs: cells (NASNet-A Mobile, DARTS_V2) and motifs (hierarchical).
fn v2_specs(c: &mut Criterion) {
    let mut g = c.benchmark_group("v2 paper specs (parse+check+expand+verify+stats)");
    for name in [
        "nasnet_a_mobile",
        "darts_v2_cifar",
        "darts_v2_imagenet",
        "hierarchical",
        "flat_motif",
        "regnetx_400mf",
        "regnety_400mf",
    ] {
        let src = std::fs::read_to_string(format!(
            "{}/../../specs/{name}.nas",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(name), &src, |b, s| {
            b.iter(|| full(black_box(s)))
        });
    }
    g.finish();
}

/// Design-space sampling (papers.md §5): draws from specs/regnet.nas, each checked, expanded,
/// verified and measured statically (no model built). Throughput = draws per second.
fn regnet_sampling(c: &mut Criterion) {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/regnet.nas"))
            .unwrap();
    let mut g = c.benchmark_group("nasc sample specs/regnet.nas");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1000 draws", |b| {
        b.iter(|| {
            let o = nasc_core::space::SampleOptions { n: 1000, seed: 1, ..Default::default() };
            nasc_core::space::sample(black_box(&src), &o).expect("a space").samples.len()
        })
    });
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
        g.bench_with_input(BenchmarkId::from_parameter(n), &src, |b, s| {
            b.iter(|| full(black_box(s)))
        });
    }
    g.finish();
}

/// The optimiser alone (-O2: every pass, verifier after each) on the paper spec and on a
/// ~100,000-node IR (one WS(21,800, 4, 0.75) stage), from the -O0 IR.
fn optimiser(c: &mut Criterion) {
    let mut g = c.benchmark_group("passes -O2 (all passes + verifier after each)");
    g.sample_size(10);
    let ws = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/randwire_ws.nas"
    ))
    .unwrap();
    let big = "network big {\n  input [3, 32, 32]\n  classes 10\n  stage s = random(WS(21800, 4, 0.75), 16)\n  stage head = global_avg_pool -> linear(classes)\n}\n".to_string();
    for (name, src) in [("randwire_ws.nas", ws), ("100k-node WS stage", big)] {
        let ir0 = nasc_core::compile_with(&src, &Default::default(), &[])
            .expect("verifier")
            .ir
            .expect("compiles");
        let label = format!("{name} ({} nodes)", ir0.graph.node_count());
        g.throughput(Throughput::Elements(ir0.graph.node_count() as u64));
        g.bench_function(label, |b| {
            b.iter_batched(
                || ir0.clone(),
                |mut ir| {
                    nasc_core::passes::run(&mut ir, &nasc_core::passes::level(2))
                        .expect("verifies")
                        .runs
                        .len()
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, paper_spec, v2_specs, regnet_sampling, ws_stage, optimiser);
criterion_main!(benches);
