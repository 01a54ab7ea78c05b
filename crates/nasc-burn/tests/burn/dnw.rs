//! Learned wiring (papers.md §4): the straight-through top-K, edge swaps, freezing into an
//! explicit-graph spec with the same function, and bad input.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::runtime::RuntimeModel;
use nasc_core::check::{Options, Select};
use nasc_core::ir::wiring::{choose, edge_at};

fn root() -> std::path::PathBuf {
    nasc_test_support::root()
}

fn compile(src: &str) -> nasc_core::ir::Ir {
    let c = nasc_core::compile(src, &Options::default()).unwrap();
    c.ir.unwrap_or_else(|| panic!("{:?}", c.diags))
}

const SMALL: &str = "network small(C: int = 4, K: int = 5) {
    input [1, 8, 8]
    classes 3
    stage stem = conv(3x3, C) -> bn
    stage g = learned(nodes=4, edges=K)
    stage head = relu -> global_avg_pool -> linear(classes)
}";

#[test]
fn stats_report_the_chosen_graph_and_the_dense_superset() {
    let _rng = crate::device_rng();
    let ir = compile(SMALL);
    let st = nasc_core::stats::stats(&ir);
    // 4 nodes: (4 + 1)(4 + 2) / 2 = 15 edges; K = 5 kept, 10 unchosen weights.
    let w = &st.wirings[0];
    assert_eq!((w.nodes, w.edges, w.dense_edges), (4, 5, 15));
    let dense = st.dense.clone().expect("dense superset");
    assert_eq!(dense.params - st.params, 10);
    // Each edge is one multiply-add per element of a [4, 8, 8] map.
    assert_eq!(dense.flops - st.flops, 10 * 4 * 8 * 8);
    let table = nasc_core::stats::table(&st);
    assert!(table.contains("dense") && table.contains("5 of 15 edges learned"), "{table}");
}

#[test]
fn forward_uses_only_the_top_k_edges_and_gradients_reach_every_edge() {
    let _rng = crate::device_rng();
    // No ReLU after the stage: even a stage whose output vertex has no chosen edge (output
    // zero) passes a gradient back to the edges into it.
    let ir = compile(
        &SMALL.replace("stage head = relu -> global_avg_pool", "stage head = global_avg_pool"),
    );
    let base = Device::flex();
    base.seed(11);
    let dev = base.autodiff();
    let model = RuntimeModel::new(&ir, &dev);
    let masks = model.wiring_masks();
    assert_eq!(masks.len(), 1);
    assert_eq!(masks[0].iter().filter(|m| **m).count(), 5);
    let x = Tensor::<4>::random([2, 1, 8, 8], Distribution::Normal(0.0, 1.0), &dev);
    let loss = model.forward(x).powi_scalar(2).sum();
    let grads = loss.backward();
    // The edge weights are the only 15-element parameter.
    let mut found = false;
    for layer in &model.layers {
        if let nasc_burn::runtime::Layer::Mix(p) = layer
            && p.val().dims() == [15]
        {
            let g: Vec<f32> = p
                .val()
                .grad(&grads)
                .expect("edge weights get a gradient")
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let unchosen_with_grad =
                g.iter().zip(&masks[0]).filter(|(g, m)| !**m && g.abs() > 0.0).count();
            assert!(
                unchosen_with_grad > 0,
                "straight-through: unchosen edges get gradients too: {g:?}"
            );
            // The stage input (vertex 0) is never zero, and the output vertex (5) always
            // reaches the loss: edge 0 -> 5 (index 10) has a gradient, chosen or not.
            assert!(g[10].abs() > 0.0, "{g:?} {:?}", masks[0]);
            found = true;
        }
    }
    assert!(found);
}

#[test]
fn selection_is_global_or_per_node() {
    let _rng = crate::device_rng();
    let w: Vec<f32> = (0..15).map(|i| (i as f32 * 0.37).sin()).collect();
    let g = choose(&w, 4, 5, Select::Global);
    assert_eq!(g.iter().filter(|x| **x).count(), 5);
    let p = choose(&w, 4, 2, Select::PerNode);
    // Targets have 1, 2, 3, 4, 5 possible in-edges: min(2, d) each = 1 + 2 + 2 + 2 + 2.
    assert_eq!(p.iter().filter(|x| **x).count(), 9);
    for v in 1..=5u32 {
        let n = (0..15).filter(|&e| p[e] && edge_at(e as u32).1 == v).count();
        assert_eq!(n, (v as usize).min(2));
    }
}

