//! Thousands of random graphs built to hold what the passes rewrite — identities, dead
//! branches, single-input sums, duplicated parameter-free ops, conv -> batch norm chains (some
//! convs also read elsewhere, so they must not fold), dropout, RandWire aggregations: the
//! -O1 and -O2 models, weights transferred by name, give the -O0 model's outputs.

use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::runtime::RuntimeModel;
use nasc_burn::transfer::{randomise_norms, transfer};
use nasc_core::ir::ops::*;
use nasc_core::ir::{Edge, Ir, Node, Op, Origin, Shape};
use nasc_core::passes;
use petgraph::graph::{DiGraph, NodeIndex};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const C: u32 = 4;
const HW: u32 = 5;

struct G {
    g: DiGraph<Node, Edge>,
}

impl G {
    fn add(&mut self, op: Op, ins: &[NodeIndex], shape: Shape) -> NodeIndex {
        let i = self.g.node_count();
        let n = self.g.add_node(Node {
            op,
            shape,
            stage: 0,
            span: Default::default(),
            name: format!("n{i}"),
            def: None,
            origin: Origin::default(),
            scope: None,
        });
        for (port, &s) in ins.iter().enumerate() {
            self.g.add_edge(s, n, Edge { port: port as u32 });
        }
        n
    }
}

fn conv(cin: u32, k: u32, bias: bool) -> Op {
    Op::Conv2d(Conv2d {
        in_channels: cin,
        out_channels: C,
        kernel: [k, k],
        stride: 1,
        padding: [k / 2, k / 2],
        groups: 1,
        dilation: 1,
        bias,
        relu: false,
    })
}

/// A random graph of 4..30 ops over [C, HW, HW] maps, ending in pool -> linear -> output.
fn random_ir(seed: u64) -> Ir {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let map = Shape::Map { c: C, h: HW, w: HW };
    let mut g = G { g: DiGraph::new() };
    let input = g.add(Op::Input(Input), &[], Shape::Map { c: 3, h: HW, w: HW });
    let mut vals = vec![g.add(conv(3, 3, false), &[input], map)];
    let steps = r.random_range(4..30);
    for _ in 0..steps {
        // Favour recent values and re-reading the same one (duplicates for CSE).
        let pick = |r: &mut ChaCha8Rng, vals: &[NodeIndex]| {
            vals[vals.len() - 1 - r.random_range(0..vals.len().min(4))]
        };
        let x = pick(&mut r, &vals);
        let v = match r.random_range(0..11) {
            0 => g.add(Op::RELU, &[x], map),
            1 => g.add(
                conv(C, if r.random_bool(0.5) { 1 } else { 3 }, r.random_bool(0.3)),
                &[x],
                map,
            ),
            2 => {
                let c = g.add(conv(C, 3, r.random_bool(0.3)), &[x], map);
                g.add(Op::BatchNorm(BatchNorm::new(C)), &[c], map)
            }
            3 => {
                // conv -> bn -> relu: one fused conv at -O2 (bn_fold, then conv_relu).
                let c = g.add(conv(C, 3, r.random_bool(0.3)), &[x], map);
                let bn = g.add(Op::BatchNorm(BatchNorm::new(C)), &[c], map);
                g.add(Op::RELU, &[bn], map)
            }
            4 => g.add(Op::BatchNorm(BatchNorm::new(C)), &[x], map),
            5 => g.add(Op::Identity(Identity), &[x], map),
            6 if r.random_bool(0.5) => g.add(Op::DropPath(DropPath { p: 0.2 }), &[x], map),
            6 => g.add(Op::Dropout(Dropout { p: 0.2 }), &[x], map),
            7 | 8 => {
                let k = r.random_range(1..4);
                let ins: Vec<NodeIndex> = (0..k).map(|_| pick(&mut r, &vals)).collect();
                let op = match r.random_range(0..4) {
                    0 => Op::Add(Add),
                    1 => Op::Mean(Mean),
                    2 => Op::WeightedSum(WeightedSum { inputs: k as u32 }),
                    _ => {
                        let cat = g.add(
                            Op::Concat(Concat),
                            &ins,
                            Shape::Map { c: C * k as u32, h: HW, w: HW },
                        );
                        vals.push(g.add(conv(C * k as u32, 1, false), &[cat], map));
                        continue;
                    }
                };
                g.add(op, &ins, map)
            }
            9 => g.add(Op::RELU, &[vals[r.random_range(0..vals.len())]], map),
            _ => {
                // A conv read twice: its batch norm must stay.
                let c = g.add(conv(C, 1, false), &[x], map);
                let bn = g.add(Op::BatchNorm(BatchNorm::new(C)), &[c], map);
                g.add(Op::Add(Add), &[bn, c], map)
            }
        };
        vals.push(v);
    }
    let last = *vals.last().unwrap_or(&input);
    with_head(g, input, last, seed)
}

