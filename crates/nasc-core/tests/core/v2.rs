//! Language v2: published figures of the paper specs, the standard library, blocks, cells
//! and motifs (round trip of a motif genotype through spec text).

use std::path::PathBuf;

fn root() -> PathBuf {
    nasc_test_support::root()
}

fn compile(src: &str) -> nasc_core::ir::Ir {
    let c = nasc_core::compile(src, &Default::default()).unwrap();
    let errors: Vec<String> =
        c.diags.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    c.ir.unwrap_or_else(|| panic!("does not compile: {errors:?}"))
}

fn spec(name: &str) -> nasc_core::stats::Stats {
    nasc_core::stats::stats(&compile(&std::fs::read_to_string(root().join(name)).unwrap()))
}

fn within(x: u64, published: f64, tol: f64) -> bool {
    ((x as f64 - published) / published).abs() <= tol
}

#[test]
fn nasnet_a_mobile_matches_the_paper() {
    let s = spec("specs/nasnet_a_mobile.nas");
    // Zoph et al. 2018, Table 2: 5.3M parameters, 564M multiply-adds (within 3%).
    assert!(within(s.params, 5.3e6, 0.03), "params {}", s.params);
    assert!(within(s.flops, 564e6, 0.03), "mult-adds {}", s.flops);
    assert_eq!(
        (s.params, s.flops),
        (5_289_978, 563_638_816),
        "the count changed: review the spec and the cell expansion"
    );
}

#[test]
fn darts_v2_matches_the_paper() {
    let c = spec("specs/darts_v2_cifar.nas");
    // Liu et al. 2019, Table 1: 3.3M parameters on CIFAR-10 (within 2%).
    assert!(within(c.params, 3.3e6, 0.02), "params {}", c.params);
    assert_eq!(c.params, 3_349_342);
    let i = spec("specs/darts_v2_imagenet.nas");
    // Table 2: 4.7M parameters in the ImageNet mobile setting (within 2%).
    assert!(within(i.params, 4.7e6, 0.02), "params {}", i.params);
    assert_eq!(i.params, 4_718_752);
    // Per-cell rows: 20 cells, the two reductions at L/3 and 2L/3, filters doubled there.
    let cells = &c.stages.iter().find(|s| s.name == "cells").unwrap().cells;
    assert_eq!(cells.len(), 20);
    let reduce: Vec<usize> =
        cells.iter().enumerate().filter(|(_, x)| x.kind == "reduce").map(|(i, _)| i).collect();
    assert_eq!(reduce, [6, 13]);
    assert_eq!(cells[6].args, "C=72");
    assert_eq!(
        cells.iter().map(|x| x.counts.params).sum::<u64>(),
        c.stages.iter().find(|s| s.name == "cells").unwrap().counts.params
    );
}