#[test]
fn nodes_without_a_chosen_input_read_zero_never_nan() {
    let _rng = crate::device_rng();
    // One edge only: every node but at most one reads zero.
    let ir = compile(&SMALL.replace("K: int = 5", "K: int = 1"));
    let model = RuntimeModel::new(&ir, &Device::flex());
    let y = model.forward(Tensor::<4>::random(
        [2, 1, 8, 8],
        Distribution::Normal(0.0, 1.0),
        &Device::flex(),
    ));
    let v: Vec<f32> = y.into_data().try_to_vec::<f32>().unwrap();
    assert!(v.iter().all(|x| x.is_finite()), "{v:?}");
}

fn trained_record(
    src: &str,
    dir: &std::path::Path,
) -> (nasc_core::ir::Ir, RuntimeModel, std::path::PathBuf) {
    let ir = compile(src);
    let dev = Device::flex();
    let model = RuntimeModel::new(&ir, &dev);
    std::fs::create_dir_all(dir).unwrap();
    let rec = dir.join("model.bpk");
    model.clone().save_file(&rec).unwrap();
    (ir, model, rec)
}

#[test]
fn freeze_writes_an_ordinary_spec_with_k_edges_and_the_same_function() {
    let _rng = crate::device_rng();
    let dir = std::env::temp_dir().join(format!("nasc-dnw-freeze-{}", std::process::id()));
    let (ir, _, rec) = trained_record(SMALL, &dir);
    let dev = Device::flex();
    let model = nasc_burn::freeze::load_model(&ir, &rec, &dev).ok().expect("record loads");
    let frozen =
        nasc_burn::freeze::freeze(SMALL, &Options::default(), &ir, &model, "// frozen\n", &dev)
            .ok()
            .expect("freezes");
    assert_eq!(frozen.edges, vec![frozen.edges[0].clone()]);
    assert_eq!(frozen.edges[0].len(), 5, "exactly K edges");
    assert!(frozen.source.contains("wired(nodes=4, edges=["), "{}", frozen.source);
    // Checks cleanly: no errors, no warnings (K was only used by the learned stage).
    let c = nasc_core::compile(&frozen.source, &Options::default()).unwrap();
    assert!(c.diags.is_empty(), "{:?}\n{}", c.diags, frozen.source);
    assert!(!frozen.source.contains("K: int"), "{}", frozen.source);
    let fw = &frozen.ir.wirings[0];
    assert_eq!((fw.mode, fw.edges), ("fixed", 5));
    let x = Tensor::<4>::random([3, 1, 8, 8], Distribution::Normal(0.0, 1.0), &dev);
    let a = model.forward(x.clone());
    let b = frozen.model.forward(x);
    let d: f32 = (a - b).abs().max().into_scalar();
    assert!(d < 1e-4, "frozen vs learned: max abs difference {d}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn freezing_a_record_of_another_network_or_a_truncated_one_is_refused() {
    let _rng = crate::device_rng();
    let dir = std::env::temp_dir().join(format!("nasc-dnw-bad-{}", std::process::id()));
    let (_, _, rec) = trained_record(SMALL, &dir);
    let other = compile(&SMALL.replace("C: int = 4", "C: int = 8"));
    let Err(nasc_burn::freeze::FreezeError::Record(msg)) =
        nasc_burn::freeze::load_model(&other, &rec, &Device::flex())
    else {
        panic!("accepted another network's record")
    };
    assert!(msg.contains("another spec"), "{msg}");
    let bytes = std::fs::read(&rec).unwrap();
    let cut = dir.join("cut.bpk");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let ir = compile(SMALL);
    assert!(matches!(
        nasc_burn::freeze::load_model(&ir, &cut, &Device::flex()),
        Err(nasc_burn::freeze::FreezeError::Record(_))
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_random_baseline_has_the_same_nodes_ops_and_edge_count() {
    let _rng = crate::device_rng();
    let src = std::fs::read_to_string(root().join("specs/dnw_fmnist.nas")).unwrap();
    let learned = compile(&src);
    let random = nasc_core::compile(
        &src,
        &Options { overrides: vec![("wiring".into(), "random".into())], ..Default::default() },
    )
    .unwrap()
    .ir
    .unwrap();
    for (a, b) in learned.wirings.iter().zip(&random.wirings) {
        assert_eq!((a.nodes, a.edges), (b.nodes, b.edges));
        assert_eq!((a.mode, b.mode), ("learned", "random"));
        assert_eq!(b.fixed.len(), a.edges as usize);
    }
    // Another seed draws other edges.
    let other = nasc_core::compile(
        &src,
        &Options {
            overrides: vec![("wiring".into(), "random".into())],
            seed: Some(5),
            ..Default::default()
        },
    )
    .unwrap()
    .ir
    .unwrap();
    assert_ne!(random.wirings[0].fixed, other.wirings[0].fixed);
}
