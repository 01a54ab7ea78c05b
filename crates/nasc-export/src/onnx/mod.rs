//! `nasc build --emit onnx`: the network as a standard ONNX model (opset 17, IR version 8),
//! written with the `onnx-protobuf` messages: input `input` [batch, C, H, W] with a symbolic
//! batch dimension, output `logits` [batch, classes], inference semantics (batch norms with
//! their running statistics, dropout removed, a learned wiring's top-K edge weights masked
//! once from its trained weights), every parameter an initializer named after its IR node.
//! Each op's lowering is its unit's ([`ops::OnnxOp`]).

pub mod ops;

use nasc_core::ir::{Ir, Op, Shape};
use nasc_core::weights::{Role, Weights};
use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{Dimension, dimension};
use onnx_protobuf::type_proto::{self, Tensor as TensorType};
use onnx_protobuf::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use ops::OnnxOp;
use petgraph::graph::NodeIndex;
use std::collections::{HashMap, HashSet};

/// The opset the model imports.
pub const OPSET: i64 = 17;
/// The ONNX IR version that goes with [`OPSET`].
pub const IR_VERSION: i64 = 8;

/// Why a network cannot be written as ONNX.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("the weights have no {role:?} tensor for `{node}`")]
    Missing { role: Role, node: String },
    #[error("node `{node}` ({op}) has no input")]
    NoInput { node: String, op: &'static str },
    #[error("cannot encode the ONNX model: {0}")]
    Encode(String),
}

/// A value in the graph: its name and its IR shape (without the batch dimension).
#[derive(Debug, Clone)]
pub struct Val {
    pub name: String,
    pub shape: Shape,
}

/// The graph being built: nodes, initializers and fresh names.
pub struct Builder<'a> {
    pub ir: &'a Ir,
    pub weights: &'a Weights,
    graph: GraphProto,
    taken: HashSet<String>,
    /// Names of the integer constants made so far, by value.
    ints: HashMap<Vec<i64>, String>,
}

impl<'a> Builder<'a> {
    fn new(ir: &'a Ir, weights: &'a Weights) -> Builder<'a> {
        let mut graph = GraphProto::new();
        graph.name = ir.network.clone();
        Builder { ir, weights, graph, taken: HashSet::new(), ints: HashMap::new() }
    }

    /// A fresh value name from `base` (an IR node name).
    pub fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}#{k}");
            k += 1;
        }
        name
    }

    /// Adds a node `op_type(inputs) -> output` named after `base`; returns the output name.
    pub fn node(
        &mut self,
        op_type: &str,
        base: &str,
        inputs: &[&str],
        attrs: Vec<AttributeProto>,
    ) -> String {
        let out = self.fresh(base);
        let mut n = NodeProto::new();
        n.op_type = op_type.to_string();
        n.name = out.clone();
        n.input = inputs.iter().map(|s| s.to_string()).collect();
        n.output = vec![out.clone()];
        n.attribute = attrs;
        self.graph.node.push(n);
        out
    }

    /// A float initializer named after `base`.
    pub fn floats(&mut self, base: &str, dims: &[usize], data: &[f32]) -> String {
        let name = self.fresh(base);
        let mut t = TensorProto::new();
        t.name = name.clone();
        t.data_type = DataType::FLOAT as i32;
        t.dims = dims.iter().map(|&d| d as i64).collect();
        t.raw_data = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.graph.initializer.push(t);
        name
    }

    /// An int64 initializer (shapes, axes, indices), made once per value; a scalar when
    /// `scalar`.
    pub fn ints(&mut self, values: &[i64], scalar: bool) -> String {
        let key: Vec<i64> = values.iter().copied().chain([scalar as i64]).collect();
        if let Some(n) = self.ints.get(&key) {
            return n.clone();
        }
        let base =
            if scalar { format!("const.{}", values[0]) } else { format!("const.{values:?}") };
        let name = self.fresh(&base.replace(' ', ""));
        let mut t = TensorProto::new();
        t.name = name.clone();
        t.data_type = DataType::INT64 as i32;
        t.dims = if scalar { Vec::new() } else { vec![values.len() as i64] };
        t.raw_data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.graph.initializer.push(t);
        self.ints.insert(key, name.clone());
        name
    }

    /// The tensor of `role` of IR node `n`.
    pub fn param(&self, n: NodeIndex, role: Role) -> Result<(Vec<usize>, Vec<f32>), OnnxError> {
        self.weights
            .get(n.index(), role)
            .map(|p| (p.shape.clone(), p.data.clone()))
            .ok_or_else(|| OnnxError::Missing { role, node: self.ir.graph[n].name.clone() })
    }

    /// `v` as a feature map [B, C, H, W] (a vector [B, C] gets two unit axes).
    pub fn as_map(&mut self, v: &Val) -> Val {
        match v.shape {
            Shape::Map { .. } => v.clone(),
            Shape::Vec { c } => {
                let axes = self.ints(&[2, 3], false);
                let name =
                    self.node("Unsqueeze", &format!("{}.map", v.name), &[&v.name, &axes], vec![]);
                Val { name, shape: Shape::Map { c, h: 1, w: 1 } }
            }
        }
    }

    /// `v` as a vector [B, C*H*W].
    pub fn as_vec(&mut self, v: &Val) -> Val {
        match v.shape {
            Shape::Vec { .. } => v.clone(),
            Shape::Map { .. } => {
                let name = self.node(
                    "Flatten",
                    &format!("{}.flat", v.name),
                    &[&v.name],
                    vec![int("axis", 1)],
                );
                Val { name, shape: Shape::Vec { c: v.shape.numel() as u32 } }
            }
        }
    }
}

