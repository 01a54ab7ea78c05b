//! The language features, from an [`Analysis`]: diagnostics, hover, go to definition, find
//! references, completion, document symbols, folding ranges and formatting.

use super::analysis::{Analysis, Def, DefKind};
use super::position::Lines;
use lsp_types::*;
use nasc_core::diag::Severity;
use nasc_core::syntax::Span;

/// The compiler's diagnostics as LSP diagnostics: code, range, severity, help appended to the
/// message, related spans as related information.
pub fn diagnostics(a: &Analysis, uri: &Uri) -> Vec<Diagnostic> {
    let lines = Lines::new(&a.text);
    let mut out: Vec<Diagnostic> = a
        .compiled
        .diags
        .iter()
        .map(|d| {
            let range = d.span.map_or_else(Range::default, |s| lines.range(s.start, s.end));
            let mut message = d.message.clone();
            if !d.label.is_empty() && d.span.is_some() {
                message += &format!(" ({})", d.label);
            }
            if let Some(h) = &d.help {
                message += &format!("\nhelp: {h}");
            }
            let related: Vec<DiagnosticRelatedInformation> = d
                .related
                .iter()
                .map(|(s, l)| DiagnosticRelatedInformation {
                    location: Location { uri: uri.clone(), range: lines.range(s.start, s.end) },
                    message: l.clone(),
                })
                .collect();
            Diagnostic {
                range,
                severity: Some(if d.severity == Severity::Warning {
                    DiagnosticSeverity::WARNING
                } else {
                    DiagnosticSeverity::ERROR
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_string())),
                source: Some("nasc".into()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            }
        })
        .collect();
    if let Some(e) = &a.internal {
        out.push(Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("nasc".into()),
            message: e.clone(),
            ..Default::default()
        });
    }
    out
}

/// A parameter value as the spec would write it.
fn shown(v: &nasc_core::check::Value) -> String {
    use nasc_core::check::Value;
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        other => nasc_core::check::describe(other),
    }
}

fn md(value: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: None,
    }
}

/// Parameters and multiply-adds of the IR nodes that came from `span` (and their shape).
fn ir_summary(a: &Analysis, inside: impl Fn(Span) -> bool) -> Option<String> {
    let ir = a.compiled.ir.as_ref()?;
    let (mut n, mut params, mut flops, mut last) = (0usize, 0u64, 0u64, None);
    for node in ir.graph.node_weights().filter(|x| inside(x.span)) {
        n += 1;
        params += node.op.params();
        flops += node.op.flops(&node.shape);
        last = Some(node.shape.to_string());
    }
    (n > 0).then(|| {
        format!(
            "{n} IR node{}, output {}, {} params, {} multiply-adds",
            if n == 1 { "" } else { "s" },
            last.unwrap_or_default(),
            nasc_core::stats::group(params),
            nasc_core::stats::group(flops)
        )
    })
}

/// The instances of a block or motif `name` in the IR: how many, and the first one's output
/// shape, parameters and multiply-adds.
fn instances(a: &Analysis, name: &str) -> Option<String> {
    let ir = a.compiled.ir.as_ref()?;
    // For each node, the outermost enclosing scope that is an instance of `name`.
    let mut per: std::collections::BTreeMap<u32, (u64, u64, String)> =
        std::collections::BTreeMap::new();
    for n in ir.graph.node_weights() {
        let (mut sc, mut found) = (n.scope, None);
        while let Some(i) = sc {
            let Some(scope) = ir.scopes.get(i as usize) else { break };
            if scope.def == name {
                found = Some(i);
            }
            sc = scope.parent;
        }
        if let Some(i) = found {
            let e = per.entry(i).or_insert((0, 0, String::new()));
            e.0 += n.op.params();
            e.1 += n.op.flops(&n.shape);
            e.2 = n.shape.to_string();
        }
    }
    let (first, (p, f, shape)) = per.iter().next()?;
    let scope = &ir.scopes[*first as usize];
    let args = if scope.args.is_empty() { String::new() } else { format!("({})", scope.args) };
    Some(format!(
        "\n\n{} instance{} in the network; `{}`{args}: output {shape}, {} params, {} multiply-adds",
        per.len(),
        if per.len() == 1 { "" } else { "s" },
        scope.name,
        nasc_core::stats::group(*p),
        nasc_core::stats::group(*f)
    ))
}

