//! The final clean-up of generated forward bodies.

/// Closes a forward body whose statements each rebind `x`: its last `let x = E;` becomes
/// the tail expression `E` (clippy's `let_and_return`); otherwise `x` is returned. Then
/// the `fn` and the `impl` are closed.
pub(super) fn finish_forward(out: &mut String) {
    let body_end = out.trim_end_matches('\n').len();
    let line_start = out[..body_end].rfind('\n').map_or(0, |i| i + 1);
    let last = &out[line_start..body_end];
    let code = last.trim_start();
    let indent = last[..last.len() - code.len()].to_string();
    // A statement carrying a shape comment stays as it is (clippy accepts it, and the
    // comment documents the returned shape).
    let tail =
        code.strip_prefix("let x = ").and_then(|rest| rest.strip_suffix(';')).map(str::to_string);
    match tail {
        Some(t) => {
            out.truncate(line_start);
            out.push_str(&format!("{indent}{t}\n"));
        }
        None => out.push_str("        x\n"),
    }
    out.push_str("    }\n}\n\n");
}