#[test]
fn every_standard_library_block_instantiates() {
    for (name, file) in nasc_core::check::std_modules() {
        let file = file
            .as_ref()
            .unwrap_or_else(|d| panic!("std/{name}.nas does not parse: {}", d.message));
        for item in &file.items {
            let nasc_core::syntax::Item::Block(b) = item else { continue };
            // Required parameters get C = 16 (and stride 1), op parameters `identity`.
            let args: Vec<String> = b
                .params
                .iter()
                .filter(|p| p.default.is_none())
                .map(|p| if p.ty.name == "op" { "identity" } else { "16" }.to_string())
                .collect();
            let src = format!(
                "import {name}\nnetwork n() {{ input [16, 16, 16] classes 10 stage s = {}({}) -> global_avg_pool -> linear(classes) }}",
                b.name.name,
                args.join(", ")
            );
            let c = nasc_core::compile(&src, &Default::default()).unwrap();
            assert!(
                c.ir.is_some(),
                "std/{name}.nas: `{}` does not instantiate: {:?}",
                b.name.name,
                c.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn motif_genotypes_print_back_to_the_same_network() {
    for name in
        ["specs/hierarchical.nas", "specs/flat_motif.nas", "examples/hierarchical_fmnist.nas"]
    {
        let src = std::fs::read_to_string(root().join(name)).unwrap();
        let compiled = nasc_core::compile(&src, &Default::default()).unwrap();
        let ir = compiled.ir.clone().unwrap();
        assert!(!compiled.motifs().is_empty(), "{name}: no motifs printed");
        // Remove the file's motif definitions and put the printed ones in their place.
        let file = nasc_core::syntax::parse(&src).unwrap();
        let mut rest = src.clone();
        let mut spans: Vec<(usize, usize)> = file
            .items
            .iter()
            .filter_map(|i| match i {
                nasc_core::syntax::Item::Let(l) if matches!(&l.value.kind, nasc_core::syntax::ExprKind::Call { callee, .. } if callee.name == "motif") => Some((l.span.start, l.span.end)),
                _ => None,
            })
            .collect();
        spans.sort();
        for (a, b) in spans.into_iter().rev() {
            rest.replace_range(a..b, "");
        }
        let again = format!("{}\n{rest}", compiled.motifs());
        let ir2 = compile(&again);
        assert_eq!(
            ir.fingerprint(),
            ir2.fingerprint(),
            "{name}: printed motifs build another network:\n{again}"
        );
        // And printing is stable.
        assert_eq!(
            nasc_core::compile(&again, &Default::default()).unwrap().motifs(),
            compiled.motifs()
        );
    }
}

#[test]
fn a_mutated_genotype_is_another_network() {
    let src = std::fs::read_to_string(root().join("specs/hierarchical.nas")).unwrap();
    let mutated = src.replacen(
        "(0, 1, conv_1x1), (0, 2, sep_conv_3x3)",
        "(0, 1, avg_pool_3x3), (0, 2, sep_conv_3x3)",
        1,
    );
    assert_ne!(src, mutated);
    assert_ne!(compile(&src).fingerprint(), compile(&mutated).fingerprint());
}

const NET: &str = "network n(C: int = 8) { input [3, 16, 16] classes 10 stage stem = conv(3x3, C) stage s = BODY stage head = global_avg_pool -> linear(classes) }";

fn with_body(defs: &str, body: &str) -> nasc_core::ir::Ir {
    compile(&format!("{defs}\n{}", NET.replace("BODY", body)))
}

#[test]
fn residual_projects_only_when_the_shape_changes() {
    let count = |ir: &nasc_core::ir::Ir| {
        ir.graph.node_weights().filter(|n| n.name.contains(".proj.")).count()
    };
    assert_eq!(count(&with_body("", "residual(conv(3x3) -> bn)")), 0);
    let ir = with_body("", "residual(conv(3x3, 2 * C, stride=2) -> bn)");
    assert_eq!(count(&ir), 2, "1x1 conv + BN");
    assert!(ir.graph.node_weights().any(|n| matches!(
        n.op,
        nasc_core::ir::Op::Conv2d(nasc_core::ir::ops::Conv2d {
            kernel: [1, 1],
            stride: 2,
            in_channels: 8,
            out_channels: 16,
            ..
        })
    )));
    // An explicit shortcut replaces the projection.
    assert_eq!(
        count(&with_body(
            "",
            "residual(conv(3x3, 2 * C, stride=2) -> bn, shortcut=avg_pool(2x2) -> conv(1x1, 2 * C))"
        )),
        0
    );
}

#[test]
fn repeat_with_a_different_first_repetition() {
    let ir = with_body("import blocks", "repeat(3, basic(2 * C), first=basic(2 * C, stride=2))");
    let blocks: Vec<&nasc_core::ir::Scope> =
        ir.scopes.iter().filter(|s| s.def == "blocks.basic").collect();
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].args, "C=16, stride=2");
    assert_eq!(blocks[1].args, "C=16");
}

#[test]
fn multi_input_blocks_take_a_list_of_tensors() {
    let defs = "block join(C: int) { input a, b  output concat(a, b -> conv(1x1, C)) -> conv(1x1, C) }\nblock two(C: int) { input x  let y = x -> conv(3x3, C)  output [x, y] -> join(C) }";
    let ir = with_body(defs, "two(C)");
    assert!(ir.graph.node_weights().any(|n| matches!(n.op, nasc_core::ir::Op::Concat(_))));
    // A one-input block fed two tensors is an error.
    let c = nasc_core::compile(&format!("block one(C: int) {{ input x  output x -> conv(1x1, C) }}\nblock bad(C: int) {{ input x  output [x, x] -> one(C) }}\n{}", NET.replace("BODY", "bad(C)")), &Default::default()).unwrap();
    assert!(c.diags.iter().any(|d| d.code == nasc_core::diag::Code::BlockForm));
}

#[test]
fn conditions_and_lists() {
    let ir = with_body(
        "block pick(C: int, stride: int = 1) { input x  output x -> if(stride > 1, identity, conv(1x1, C)) }",
        "pick(C)",
    );
    let _ = ir;
    let ir = with_body(
        "block pick(C: int, stride: int = 1) { input x  output x -> if(stride != 1, max_pool(2x2), conv(1x1, C)) }",
        "pick(C, stride=2)",
    );
    assert!(ir.graph.node_weights().any(|n| matches!(n.op, nasc_core::ir::Op::MaxPool2d(_))));
}

#[test]
fn cells_in_both_conventions_swap_state_indices() {
    // Ops of this file (looked up before either library), so only the numbering differs.
    let defs = "block opa(C: int, stride: int = 1) { input x  output x -> conv(3x3, C, stride=stride) }\nblock opb(C: int, stride: int = 1) { input x  output x -> max_pool(3x3, stride=stride, padding=1) -> conv(1x1, C) }";
    let darts = "Genotype(normal=[('opa', 0), ('opb', 1), ('opa', 2), ('opb', 0)], reduce=[('opa', 1), ('opb', 1), ('opb', 2), ('opa', 0)])";
    let tf = "Genotype(normal=[('opa', 1), ('opb', 0), ('opa', 2), ('opb', 1)], reduce=[('opa', 0), ('opb', 0), ('opb', 2), ('opa', 1)])";
    let body = |g: &str, conv: &str| {
        format!("[stem, stem] -> cells({g}, convention={conv}, layout=[normal(C), reduce(2 * C)])")
    };
    let ops = |ir: &nasc_core::ir::Ir| {
        let mut v: Vec<String> = ir
            .scopes
            .iter()
            .filter(|s| s.def == "opa" || s.def == "opb")
            .map(|s| format!("{} {}", s.def, s.args))
            .collect();
        v.sort();
        v
    };
    let a = with_body(defs, &body(darts, "darts"));
    let c = with_body(defs, &body(tf, "tf_slim"));
    // The same ops with the same strides: in the reduction cell exactly the ops reading a
    // cell input stride, whichever numbering named that input.
    assert_eq!(ops(&a), ops(&c));
    assert_eq!(ops(&a).iter().filter(|s| s.ends_with("stride=2")).count(), 3);
    // The same text read under the other convention is another network.
    let b = with_body(defs, &body(tf, "darts"));
    assert_ne!(a.fingerprint(), b.fingerprint());
}