/// An INT attribute.
pub fn int(name: &str, v: i64) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::INT.into();
    a.i = v;
    a
}

/// An INTS attribute.
pub fn ints(name: &str, v: &[i64]) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::INTS.into();
    a.ints = v.to_vec();
    a
}

/// A FLOAT attribute.
pub fn float(name: &str, v: f32) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::FLOAT.into();
    a.f = v;
    a
}

/// A TENSOR attribute holding one float (ConstantOfShape's value).
pub fn float_tensor(name: &str, v: f32) -> AttributeProto {
    let mut t = TensorProto::new();
    t.data_type = DataType::FLOAT as i32;
    t.dims = vec![1];
    t.float_data = vec![v];
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::TENSOR.into();
    a.t = Some(t).into();
    a
}

fn value_info(name: &str, dims: &[Option<u32>]) -> ValueInfoProto {
    let mut shape = TensorShapeProto::new();
    for d in dims {
        let mut dim = Dimension::new();
        dim.value = Some(match d {
            Some(v) => dimension::Value::DimValue(*v as i64),
            None => dimension::Value::DimParam("batch".into()),
        });
        shape.dim.push(dim);
    }
    let mut tt = TensorType::new();
    tt.elem_type = DataType::FLOAT as i32;
    tt.shape = Some(shape).into();
    let mut ty = TypeProto::new();
    ty.value = Some(type_proto::Value::TensorType(tt));
    let mut v = ValueInfoProto::new();
    v.name = name.to_string();
    v.type_ = Some(ty).into();
    v
}

/// The ONNX model of `ir` with `weights` (the parameters of every parameterised node, in
/// nasc-core's neutral layout), encoded. `source_name` goes into the model's doc string.
pub fn emit(ir: &Ir, weights: &Weights, source_name: &str) -> Result<Vec<u8>, OnnxError> {
    let mut b = Builder::new(ir, weights);
    b.taken.insert("input".into());
    b.taken.insert("logits".into());
    let mut vals: HashMap<NodeIndex, Val> = HashMap::new();
    for n in ir.topo_order() {
        let node = &ir.graph[n];
        let ins: Vec<Val> = ir.inputs(n).iter().filter_map(|i| vals.get(i).cloned()).collect();
        let v = match &node.op {
            Op::Input(_) => Val { name: "input".into(), shape: node.shape },
            op => op.lower(&mut b, n, &ins)?,
        };
        vals.insert(n, v);
    }
    let out = vals.get(&ir.output).cloned().ok_or_else(|| OnnxError::NoInput {
        node: ir.graph[ir.output].name.clone(),
        op: "output",
    })?;
    let out = b.as_vec(&out);
    let mut id = NodeProto::new();
    id.op_type = "Identity".into();
    id.name = "logits".into();
    id.input = vec![out.name];
    id.output = vec!["logits".into()];
    b.graph.node.push(id);
    let [c, h, w] = ir.input_shape;
    b.graph.input.push(value_info("input", &[None, Some(c), Some(h), Some(w)]));
    b.graph.output.push(value_info("logits", &[None, Some(ir.classes)]));
    let mut model = ModelProto::new();
    model.ir_version = IR_VERSION;
    model.producer_name = "nasc".into();
    model.producer_version = env!("CARGO_PKG_VERSION").into();
    model.doc_string = format!(
        "network {} (seed {}) from {source_name}; fingerprint {}",
        ir.network,
        ir.seed,
        ir.fingerprint()
    );
    let mut opset = OperatorSetIdProto::new();
    opset.domain = String::new();
    opset.version = OPSET;
    model.opset_import.push(opset);
    model.graph = Some(b.graph).into();
    model.write_to_bytes().map_err(|e| OnnxError::Encode(e.to_string()))
}
