//! RegNet/AnyNet design spaces (papers.md §5): the published parameter counts and pycls's
//! analytic FLOPs/activations pinned, the width rule's two rounding modes, parameter domains,
//! `nasc sample` (reproducible, distinct, within budget, concrete specs) and the error EDF.

use nasc_core::check::Options;
use nasc_core::check::regnet::{RegNetParams, Rounding, regnet_widths};
use nasc_core::space::{self, Bound, SampleOptions};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    nasc_test_support::root()
}

fn stats_of(path: &str, set: &[(&str, &str)]) -> nasc_core::stats::Stats {
    let src = std::fs::read_to_string(root().join(path)).unwrap();
    let opts = Options {
        overrides: set.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Options::default()
    };
    let c = nasc_core::compile(&src, &opts).unwrap();
    let ir = c.ir.unwrap_or_else(|| {
        panic!("{path}: {:?}", c.diags.iter().map(|d| d.message.clone()).collect::<Vec<_>>())
    });
    nasc_core::stats::stats(&ir)
}

/// Parameter counts of the reference implementations (torchvision's model table; pycls's
/// model zoo).
#[test]
fn parameter_counts_equal_the_references() {
    assert_eq!(stats_of("specs/regnetx_400mf.nas", &[]).params, 5_157_512, "pycls RegNetX-400MF");
    assert_eq!(
        stats_of("specs/regnet.nas", &[("rounding", "half_up")]).params,
        5_495_976,
        "torchvision regnet_x_400mf"
    );
    assert_eq!(
        stats_of("specs/regnety_400mf.nas", &[]).params,
        4_344_144,
        "torchvision regnet_y_400mf"
    );
    assert_eq!(
        stats_of("specs/regnety_800mf.nas", &[]).params,
        6_432_512,
        "torchvision regnet_y_800mf"
    );
    assert_eq!(stats_of("specs/regnetx_200mf.nas", &[]).params, 2_684_792, "pycls RegNetX-200MF");
    let y400 = [
        ("depth", "16"),
        ("w0", "48"),
        ("wa", "27.89"),
        ("wm", "2.09"),
        ("group_width", "8"),
        ("se", "1"),
        ("rounding", "half_up"),
    ];
    assert_eq!(
        stats_of("specs/regnet.nas", &y400).params,
        4_344_144,
        "regnet.nas at regnet_y_400mf's settings"
    );
}

/// pycls's own analytic counts for RegNetX-400MF: 397,678,568 multiply-adds and 3,143,272
/// activations. pycls adds the classifier's bias to its FLOPs and its 1000 outputs to the
/// activations; nasc counts conv and linear multiply-adds and conv outputs, 1,000 fewer each.
#[test]
fn flops_and_activations_match_pycls() {
    let s = stats_of("specs/regnetx_400mf.nas", &[]);
    assert_eq!((s.flops, s.activations), (397_677_568, 3_142_272));
    let rel = |a: u64, b: u64| (a as f64 - b as f64).abs() / b as f64;
    assert!(rel(s.flops, 397_678_568) < 0.01 && rel(s.activations, 3_143_272) < 0.01);
}

#[test]
fn the_two_rounding_modes_differ_where_the_papers_say() {
    let p = |rounding| RegNetParams {
        depth: 22,
        w0: 24,
        wa: 24.48,
        wm: 2.54,
        group_width: 16,
        bottleneck: 1.0,
        rounding,
    };
    let even = regnet_widths(&p(Rounding::HalfEven)).unwrap();
    let up = regnet_widths(&p(Rounding::HalfUp)).unwrap();
    assert_eq!(even.iter().map(|s| s.width).collect::<Vec<_>>(), [32, 64, 160, 384]);
    assert_eq!(up.iter().map(|s| s.width).collect::<Vec<_>>(), [32, 64, 160, 400]);
    assert_eq!(even.iter().map(|s| s.depth).collect::<Vec<_>>(), [1, 2, 7, 12]);
    assert_eq!(up.iter().map(|s| s.depth).collect::<Vec<_>>(), [1, 2, 7, 12]);
    // wm <= 1 and depth < 1 are refused, not computed.
    assert!(regnet_widths(&RegNetParams { wm: 1.0, ..p(Rounding::HalfEven) }).is_err());
    assert!(regnet_widths(&RegNetParams { depth: 0, ..p(Rounding::HalfEven) }).is_err());
}