/// Hover: a name's definition and value (a parameter's type, default, domain and value; a
/// stage's shape, parameters and multiply-adds; a definition's text and what it expands to; a
/// built-in's signature); elsewhere, what the IR nodes of the innermost construct compute.
pub fn hover(a: &Analysis, offset: usize) -> Option<Hover> {
    if let Some(d) = a.def_at(offset) {
        return Some(md(definition_hover(a, &a.defs[d])));
    }
    if let Some((name, _)) = a.name_at(offset)
        && let Some(text) = builtin_hover(a, name, offset)
    {
        return Some(md(text));
    }
    // The innermost span of IR nodes around the cursor.
    let ir = a.compiled.ir.as_ref()?;
    let best = ir
        .graph
        .node_weights()
        .filter(|n| n.span.start <= offset && offset <= n.span.end && n.span.end > n.span.start)
        .map(|n| n.span)
        .min_by_key(|s| s.end - s.start)?;
    let summary = ir_summary(a, |s| s == best)?;
    Some(md(format!(
        "`{}`\n\n{summary}{}",
        a.source(best).chars().take(120).collect::<String>(),
        graphs_at(a, best.start)
    )))
}

/// The hover of a definition, by kind.
fn definition_hover(a: &Analysis, def: &Def) -> String {
    let text = a.source(def.full);
    let head = |t: &str| t.split('{').next().unwrap_or(t).trim().to_string();
    match def.kind {
        DefKind::Param => param_hover(a, def, text),
        DefKind::Stage => stage_hover(a, def),
        DefKind::Network => {
            let total = a.compiled.ir.as_ref().map(nasc_core::stats::stats).map(|s| {
                format!(
                    "\n\n{} params, {} multiply-adds, {} stages",
                    nasc_core::stats::group(s.params),
                    nasc_core::stats::group(s.flops),
                    s.stages.len()
                )
            });
            format!("**network** `{}`{}", head(text), total.unwrap_or_default())
        }
        DefKind::Block => {
            format!("**block** `{}`{}", head(text), instances(a, &def.name).unwrap_or_default())
        }
        DefKind::Input => format!("**block input** `{}`", def.name),
        DefKind::Preset => preset_hover(a, def, text),
        DefKind::Let => let_hover(a, def, text),
    }
}

/// A parameter: its declaration, value and domain.
fn param_hover(a: &Analysis, def: &Def, text: &str) -> String {
    let net = a.compiled.network.as_ref();
    let v = net
        .and_then(|n| n.params.iter().find(|(k, _)| *k == def.name))
        .map(|(_, v)| format!("\n\nvalue: `{}`", shown(v)));
    let space = net
        .and_then(|n| n.space.iter().find(|p| p.name == def.name))
        .map(|p| format!("\n\ndomain: `{}` (searchable)", p.domain.describe()));
    format!("**parameter** `{text}`{}{}", v.unwrap_or_default(), space.unwrap_or_default())
}

/// A preset: its values, and the network it gives (compiled with it).
fn preset_hover(a: &Analysis, def: &Def, text: &str) -> String {
    let network = a.file.as_ref().and_then(|f| {
        f.items.iter().find_map(|i| match i {
            nasc_core::syntax::Item::Network(n)
                if n.presets.iter().any(|p| p.name.span == def.span) =>
            {
                Some(n.name.name.clone())
            }
            _ => None,
        })
    });
    let opts =
        nasc_core::check::Options { network, preset: Some(def.name.clone()), ..Default::default() };
    let counts = nasc_core::compile(&a.text, &opts).ok().and_then(|c| c.ir).map(|ir| {
        let s = nasc_core::stats::stats(&ir);
        format!(
            "\n\n{} params, {} multiply-adds (`nasc stats FILE --preset {}`)",
            nasc_core::stats::group(s.params),
            nasc_core::stats::group(s.flops),
            def.name
        )
    });
    format!("**preset** `{}`{}", text.trim(), counts.unwrap_or_default())
}