/// The graph `g` closed by global pooling, a linear layer and the output, as an IR.
fn with_head(mut g: G, input: NodeIndex, last: NodeIndex, seed: u64) -> Ir {
    let pool = g.add(Op::GlobalAvgPool(GlobalAvgPool), &[last], Shape::Vec { c: C });
    let fc = g.add(
        Op::Linear(Linear { in_features: C, out_features: 3, bias: true }),
        &[pool],
        Shape::Vec { c: 3 },
    );
    let output = g.add(Op::Output(Output), &[fc], Shape::Vec { c: 3 });
    Ir {
        network: "random".into(),
        seed,
        input_shape: [3, HW, HW],
        classes: 3,
        params: Vec::new(),
        stages: Vec::new(),
        scopes: Vec::new(),
        wirings: Vec::new(),
        graph: g.g,
        input,
        output,
        folded: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn passes_preserve_random_graphs(seed in any::<u64>()) {
        let _rng = crate::device_rng();
        let ir0 = random_ir(seed);
        nasc_core::ir::verify::verify_with(&ir0, false).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let device = Device::flex();
        let m0 = randomise_norms(RuntimeModel::new(&ir0, &device), &device);
        let x = Tensor::<4>::random([2, 3, HW as usize, HW as usize], Distribution::Normal(0.0, 1.0), &device);
        let y0 = m0.forward(x.clone());
        for level in [1u8, 2] {
            let mut ir = ir0.clone();
            passes::run(&mut ir, &passes::level(level)).map_err(|e| TestCaseError::fail(format!("-O{level}: {e}")))?;
            prop_assert!(ir.graph.node_count() <= ir0.graph.node_count());
            let m = transfer(&ir0, &m0, &ir, &device).map_err(|e| TestCaseError::fail(format!("-O{level}: {e}")))?;
            let d = (y0.clone() - m.forward(x.clone())).abs().max().into_scalar::<f32>();
            prop_assert!(d < 1e-4, "seed {seed} -O{level}: outputs differ by {d}");
        }
    }
}

/// The passes are linear in the graph: a 100,000-node graph optimises in well under a second
/// (the timing is in crates/nasc-core/benches/pipeline.rs; this checks only that it completes and verifies).
#[test]
fn a_large_graph_optimises() {
    let _rng = crate::device_rng();
    let mut ir = random_chain(100_000);
    passes::run(&mut ir, &passes::level(2)).expect("verifies");
    assert!(ir.graph.node_count() < 100_000);
}

/// relu -> identity -> conv -> bn, repeated, with every relu duplicated: `n` nodes.
pub fn random_chain(n: usize) -> Ir {
    let map = Shape::Map { c: C, h: HW, w: HW };
    let mut g = G { g: DiGraph::new() };
    let input = g.add(Op::Input(Input), &[], Shape::Map { c: 3, h: HW, w: HW });
    let mut x = g.add(conv(3, 1, false), &[input], map);
    while g.g.node_count() + 9 < n {
        let a = g.add(Op::RELU, &[x], map);
        let b = g.add(Op::RELU, &[x], map);
        let s = g.add(Op::Add(Add), &[a, b], map);
        let i = g.add(Op::Identity(Identity), &[s], map);
        let c = g.add(conv(C, 1, false), &[i], map);
        x = g.add(Op::BatchNorm(BatchNorm::new(C)), &[c], map);
    }
    let pool = g.add(Op::GlobalAvgPool(GlobalAvgPool), &[x], Shape::Vec { c: C });
    let fc = g.add(
        Op::Linear(Linear { in_features: C, out_features: 3, bias: true }),
        &[pool],
        Shape::Vec { c: 3 },
    );
    let output = g.add(Op::Output(Output), &[fc], Shape::Vec { c: 3 });
    Ir {
        network: "chain".into(),
        seed: 0,
        input_shape: [3, HW, HW],
        classes: 3,
        params: Vec::new(),
        stages: Vec::new(),
        scopes: Vec::new(),
        wirings: Vec::new(),
        graph: g.g,
        input,
        output,
        folded: Vec::new(),
    }
}