#[test]
fn stats_show_the_stages_the_rule_chose() {
    let s = stats_of("specs/regnetx_400mf.nas", &[]);
    let body = s.stages.iter().find(|st| st.name == "body").unwrap();
    let rows: Vec<&str> = body.cells.iter().map(|c| c.args.as_str()).collect();
    assert_eq!(
        rows,
        [
            "d=1 w=32 b=1.0 g=16",
            "d=2 w=64 b=1.0 g=16",
            "d=7 w=160 b=1.0 g=16",
            "d=12 w=384 b=1.0 g=16"
        ]
    );
}

fn opts(n: usize, seed: u64, flops: Option<Bound>) -> SampleOptions {
    SampleOptions { n, seed, flops, ..SampleOptions::default() }
}

#[test]
fn sampling_is_reproducible_distinct_and_within_budget() {
    let src = std::fs::read_to_string(root().join("specs/regnet.nas")).unwrap();
    let budget = Bound { lo: 360_000_000, hi: 440_000_000 };
    let a = space::sample(&src, &opts(12, 7, Some(budget))).unwrap();
    let b = space::sample(&src, &opts(12, 7, Some(budget))).unwrap();
    assert_eq!(a.samples.len(), 12);
    let key = |r: &space::Report| {
        r.samples.iter().map(|s| (s.values.clone(), s.flops)).collect::<Vec<_>>()
    };
    assert_eq!(key(&a), key(&b), "same seed, same samples");
    let c = space::sample(&src, &opts(12, 8, Some(budget))).unwrap();
    assert_ne!(key(&a), key(&c), "another seed, other samples");
    let distinct: std::collections::HashSet<_> =
        a.samples.iter().map(|s| s.values.clone()).collect();
    assert_eq!(distinct.len(), 12);
    let domains = space::space(&src, &Options::default()).unwrap();
    for s in &a.samples {
        assert!(budget.contains(s.flops));
        // The concrete spec is a member of the space with the recorded complexity.
        let text =
            space::concrete_spec(&src, &Options::default(), &s.values, "// sample\n").unwrap();
        let ir =
            nasc_core::compile(&text, &Options::default()).unwrap().ir.expect("a sample compiles");
        assert_eq!(nasc_core::stats::stats(&ir).flops, s.flops);
        for ((name, v), d) in s.values.iter().zip(&domains) {
            assert_eq!(name, &d.name);
            match &d.domain {
                nasc_core::check::ParamDomain::Enum(ns) => assert!(ns.contains(v)),
                dom => assert!(
                    dom.contains(v.parse().unwrap()),
                    "{name}={v} outside {}",
                    dom.describe()
                ),
            }
        }
    }
    assert!(a.drawn > 12 && a.over_budget > 0, "the budget rejected some draws: {}", a.summary());
}

#[test]
fn rejections_are_counted_by_reason() {
    let src = std::fs::read_to_string(root().join("examples/anynetx_a_fmnist.nas")).unwrap();
    let r = space::sample(&src, &opts(8, 0, None)).unwrap();
    assert_eq!(r.samples.len(), 8);
    assert!(
        r.invalid.get("E037: width not divisible by the group width").is_some_and(|n| *n > 0),
        "{}",
        r.summary()
    );
    let src = std::fs::read_to_string(root().join("tests/diagnostics/E042_require.nas")).unwrap();
    let r = space::sample(&src, &opts(4, 0, None)).unwrap();
    assert!(
        r.invalid
            .keys()
            .any(|k| k.starts_with("E042: constraint does not hold: stage widths never decrease")),
        "{}",
        r.summary()
    );
    for s in &r.samples {
        let w: Vec<i64> = s.values.iter().map(|(_, v)| v.parse().unwrap()).collect();
        assert!(w[0] <= w[1], "a kept sample violates the constraint: {w:?}");
    }
}