/// A stage: its output shape, parameters, multiply-adds and IR nodes.
fn stage_hover(a: &Analysis, def: &Def) -> String {
    let stats = a.compiled.ir.as_ref().map(nasc_core::stats::stats);
    let st = stats.as_ref().and_then(|s| s.stages.iter().find(|x| x.name == def.name));
    let shape = a.compiled.ir.as_ref().and_then(|ir| {
        let idx = ir.stages.iter().position(|s| s.name == def.name)?;
        ir.graph.node_weights().filter(|n| n.stage == idx).last().map(|n| n.shape.to_string())
    });
    let info = st.map(|s| {
        format!(
            "\n\noutput {}, {} params, {} multiply-adds, {} IR nodes",
            shape.unwrap_or_default(),
            nasc_core::stats::group(s.counts.params),
            nasc_core::stats::group(s.counts.flops),
            s.nodes
        )
    });
    format!(
        "**stage** `{}`{}",
        def.name,
        info.unwrap_or_else(|| "\n\n(not compiled: fix the errors first)".into())
    )
}

/// A `let`: its text and what it expands to (instances, or the IR nodes it makes).
fn let_hover(a: &Analysis, def: &Def, text: &str) -> String {
    let shown: String = text.chars().take(400).collect();
    let nodes =
        ir_summary(a, |s| def.full.start <= s.start && s.end <= def.full.end).or_else(|| {
            a.compiled
                .ir
                .as_ref()
                .map(|ir| {
                    ir.graph
                        .node_weights()
                        .filter(|n| n.def.as_deref() == Some(def.name.as_str()))
                        .count()
                })
                .filter(|&n| n > 0)
                .map(|n| format!("used by {n} IR nodes"))
        });
    let nodes = instances(a, &def.name).or(nodes.map(|n| format!("\n\n{n}")));
    format!("**definition**\n```nas\n{shown}\n```{}", nodes.unwrap_or_default())
}

/// A built-in op or function (its signature; the graphs a generator drew) or a
/// standard-library block (its instances).
fn builtin_hover(a: &Analysis, name: &str, offset: usize) -> Option<String> {
    if let Some((_, sig, _)) = nasc_core::check::signatures().find(|(n, _, _)| *n == name) {
        let graphs = if matches!(name, "WS" | "ER" | "BA" | "graph" | "random") {
            graphs_at(a, offset)
        } else {
            String::new()
        };
        return Some(format!("**built-in** `{sig}`{graphs}"));
    }
    let in_std = nasc_core::check::std_modules().iter().any(|(_, m)| {
        m.as_ref().is_ok_and(|f| {
            f.items
                .iter()
                .any(|i| matches!(i, nasc_core::syntax::Item::Block(b) if b.name.name == name))
        })
    });
    in_std.then(|| {
        format!(
            "**standard-library block** `{name}` (std/*.nas){}",
            instances(a, name).unwrap_or_default()
        )
    })
}

/// The random graphs drawn for the stage around `offset`: nodes, edges, seed.
fn graphs_at(a: &Analysis, offset: usize) -> String {
    let Some(ir) = a.compiled.ir.as_ref() else { return String::new() };
    ir.stages
        .iter()
        .filter(|s| s.span.start <= offset && offset <= s.span.end)
        .flat_map(|s| s.graphs.iter())
        .map(|g| {
            format!("\n\nrandom graph: {} nodes, {} edges (seed {})", g.nodes, g.edges, g.seed)
        })
        .collect()
}

pub fn definition(a: &Analysis, offset: usize) -> Option<Span> {
    a.def_at(offset).map(|d| a.defs[d].span)
}

pub fn references(a: &Analysis, offset: usize, declaration: bool) -> Vec<Span> {
    let Some(d) = a.def_at(offset) else { return Vec::new() };
    let mut out: Vec<Span> = if declaration { vec![a.defs[d].span] } else { Vec::new() };
    out.extend(a.references(d).map(|u| u.span));
    out
}

