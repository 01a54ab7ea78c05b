//! A linear pre-scan of brackets, run before pest: it bounds nesting (so that neither pest
//! nor any later walk can exhaust the stack) and finds unbalanced delimiters, which make a
//! better diagnostic than the point where pest happened to stop.

use super::ast::Span;
use crate::diag::{Code, Diagnostic, line_col};
use crate::limits::MAX_NESTING;

#[derive(Default)]
pub struct Delims {
    /// Nesting deeper than [`MAX_NESTING`]: always an error.
    pub too_deep: Option<Diagnostic>,
    /// The first unbalanced delimiter: reported only if the parse fails.
    pub unbalanced: Option<Diagnostic>,
}

fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// Scans `source` once, skipping comments and strings as the grammar does.
pub fn scan(source: &str) -> Delims {
    let b = source.as_bytes();
    let mut out = Delims::default();
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += 1;
                }
            }
            c @ (b'(' | b'[' | b'{') => {
                if stack.len() >= MAX_NESTING {
                    out.too_deep = Some(
                        Diagnostic::error(Code::TooDeep, Span::new(i, i + 1), format!("brackets nested more than {MAX_NESTING} deep"))
                            .label("the limit is reached here")
                            .help("nasc bounds nesting so that no spec can exhaust its stack; flatten the expression or use `let` definitions (see docs/limits.md)"),
                    );
                    return out;
                }
                stack.push((c, i));
            }
            c @ (b')' | b']' | b'}') => match stack.last() {
                Some(&(open, _)) if closer(open) == c => {
                    stack.pop();
                }
                Some(&(open, at)) => {
                    if out.unbalanced.is_none() {
                        out.unbalanced = Some(unclosed(source, open, at, Some(i)));
                    }
                    // Resynchronise: drop openers up to a matching one, if any.
                    if let Some(k) = stack.iter().rposition(|&(o, _)| closer(o) == c) {
                        stack.truncate(k);
                    }
                }
                None => {
                    if out.unbalanced.is_none() {
                        let ch = c as char;
                        out.unbalanced = Some(
                            Diagnostic::error(
                                Code::Syntax,
                                Span::new(i, i + 1),
                                format!("unexpected closing `{ch}`"),
                            )
                            .label("nothing is open here")
                            .help(format!(
                                "remove this `{ch}`, or add the opening bracket it closes"
                            )),
                        );
                    }
                }
            },
            _ => {}
        }
        i += 1;
    }
    if out.unbalanced.is_none()
        && let Some(&(open, at)) = stack.last()
    {
        out.unbalanced = Some(unclosed(source, open, at, None));
    }
    out
}

fn unclosed(source: &str, open: u8, at: usize, found: Option<usize>) -> Diagnostic {
    let (o, c) = (open as char, closer(open) as char);
    let (line, _) = line_col(source, at);
    let opener = Span::new(at, at + 1);
    match found {
        Some(f) => {
            let got = source.as_bytes().get(f).map_or('?', |&x| x as char);
            Diagnostic::error(
                Code::Syntax,
                Span::new(f, f + 1),
                format!("unclosed `{o}`: found `{got}` before its `{c}`"),
            )
            .label(format!("expected `{c}` before this"))
            .related(opener, format!("this `{o}` is never closed"))
            .help(format!("add `{c}` to close the `{o}` opened on line {line}"))
        }
        None => Diagnostic::error(Code::Syntax, opener, format!("unclosed `{o}`"))
            .label(format!("this `{o}` is never closed"))
            .help(format!("add `{c}` to close the `{o}` opened on line {line}")),
    }
}
