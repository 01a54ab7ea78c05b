//! Names in generated code: Rust identifiers from nasc names, field names from IR names.

use nasc_core::ir::{Node, Shape};

pub(super) const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

pub(super) fn snake(name: &str) -> String {
    let s = name.to_ascii_lowercase();
    if RUST_KEYWORDS.contains(&s.as_str()) || s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{s}_")
    } else {
        s
    }
}

pub(super) fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for ch in name.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

pub(super) fn tensor_ty(s: &Shape) -> &'static str {
    match s {
        Shape::Map { .. } => "Tensor<4>",
        Shape::Vec { .. } => "Tensor<2>",
    }
}

pub(super) fn group_digits(x: u64) -> String {
    nasc_core::stats::group(x).replace(',', "_")
}

/// Field name of an IR node inside its enclosing type, from its stable IR name.
pub(super) fn field_name(node: &Node, prefix: &str) -> String {
    let rest = node.name.strip_prefix(prefix).unwrap_or(&node.name).trim_start_matches('.');
    // "1.sep_conv.dw" -> "sep_conv1_dw"; "0.conv" -> "conv0"
    let mut parts = rest.split('.');
    let idx = parts.next().unwrap_or("0");
    let op = parts.next().unwrap_or("op");
    let sub: Vec<&str> = parts.collect();
    let mut f = format!("{op}{idx}");
    for s in sub {
        f.push('_');
        f.push_str(s);
    }
    snake(&f)
}