/// A budget nothing meets is E043, rendered like every diagnostic (pinned golden).
#[test]
fn an_unmeetable_budget_says_what_was_seen() {
    let src = std::fs::read_to_string(root().join("examples/regnetx_fmnist.nas")).unwrap();
    let o = SampleOptions {
        n: 4,
        seed: 0,
        flops: Some(Bound { lo: 1, hi: 1000 }),
        max_draws: Some(50),
        ..SampleOptions::default()
    };
    let r = space::sample(&src, &o).unwrap();
    assert!(r.samples.is_empty() && r.drawn == 50);
    let d = space::budget_error(&r, &o);
    assert_eq!(d.code, nasc_core::diag::Code::Budget);
    let text = nasc_core::diag::Renderer { color: false, width: 100 }.render(
        &d,
        "examples/regnetx_fmnist.nas",
        &src,
    );
    let golden = root().join("tests/space/E043_budget.stderr");
    if std::env::var_os("NASC_BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&golden).unwrap_or_default(),
        text,
        "tests/space/E043_budget.stderr differs (NASC_BLESS=1 to update after review)"
    );
}

#[test]
fn a_spec_without_domains_is_not_a_space() {
    let src = std::fs::read_to_string(root().join("specs/regnetx_400mf.nas")).unwrap();
    let e = space::space(&src, &Options::default()).unwrap_err();
    assert!(e.iter().any(|d| d.code == nasc_core::diag::Code::BadDomain));
}

#[test]
fn budgets_parse_with_suffixes() {
    assert_eq!(
        space::parse_bound("360M..440M").unwrap(),
        Bound { lo: 360_000_000, hi: 440_000_000 }
    );
    assert_eq!(space::parse_bound("1.5k..2e3").unwrap(), Bound { lo: 1500, hi: 2000 });
    assert_eq!(space::parse_bound("..5M").unwrap().lo, 0);
    assert!(space::parse_bound("5M..1M").is_err() && space::parse_bound("lots").is_err());
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap();
}