const KEYWORDS: [&str; 13] = [
    "network", "block", "let", "stage", "input", "output", "classes", "import", "require", "in",
    "log", "step", "none",
];

/// Completion: inside a built-in's argument list its keyword arguments first; then the names
/// in scope, the built-in ops and functions (with signatures), the standard-library blocks
/// and the keywords.
pub fn completion(a: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let mut items = Vec::new();
    if let Some(callee) = enclosing_call(&a.text, offset)
        && let Some((_, sig, params)) =
            nasc_core::check::signatures().find(|(n, _, _)| *n == callee)
    {
        for (p, ty) in params {
            items.push(CompletionItem {
                label: format!("{p}="),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(format!("{ty} — {sig}")),
                sort_text: Some(format!("0{p}")),
                ..Default::default()
            });
        }
    }
    let scope = a.scope_at(offset);
    for d in a.defs.iter().filter(|d| d.scope == scope || d.scope == 0) {
        if matches!(d.kind, DefKind::Network | DefKind::Preset) {
            continue;
        }
        let kind = match d.kind {
            DefKind::Block => CompletionItemKind::FUNCTION,
            DefKind::Param => CompletionItemKind::VARIABLE,
            DefKind::Stage => CompletionItemKind::FIELD,
            _ => CompletionItemKind::CONSTANT,
        };
        let detail = a.source(d.full).lines().next().unwrap_or("").chars().take(80).collect();
        items.push(CompletionItem {
            label: d.name.clone(),
            kind: Some(kind),
            detail: Some(detail),
            sort_text: Some(format!("1{}", d.name)),
            ..Default::default()
        });
    }
    for (name, sig, _) in nasc_core::check::signatures() {
        items.push(CompletionItem {
            label: name.to_string(),
            kind: Some(CompletionItemKind::FUNCTION),
            detail: Some(sig.to_string()),
            sort_text: Some(format!("2{name}")),
            ..Default::default()
        });
    }
    for (module, parsed) in nasc_core::check::std_modules().iter() {
        for item in parsed.as_ref().map(|f| f.items.as_slice()).unwrap_or_default() {
            if let nasc_core::syntax::Item::Block(b) = item {
                items.push(CompletionItem {
                    label: b.name.name.clone(),
                    kind: Some(CompletionItemKind::FUNCTION),
                    detail: Some(format!("block of `import {module}`")),
                    sort_text: Some(format!("3{}", b.name.name)),
                    ..Default::default()
                });
            }
        }
    }
    for k in KEYWORDS {
        items.push(CompletionItem {
            label: k.to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            sort_text: Some(format!("4{k}")),
            ..Default::default()
        });
    }
    items
}

