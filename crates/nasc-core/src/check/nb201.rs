//! NAS-Bench-201's published cell encoding, accepted verbatim: `nb201_cell(arch)` with
//! `arch` = `|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|`
//! (xautodl's `Structure` string: one `+`-separated group per node 1..3, each listing
//! `|op~input|` for inputs 0..node-1 in order) is the standard library's `nb201.cell` with
//! those six ops. A malformed string is E031, naming the node and edge and what was expected.

use super::Checker;
use super::args::Args;
use super::blocks::std_block;
use super::value::Value;
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::{Ident, Span};

/// The candidate ops of an edge, as the benchmark names them (std/nb201.nas's blocks).
pub const OPS: [&str; 5] = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];

/// The six edge ops of an arch string in the order `nb201.cell` takes them (e1_0, e2_0,
/// e2_1, e3_0, e3_1, e3_2), or what is wrong with it.
pub fn parse_arch(arch: &str) -> Result<Vec<String>, String> {
    let groups: Vec<&str> = arch.trim().split('+').collect();
    if groups.len() != 3 {
        return Err(format!(
            "an arch string has 3 `+`-separated node groups (nodes 1, 2, 3), found {}",
            groups.len()
        ));
    }
    let mut ops = Vec::with_capacity(6);
    for (j, g) in groups.iter().enumerate() {
        let node = j + 1;
        let inner = g
            .strip_prefix('|')
            .and_then(|g| g.strip_suffix('|'))
            .ok_or_else(|| format!("node {node}'s group `{g}` must start and end with `|`"))?;
        let edges: Vec<&str> = inner.split('|').collect();
        if edges.len() != node {
            return Err(format!(
                "node {node} has one edge from each earlier node ({node} edges), found {} in `{g}`",
                edges.len()
            ));
        }
        for (i, e) in edges.iter().enumerate() {
            let (op, from) = e
                .split_once('~')
                .ok_or_else(|| format!("edge {i} -> {node} `{e}` must be `op~{i}`"))?;
            if from.parse::<usize>().ok() != Some(i) {
                return Err(format!(
                    "edge {i} -> {node} `{e}` must come from node {i} (`{op}~{i}`), in order"
                ));
            }
            if !OPS.contains(&op) {
                let hint =
                    suggest(op, OPS.iter().copied()).map(|h| format!(" ({h})")).unwrap_or_default();
                return Err(format!(
                    "edge {i} -> {node}: `{op}` is not a NAS-Bench-201 op{hint}; the ops are {}",
                    OPS.join(", ")
                ));
            }
            ops.push(op.to_string());
        }
    }
    Ok(ops)
}

/// `nb201_cell(arch)`.
pub(super) fn nb201_cell<'a>(cx: &mut Checker<'a>, a: &Args, span: Span) -> Value {
    let Some((v, s)) = a.get(0).cloned() else { return Value::Poison };
    let Value::Str(arch) = v else { return Value::Poison };
    let ops = match parse_arch(&arch) {
        Ok(ops) => ops,
        Err(msg) => {
            return cx.err(
                Diagnostic::error(Code::Genotype, s, format!("invalid NAS-Bench-201 arch string: {msg}"))
                    .label("this arch string")
                    .help("e.g. |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"),
            );
        }
    };
    let mut vals = Vec::with_capacity(ops.len());
    for op in &ops {
        let Some(entry) = std_block("nb201", op) else { return Value::Poison };
        let id = Ident { name: op.clone(), span: s };
        vals.push((cx.instantiate_values(entry, &id, &[], &[], &[], s), s));
    }
    let Some(cell) = std_block("nb201", "cell") else { return Value::Poison };
    let id = Ident { name: "cell".into(), span };
    let named = vec![None; vals.len()];
    let kw = vec![s; vals.len()];
    cx.instantiate_values(cell, &id, &vals, &named, &kw, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_strings_parse_or_say_what_is_wrong() {
        let best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
        assert_eq!(parse_arch(best).unwrap()[3], "skip_connect");
        let err = |s: &str| parse_arch(s).unwrap_err();
        assert!(err("|none~0|+|none~0|none~1|").contains("3 `+`-separated"));
        assert!(err("|none~0|+|none~0|+|none~0|none~1|none~2|").contains("node 2 has"));
        assert!(err("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|").contains("edge 1 -> 2"));
        assert!(
            err("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
                .contains("not a NAS-Bench-201 op")
        );
        assert!(err("none~0|+|none~0|none~1|+|none~0|none~1|none~2|").contains("start and end"));
    }
}
