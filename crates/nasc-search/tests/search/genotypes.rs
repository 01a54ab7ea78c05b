//! Searchable genotypes (papers.md §2-§3): motifs and cell genotypes with `ops=` are design
//! spaces whose sites search samples and mutates (one edge of one motif of one level at a
//! time, as in the paper), and every genotype can be written back as a concrete spec that
//! compiles to the same network as the genotype's `--set` values.

use nasc_core::check::Options;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn root() -> PathBuf {
    nasc_test_support::root()
}

fn cfg() -> nasc_search::SearchConfig {
    serde_json::from_value(serde_json::json!({
        "strategy": "evolution", "population": 4, "tournament": 0.05, "evaluations": 8, "seed": 1, "max_params": null, "max_flops": null,
        "fitness": "synthetic", "fixed": [], "network": null,
        "train": {"data": "synthetic", "data_dir": null, "epochs": 1, "batch_size": 8, "limit_train": null, "holdout": 8, "synthetic_ms": 0}
    }))
    .unwrap()
}

/// The IR as text without source positions (a concrete spec has a header, so lines shift).
fn ir_text(src: &str, set: &[(String, String)]) -> Option<String> {
    let c = nasc_core::compile(src, &Options { overrides: set.to_vec(), ..Options::default() })
        .unwrap();
    let ir = c.ir?;
    let text = nasc_core::emit::text::emit(&ir, src);
    Some(
        text.lines()
            .map(|l| l.split(" @").next().unwrap_or(l).to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

const DARTS_SPACE: &str = "
let G = Genotype(ops=['sep_conv_3x3', 'dil_conv_3x3', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect', 'none'], blocks=3)

network darts_space(C: int in {4, 8} = 4) {
    input [1, 28, 28]
    classes 10
    stage stem = conv(3x3, 2 * C) -> bn
    stage cells = cells(G, convention=darts, layout=[normal(C), reduce(2 * C), normal(2 * C)])
    stage head = global_avg_pool -> linear(classes)
}
";

#[test]
fn the_sites_of_motifs_and_cells_form_the_space() {
    let hier = std::fs::read_to_string(root().join("examples/hierarchical_fmnist.nas")).unwrap();
    let space = nasc_search::space(&hier, &cfg()).unwrap();
    let names: Vec<&str> = space.iter().map(|p| p.name.as_str()).collect();
    // Two level-2 motifs of 3 nodes (3 edges each), one level-3 motif of 4 nodes (6 edges).
    assert_eq!(
        names,
        [
            "a.0_1", "a.0_2", "a.1_2", "b.0_1", "b.0_2", "b.1_2", "cell.0_1", "cell.0_2",
            "cell.0_3", "cell.1_2", "cell.1_3", "cell.2_3"
        ]
    );
    let levels: BTreeSet<u32> = space.iter().map(|p| p.site.as_ref().unwrap().level).collect();
    assert_eq!(levels, BTreeSet::from([2, 3]));
    let darts = nasc_search::space(DARTS_SPACE, &cfg()).unwrap();
    // C, then 3 blocks x 2 inputs x (op, input) per cell.
    assert_eq!(darts.len(), 1 + 2 * 12);
    let input_2 = darts.iter().find(|p| p.name == "G.normal.5.in").unwrap();
    assert_eq!(
        input_2.domain,
        nasc_core::check::ParamDomain::Choice(vec![0.0, 1.0, 2.0, 3.0]),
        "block 2 reads states 0 to 3"
    );
}

#[test]
fn written_edges_are_the_default_genotype() {
    let hier = std::fs::read_to_string(root().join("examples/hierarchical_fmnist.nas")).unwrap();
    let fixed: String =
        hier.lines().filter(|l| !l.trim_start().starts_with("ops=")).collect::<Vec<_>>().join("\n");
    let fixed = fixed
        .replace("max_pool_3x3)],\n", "max_pool_3x3)])\n")
        .replace("identity)],\n", "identity)])\n")
        .replace(", ops=[a, b])", ")");
    assert!(!fixed.contains("ops=["), "{fixed}");
    assert_eq!(
        ir_text(&hier, &[]),
        ir_text(&fixed, &[]),
        "adding ops= must not change the network"
    );
}

#[test]
fn every_genotype_round_trips_through_a_concrete_spec() {
    let hier = std::fs::read_to_string(root().join("examples/hierarchical_fmnist.nas")).unwrap();
    for src in [hier.as_str(), DARTS_SPACE] {
        let space = nasc_search::space(src, &cfg()).unwrap();
        let mut rng = nasc_search::rng_for(3, 0);
        let mut compiled = 0;
        for _ in 0..40 {
            let g = nasc_search::sample(&space, &mut rng);
            let Some(want) = ir_text(src, &g) else { continue }; // e.g. a motif whose output is cut off
            let spec =
                nasc_core::space::concrete_spec(src, &Options::default(), &g, "// concrete\n")
                    .unwrap();
            assert_eq!(ir_text(&spec, &[]).as_deref(), Some(want.as_str()), "{g:?}\n{spec}");
            // The concrete spec is still a member of the space: its defaults are the genotype.
            let again = nasc_search::space(&spec, &cfg()).unwrap();
            assert_eq!(again.len(), space.len());
            compiled += 1;
        }
        assert!(compiled >= 20, "only {compiled} of 40 draws compiled");
    }
}

#[test]
fn mutation_picks_a_level_then_a_motif_then_an_edge() {
    let hier = std::fs::read_to_string(root().join("examples/hierarchical_fmnist.nas")).unwrap();
    let space = nasc_search::space(&hier, &cfg()).unwrap();
    let mut rng = nasc_search::rng_for(5, 0);
    let (mut level3, mut owners) = (0, BTreeSet::new());
    let n = 600;
    for _ in 0..n {
        let parent = nasc_search::sample(&space, &mut rng);
        let child = nasc_search::mutate(&space, &parent, &mut rng);
        let changed: Vec<usize> = (0..space.len()).filter(|&i| parent[i] != child[i]).collect();
        assert_eq!(changed.len(), 1, "one site changes: {parent:?} -> {child:?}");
        let site = space[changed[0]].site.clone().unwrap();
        level3 += usize::from(site.level == 3);
        owners.insert(site.owner);
    }
    // Levels are picked uniformly (the level-3 cell has 6 of the 12 edges, but half the
    // mutations go to it because it is one of two levels, not because of its edge count).
    assert!((n * 4 / 10..n * 6 / 10).contains(&level3), "{level3} of {n} mutations at level 3");
    assert_eq!(owners, BTreeSet::from(["a".to_string(), "b".to_string(), "cell".to_string()]));
    // A plain parameter is a unit of its own next to the levels of the cells.
    let darts = nasc_search::space(DARTS_SPACE, &cfg()).unwrap();
    let mut c_changes = 0;
    for _ in 0..n {
        let parent = nasc_search::sample(&darts, &mut rng);
        let child = nasc_search::mutate(&darts, &parent, &mut rng);
        assert!(parent.iter().zip(&child).filter(|(a, b)| a != b).count() <= 1);
        c_changes += usize::from(parent[0] != child[0]);
    }
    assert!((n * 4 / 10..n * 6 / 10).contains(&c_changes), "C changed {c_changes} of {n} times");
}

#[test]
fn an_open_genotype_without_a_default_is_drawn_from_the_seed() {
    let a = ir_text(DARTS_SPACE, &[]).unwrap();
    assert_eq!(Some(a.clone()), ir_text(DARTS_SPACE, &[]), "the default draw is reproducible");
    let other_seed =
        nasc_core::compile(DARTS_SPACE, &Options { seed: Some(9), ..Options::default() }).unwrap();
    let b = nasc_core::emit::text::emit(&other_seed.ir.unwrap(), DARTS_SPACE);
    let b: String = b
        .lines()
        .map(|l| l.split(" @").next().unwrap_or(l).to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(a, b, "--seed draws another member");
}