/// The name of the call whose argument list holds `offset` (`conv(3x3, |` -> `conv`).
fn enclosing_call(text: &str, offset: usize) -> Option<&str> {
    let upto = text.get(..offset.min(text.len()))?;
    let mut depth = 0i32;
    for (i, c) in upto.char_indices().rev() {
        match c {
            ')' | ']' => depth += 1,
            '[' if depth > 0 => depth -= 1,
            '(' if depth > 0 => depth -= 1,
            '(' => {
                let before = upto[..i].trim_end();
                let start = before
                    .char_indices()
                    .rev()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or(0, |(p, c)| p + c.len_utf8());
                return Some(&before[start..]).filter(|n| !n.is_empty());
            }
            '[' | '{' | '}' | '\n' if depth == 0 && c != '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Networks (with their parameters, definitions and stages), blocks and top-level definitions.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out
pub fn symbols(a: &Analysis) -> Vec<DocumentSymbol> {
    let lines = Lines::new(&a.text);
    let sym = |d: &super::analysis::Def,
               kind: SymbolKind,
               children: Option<Vec<DocumentSymbol>>| DocumentSymbol {
        name: d.name.clone(),
        detail: None,
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(d.full.start.min(d.span.start), d.full.end.max(d.span.end)),
        selection_range: lines.range(d.span.start, d.span.end),
        children,
    };
    let kind_of = |k: DefKind| match k {
        DefKind::Network => SymbolKind::MODULE,
        DefKind::Block => SymbolKind::FUNCTION,
        DefKind::Param => SymbolKind::TYPE_PARAMETER,
        DefKind::Stage => SymbolKind::FIELD,
        DefKind::Let => SymbolKind::CONSTANT,
        DefKind::Input => SymbolKind::VARIABLE,
        DefKind::Preset => SymbolKind::ENUM_MEMBER,
    };
    let mut out = Vec::new();
    for d in a.defs.iter().filter(|d| d.scope == 0) {
        let children = if matches!(d.kind, DefKind::Network | DefKind::Block) {
            let s = a.scopes.iter().position(|s| *s == d.full);
            Some(
                a.defs
                    .iter()
                    .filter(|c| s.is_some_and(|s| s != 0 && c.scope == s))
                    .map(|c| sym(c, kind_of(c.kind), None))
                    .collect(),
            )
        } else {
            None
        };
        out.push(sym(d, kind_of(d.kind), children));
    }
    out
}

/// Folding ranges: every bracket pair and block comment that spans lines.
pub fn folding(a: &Analysis) -> Vec<FoldingRange> {
    let lines = Lines::new(&a.text);
    nasc_core::fmt::folds(&a.text)
        .into_iter()
        .filter_map(|(s, e, comment)| {
            let (ps, pe) = (lines.position(s), lines.position(e));
            (pe.line > ps.line).then(|| FoldingRange {
                start_line: ps.line,
                end_line: if comment { pe.line } else { pe.line.saturating_sub(1).max(ps.line) },
                kind: comment.then_some(FoldingRangeKind::Comment),
                ..Default::default()
            })
        })
        .collect()
}

/// The whole document in canonical layout, as one edit (none when it is formatted already);
/// `None` when it does not parse.
pub fn formatting(a: &Analysis) -> Option<Vec<TextEdit>> {
    a.file.as_ref()?;
    let out = nasc_core::fmt::format(&a.text);
    if out == a.text {
        return Some(Vec::new());
    }
    let lines = Lines::new(&a.text);
    Some(vec![TextEdit { range: lines.range(0, a.text.len()), new_text: out }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAMILY: &str = "network small(C: int = 8) {\n    preset tiny(C=4)\n    input [1, 28, 28]\n    classes 10\n    stage s = conv(3x3, C) -> global_avg_pool -> linear(classes)\n}\n\nnetwork large() {\n    input [1, 28, 28]\n    classes 10\n    stage s = conv(3x3, 32) -> global_avg_pool -> linear(classes)\n}\n";

    fn hover_text(a: &Analysis, offset: usize) -> String {
        match hover(a, offset).map(|h| h.contents) {
            Some(HoverContents::Markup(m)) => m.value,
            other => panic!("no markdown hover at {offset}: {other:?}"),
        }
    }

    /// A file of several networks (a model family) is not an error in an editor: each
    /// network is checked, none is E015.
    #[test]
    fn a_family_of_networks_has_no_diagnostics() {
        let a = Analysis::new(FAMILY.to_string());
        let diags: Vec<&str> = a.compiled.diags.0.iter().map(|d| d.message.as_str()).collect();
        assert!(diags.is_empty(), "{diags:?}");
        assert!(a.compiled.ir.is_some(), "the first network's IR");
        let broken = FAMILY.replace("conv(3x3, 32)", "conv(3x3, 32, strides=2)");
        let a = Analysis::new(broken);
        assert_eq!(a.compiled.diags.0.len(), 1, "the second network's error, once");
    }

    /// Hover on a preset: its values and the network they give.
    #[test]
    fn preset_hover_shows_the_network_it_gives() {
        let a = Analysis::new(FAMILY.to_string());
        let at = FAMILY.find("tiny").unwrap_or(0) + 1;
        let text = hover_text(&a, at);
        // conv 1->4 (36 weights) and linear 4->10 (50): 86 parameters.
        assert!(
            text.contains("**preset** `preset tiny(C=4)`") && text.contains("86 params"),
            "{text}"
        );
    }
}
