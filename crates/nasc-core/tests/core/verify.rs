//! The IR verifier rejects malformed IR (it guards every pass and backend).

use nasc_core::ir::{Edge, Op, Shape, verify};
use petgraph::graph::NodeIndex;

fn ir() -> nasc_core::ir::Ir {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/randwire_ws_fmnist.nas"
    ))
    .unwrap();
    nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap()
}

#[test]
fn accepts_what_expansion_produces() {
    assert!(verify(&ir()).is_ok());
}

#[test]
fn rejects_a_back_edge() {
    let mut x = ir();
    // An edge from a later node to an earlier one would make a cycle.
    x.graph.add_edge(NodeIndex::new(20), NodeIndex::new(5), Edge { port: 1 });
    let e = verify(&x).unwrap_err();
    assert!(e.problem.contains("does not precede") || e.problem.contains("inputs"), "{e}");
}

#[test]
fn rejects_a_wrong_shape() {
    let mut x = ir();
    let n = NodeIndex::new(3);
    x.graph[n].shape = Shape::Map { c: 999, h: 1, w: 1 };
    assert!(verify(&x).unwrap_err().problem.contains("shape"));
}

#[test]
fn rejects_wrong_arity_and_dead_nodes() {
    let mut x = ir();
    let first_conv =
        x.graph.node_indices().find(|&n| matches!(x.graph[n].op, Op::Conv2d(_))).unwrap();
    x.graph.add_edge(x.input, first_conv, Edge { port: 1 });
    assert!(verify(&x).unwrap_err().problem.contains("inputs"));

    let mut y = ir();
    let shape = y.graph[y.input].shape;
    let dead = y.graph.add_node(nasc_core::ir::Node {
        op: Op::RELU,
        shape,
        stage: 0,
        span: Default::default(),
        name: "dead".into(),
        def: None,
        origin: Default::default(),
        scope: None,
    });
    y.graph.add_edge(y.input, dead, Edge { port: 0 });
    assert!(verify(&y).unwrap_err().problem.contains("dead node"));
}

#[test]
fn rejects_an_output_of_the_wrong_size() {
    let mut x = ir();
    x.classes = 7;
    assert!(verify(&x).unwrap_err().problem.contains("classes"));
}
