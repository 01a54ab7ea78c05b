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
