//! Stages and the model type: a sequential stage is one type with one field per layer and
//! a straight-line forward; a stage that is a single random graph is the graph's type.

use super::Gen;
use super::graph::{GraphSite, Graphs, is_graph};
use super::names::{field_name, group_digits, snake, tensor_ty};
use super::{module_type, slots, statement};
use crate::ops::BurnOp;
use nasc_core::ir::Shape;
use petgraph::graph::NodeIndex;
use std::collections::BTreeMap;
use std::fmt::Write;

impl Gen<'_> {
    /// One stage: returns (model field, type name, code, output shape).
    pub(super) fn emit_stage(
        &mut self,
        si: usize,
        ops: &BTreeMap<u32, Vec<NodeIndex>>,
        graphs: &Graphs,
        stage_in: Shape,
    ) -> (String, String, String, Shape) {
        let ir = self.ir;
        let info = &ir.stages[si];
        let stype = self.fresh_type(&info.name);
        let sfield = snake(&info.name);
        let mut shape_in = stage_in;
        let mut fields: Vec<(String, String, String)> = Vec::new(); // (field, type, init)
        let mut body: Vec<String> = Vec::new();
        let mut graph_types = String::new();
        let sole_graph = ops.len() == 1 && ops.values().all(|ns| is_graph(ir, ns));
        for (oi, nodes) in ops {
            let Some((gnodes, out_mean)) = graphs.get(&(si, *oi)) else {
                shape_in = self
                    .sequential_op(nodes, &sfield, &info.name, &mut fields, &mut body)
                    .unwrap_or(shape_in);
                continue;
            };
            let gidx = ops.range(..*oi).filter(|(_, ns)| is_graph(ir, ns)).count();
            let gtype = if sole_graph {
                stype.clone()
            } else {
                self.fresh_type(&format!("{}_graph{oi}", info.name))
            };
            let gfield = format!("graph{oi}");
            let path_prefix =
                if sole_graph { sfield.clone() } else { format!("{sfield}.{gfield}") };
            let site = GraphSite {
                si,
                oi: *oi,
                gtype: gtype.clone(),
                path_prefix,
                sole_graph,
                ginfo: info.graphs.get(gidx),
            };
            let eg = self.emit_graph(&site, gnodes, *out_mean, shape_in);
            let out_shape = eg.out_shape;
            graph_types += &eg.code;
            if !sole_graph {
                fields.push((gfield.clone(), gtype.clone(), format!("{gtype}::new(device)")));
                body.push(format!("let x = self.{gfield}.forward(x); // {out_shape}"));
            }
            shape_in = out_shape;
        }
        let mut stage_code = String::new();
        if !sole_graph {
            let s = &self.st.stages[si];
            let _ = writeln!(
                stage_code,
                "/// Stage `{}`: input {stage_in} -> output {shape_in}; {} parameters.",
                info.name,
                nasc_core::stats::group(s.counts.params)
            );
            let _ = writeln!(stage_code, "#[derive(Module, Debug)]\npub struct {stype} {{");
            for (f, t, _) in &fields {
                let _ = writeln!(stage_code, "    pub {f}: {t},");
            }
            let _ = writeln!(stage_code, "}}\n\nimpl {stype} {{");
            let dev = if fields.is_empty() { "_device" } else { "device" };
            let _ =
                writeln!(stage_code, "    pub fn new({dev}: &Device) -> Self {{\n        Self {{");
            for (f, _, init) in &fields {
                let _ = writeln!(stage_code, "            {f}: {init},");
            }
            let _ = writeln!(stage_code, "        }}\n    }}\n");
            let _ = writeln!(
                stage_code,
                "    pub fn forward(&self, x: {}) -> {} {{",
                tensor_ty(&stage_in),
                tensor_ty(&shape_in)
            );
            for l in &body {
                let _ = writeln!(stage_code, "        {l}");
            }
            super::helpers::finish_forward(&mut stage_code);
        }
        stage_code += &graph_types;
        (sfield, stype, stage_code, shape_in)
    }

    /// The layers of one non-graph op of a sequential stage: fields and forward lines.
    /// Returns the output shape of its last node.
    fn sequential_op(
        &mut self,
        nodes: &[NodeIndex],
        sfield: &str,
        sname: &str,
        fields: &mut Vec<(String, String, String)>,
        body: &mut Vec<String>,
    ) -> Option<Shape> {
        let ir = self.ir;
        let mut shape = None;
        for &n in nodes {
            let node = &ir.graph[n];
            node.op.needs(&mut self.needs);
            let f = field_name(node, sname);
            if let Some(ty) = module_type(&node.op) {
                let s: Vec<String> =
                    slots(&node.op).iter().map(|s| s.value().to_string()).collect();
                fields.push((f.clone(), ty.into(), node.op.init(&s)));
                self.weight_paths.push((n.index(), format!("{sfield}.{f}")));
            }
            let line = statement(&node.op, &f);
            if !line.is_empty() {
                body.push(format!("{line} // {}", node.shape));
            }
            shape = Some(node.shape);
        }
        shape
    }

    /// The file header, imports and the model type chaining the stages.
    pub(super) fn header(
        &self,
        source_name: &str,
        model_type: &str,
        model_fields: &[(String, String, String)],
        wiring: Option<Vec<String>>,
    ) -> String {
        let ir = self.ir;
        let st = &self.st;
        let mut out = String::new();
        let out = &mut out;
        let _ = writeln!(
            out,
            "// @generated by nasc {} from {source_name} — do not edit; regenerate with",
            env!("CARGO_PKG_VERSION")
        );
        let params: Vec<String> = ir.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(
            out,
            "// `nasc build {source_name} --emit burn`{}.",
            if params.is_empty() { String::new() } else { format!(" ({})", params.join(", ")) }
        );
        let _ = writeln!(out);
        out.push_str(&self.needs.imports_code());
        out.push('\n');
        let [c, h, w] = ir.input_shape;
        let _ = writeln!(
            out,
            "/// Network `{}`: input [{c}, {h}, {w}] -> {} classes.",
            ir.network, ir.classes
        );
        let _ = writeln!(
            out,
            "///\n/// {} parameters, {} multiply-adds per image, seed {}.",
            nasc_core::stats::group(st.params),
            nasc_core::stats::group(st.flops),
            ir.seed
        );
        if let Some(d) = &st.dense {
            let _ = writeln!(
                out,
                "/// Learned wiring: the counts above are the chosen edges'; it trains over {} parameters ({} multiply-adds).",
                nasc_core::stats::group(d.params),
                nasc_core::stats::group(d.flops)
            );
        }
        let _ = writeln!(out, "#[derive(Module, Debug)]\npub struct {model_type} {{");
        for (f, t, _) in model_fields {
            let _ = writeln!(out, "    pub {f}: {t},");
        }
        let _ = writeln!(out, "}}\n\nimpl {model_type} {{");
        let _ = writeln!(
            out,
            "    /// Number of parameters (as counted by `nasc stats`).\n    pub const PARAMS: usize = {};\n",
            group_digits(st.dense.as_ref().map_or(st.params, |d| d.params))
        );
        let _ = writeln!(out, "    pub fn new(device: &Device) -> Self {{\n        Self {{");
        for (f, _, init) in model_fields {
            let _ = writeln!(out, "            {f}: {init},");
        }
        let _ = writeln!(out, "        }}\n    }}\n");
        let _ = writeln!(
            out,
            "    /// Logits [batch, {}] for images [batch, {c}, {h}, {w}].",
            ir.classes
        );
        let _ = writeln!(out, "    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {{");
        if let Some(lines) = wiring {
            for l in lines {
                let _ = writeln!(out, "        {l}");
            }
            out.push_str("    }\n}\n\n");
            return out.clone();
        }
        for (f, _, _) in model_fields {
            let _ = writeln!(out, "        let x = self.{f}.forward(x);");
        }
        super::helpers::finish_forward(out);
        out.clone()
    }
}