#[test]
fn edf_of_trained_sets_as_csv_and_svg() {
    let dir = std::env::temp_dir().join(format!("nasc-edf-{}", std::process::id()));
    for (name, errs) in [("spaceA", [10.0, 12.5, 11.0]), ("spaceB", [9.0, 9.5, 14.0])] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        let rows: String =
            errs.iter().enumerate().map(|(i, e)| format!("s{i},s{i}.nas,1,1,1,,{e},1\n")).collect();
        write(
            &dir.join(name).join("samples.csv"),
            &format!("name,file,params,flops,activations,accuracy,error,train_seconds\n{rows}"),
        );
    }
    let sets: Vec<_> = ["spaceA", "spaceB"]
        .iter()
        .map(|n| space::edf::read_set(&dir.join(n).join("samples.csv")).unwrap())
        .collect();
    assert_eq!(sets[0].label, "spaceA");
    let csv = space::edf::csv_text(&sets);
    assert!(csv.starts_with("set,error,fraction\nspaceA,10,0.333333\nspaceA,11,0.666667\nspaceA,12.5,1.000000\nspaceB,9,"), "{csv}");
    let svg = space::edf::plot_svg(&sets, "test").unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("spaceA (n=3)") && svg.contains("spaceB (n=3)"),
        "{}",
        &svg[..svg.len().min(400)]
    );
    // A summary without trained samples is refused with a reason.
    write(&dir.join("untrained.csv"), "name,error\ns0,\n");
    assert!(
        space::edf::read_set(&dir.join("untrained.csv"))
            .unwrap_err()
            .to_string()
            .contains("no trained samples")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `nasc space`: the exact member counts of the benchmark spaces (NAS-Bench-201's 15,625
/// cells, NAS-Bench-101's 2^21 x 3^5 labelled matrices, a NASNet/DARTS genotype space, a
/// stepped grid), a continuous space named as such, and a sample that counts what the spec
/// rejects.
#[test]
fn census_counts_spaces_exactly() {
    use nasc_core::space::census::census;
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    let base = Options::default();
    let nb201 = census(&read("specs/nas_bench_201.nas"), 40, 0, &base).unwrap();
    assert_eq!(nb201.size.exact, Some(15_625));
    assert_eq!(nb201.size.text(), "15,625");
    assert_eq!((nb201.drawn, nb201.valid), (40, 40));
    assert!(nb201.structures <= nb201.valid && nb201.structures > 30);
    let s = nb201.params_spread.unwrap();
    assert!(s.min <= s.median && s.median <= s.max && s.min > 0);
    assert!(nb201.text().contains("members: 15,625 (parameter assignments, exact)"));

    let nb101 = census(&read("specs/nas_bench_101_space.nas"), 60, 1, &base).unwrap();
    assert_eq!(nb101.size.exact, Some((1u128 << 21) * 243));
    // The spec's own rules (at most 9 edges, ...) reject draws: counted by reason.
    let rejected: usize = nb101.rejected.iter().map(|(_, n)| n).sum();
    assert_eq!(rejected + nb101.valid, nb101.distinct);
    assert!(nb101.rejected.iter().any(|(why, _)| why.contains("at most 9 edges")));
    assert!(nb101.valid_estimate.is_some_and(|e| e < 509_607_936.0));

    // NASNet/DARTS: 4 ops and B = 4 blocks of 2 inputs in each of two cells; input k of block
    // b chooses among b + 2 states. Times the 2 widths.
    let darts =
        "let G = Genotype(ops=['sep_conv_3x3', 'max_pool_3x3', 'skip_connect', 'none'], blocks=4)
network net(C: int in {8, 16} = 8) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, 3 * C) -> bn
    stage cells = cells(G, layout=[normal(C), reduce(2 * C), normal(2 * C)], convention=darts)
    stage head = global_avg_pool -> linear(classes)
}
";
    let cell: u128 = 4u128.pow(8) * (2 * 2 * 3 * 3 * 4 * 4 * 5 * 5);
    assert_eq!(census(darts, 5, 0, &base).unwrap().size.exact, Some(2 * cell * cell));

    let grid = "network net(w: int in 8..64 step 8 = 16, d: int in {1, 2, 4} = 1) {
    input [1, 28, 28]
    classes 10
    require w * d <= 64, \"small enough\"
    stage body = repeat(d, conv(3x3, w) -> bn -> relu)
    stage head = global_avg_pool -> linear(classes)
}
";
    let g = census(grid, 200, 3, &base).unwrap();
    assert_eq!(g.size.exact, Some(24));
    // 8 + 4 + 2 of the 24 assignments meet the requirement; the sample sees all 24.
    assert_eq!((g.distinct, g.valid), (24, 14));
    assert_eq!(g.rejected, vec![("E042: constraint does not hold: small enough".to_string(), 10)]);
    assert_eq!(g.valid_estimate, Some(14.0));

    let regnet = census(&read("specs/regnet.nas"), 10, 0, &base).unwrap();
    assert_eq!(regnet.size.exact, None);
    assert_eq!(regnet.size.continuous, ["wa", "wm"]);
}

/// A parameter fixed by `--set` is not drawn: every sample keeps its value and the concrete
/// spec writes it once (it was drawn over the flag's value, and the two edits of one default
/// garbled the written spec).
#[test]
fn set_values_are_not_drawn() {
    let src = std::fs::read_to_string(root().join("specs/nas_bench_201.nas")).unwrap();
    let base = Options { overrides: vec![("e1_0".into(), "none".into())], ..Options::default() };
    let opts = SampleOptions { n: 5, seed: 2, base: base.clone(), ..SampleOptions::default() };
    let r = space::sample(&src, &opts).unwrap();
    assert_eq!(r.samples.len(), 5);
    let writer = space::SpecWriter::new(&src, &base).unwrap();
    for s in &r.samples {
        assert!(s.values.iter().all(|(k, _)| k != "e1_0"), "{:?}", s.values);
        let spec = writer.write(&s.values, "// sample").unwrap();
        assert!(spec.contains("avg_pool_3x3} = none,"), "{spec}");
        let c = nasc_core::compile(&spec, &Options::default()).unwrap();
        assert!(c.ir.is_some(), "{:?}", c.diags.iter().map(|d| &d.message).collect::<Vec<_>>());
    }
    let census = space::census::census(&src, 10, 0, &base).unwrap();
    assert_eq!(census.size.exact, Some(3_125));
}
