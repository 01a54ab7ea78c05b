//! `nasc fmt`: the canonical layout of .nas source. It works on tokens and the whitespace
//! between them only — every token (comments included) is kept, in order and unchanged, so
//! the compiled network cannot change — and it keeps the author's line breaks (at most one
//! blank line in a row). What it decides: indentation (four spaces per open bracket *line*,
//! plus one for a line that continues an operator), the spaces between tokens on a line
//! (`a -> b`, `f(x, k=1)`, `C: int = 4`, `1..16`, `-x`), no trailing spaces, one final newline.
//! A trailing comment keeps its column when the code before it leaves room (aligned comments
//! stay aligned), else it follows two spaces after the code. Formatting is idempotent.
//! The input must parse (the caller checks): the lexer here only splits tokens.

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word,
    Num,
    Str,
    LineComment,
    BlockComment,
    Punct,
}

#[derive(Debug, Clone)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    /// Newlines in the whitespace before this token.
    newlines: usize,
    /// Column (in characters) of the token in the input.
    col: usize,
}

const PUNCT2: [&str; 7] = ["->", "=>", "==", "!=", "<=", ">=", ".."];

fn lex(src: &str) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let (mut i, mut newlines, mut line_start) = (0, 0, 0);
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            newlines += 1;
            i += 1;
            line_start = i;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let kind = if src[i..].starts_with("//") {
            i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            Kind::LineComment
        } else if src[i..].starts_with("/*") {
            i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            Kind::BlockComment
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c && b[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(b.len());
            Kind::Str
        } else if c.is_ascii_digit() {
            i = number_end(b, i);
            Kind::Num
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let word = |b: &[u8], mut i: usize| {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                i
            };
            i = word(b, i);
            // `x.channels` is one token (a field is written without spaces).
            if i + 1 < b.len()
                && b[i] == b'.'
                && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'_')
            {
                i = word(b, i + 1);
            }
            Kind::Word
        } else {
            i += if PUNCT2.iter().any(|p| src[i..].starts_with(p)) {
                2
            } else {
                src[i..].chars().next().map_or(1, char::len_utf8)
            };
            Kind::Punct
        };
        let col = src[line_start..start].chars().count();
        toks.push(Tok { kind, text: &src[start..i], newlines, col });
        // A block comment's own newlines are part of it, not of the layout.
        newlines = 0;
        if let Some(n) = src[start..i].rfind('\n') {
            line_start = start + n + 1;
        }
    }
    toks
}

/// The end of a number starting at `i`: `12`, `3x3`, `0.75`, `1e-3` (never `1..16`'s `..`).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let digits = |b: &[u8], mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(b, i);
    if i + 1 < b.len() && b[i] == b'x' && b[i + 1].is_ascii_digit() {
        return digits(b, i + 1);
    }
    if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        i = digits(b, i + 1);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let j =
            if i + 1 < b.len() && (b[i + 1] == b'+' || b[i + 1] == b'-') { i + 2 } else { i + 1 };
        if j < b.len() && b[j].is_ascii_digit() {
            i = digits(b, j);
        }
    }
    i
}

/// Words after which an opening bracket is not a call's (`input [1, 28, 28]`).
const KEYWORDS: [&str; 12] = [
    "network", "block", "let", "stage", "input", "output", "classes", "import", "require", "in",
    "log", "step",
];

fn is_open(t: &Tok) -> bool {
    t.kind == Kind::Punct && matches!(t.text, "(" | "[" | "{")
}

fn is_close(t: &Tok) -> bool {
    t.kind == Kind::Punct && matches!(t.text, ")" | "]" | "}")
}

fn is_binary(t: &Tok) -> bool {
    t.kind == Kind::Punct
        && matches!(
            t.text,
            "->" | "==" | "!=" | "<=" | ">=" | "<" | ">" | "+" | "-" | "*" | "/" | "%"
        )
}

/// Whether a token ends an operand (so a following `-` is binary).
fn ends_operand(t: &Tok) -> bool {
    matches!(t.kind, Kind::Word | Kind::Num | Kind::Str) && !KEYWORDS.contains(&t.text)
        || (t.kind == Kind::Punct && matches!(t.text, ")" | "]" | "}"))
}

/// One open bracket: the indentation level of the line it was opened on, and whether it is a
/// call's argument list (where `=` binds keyword arguments tightly).
struct Open {
    level: usize,
    call: bool,
}

/// The source in canonical layout.
pub fn format(src: &str) -> String {
    let toks = lex(src);
    let mut out = String::with_capacity(src.len() + src.len() / 8);
    let mut stack: Vec<Open> = Vec::new();
    let mut level = 0usize;
    let mut line_len = 0usize;
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &toks[j]);
        let new_line = t.newlines > 0 || prev.is_none();
        if new_line {
            if prev.is_some() {
                out.push_str(if t.newlines > 1 { "\n\n" } else { "\n" });
            }
            let base = match stack.last() {
                Some(o) if is_close(t) => o.level,
                Some(o) => o.level + 1,
                None => 0,
            };
            // A line that starts with an operator, or follows one that ended with one,
            // continues an expression.
            let continues = is_binary(t) && t.text != "-"
                || prev.is_some_and(|p| is_binary(p) || matches!(p.text, "=" | "=>"));
            level = base + usize::from(continues && !is_close(t));
            let indent = "    ".repeat(level);
            out.push_str(&indent);
            line_len = indent.len();
        } else if let Some(p) = prev {
            let sp = space_between(p, t, stack.last(), i.checked_sub(2).map(|j| &toks[j]));
            let sp = if t.kind == Kind::LineComment
                || (t.kind == Kind::BlockComment && !t.text.contains('\n'))
            {
                // A trailing comment keeps its column when there is room, else two spaces.
                if t.col > line_len + 1 { " ".repeat(t.col - line_len) } else { "  ".to_string() }
            } else {
                sp.to_string()
            };
            out.push_str(&sp);
            line_len += sp.len();
        }
        out.push_str(t.text);
        line_len = match t.text.rfind('\n') {
            Some(n) => t.text[n + 1..].chars().count(),
            None => line_len + t.text.chars().count(),
        };
        if is_open(t) {
            let call = t.text == "("
                && prev.is_some_and(|p| p.kind == Kind::Word && !KEYWORDS.contains(&p.text))
                && !i.checked_sub(2).is_some_and(|j| matches!(toks[j].text, "network" | "block"));
            stack.push(Open { level, call });
        } else if is_close(t) {
            stack.pop();
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The spaces between two tokens on one line.
fn space_between(a: &Tok, b: &Tok, open: Option<&Open>, before_a: Option<&Tok>) -> &'static str {
    let kw_arg = open.is_some_and(|o| o.call);
    if a.text == "=" && kw_arg {
        return "";
    }
    if b.kind == Kind::Punct {
        match b.text {
            "," | ";" | ")" | "]" | ":" | ".." => return "",
            "}" => {
                return if is_open(a) {
                    ""
                } else if a.text == "," {
                    " "
                } else {
                    ""
                };
            }
            "=" => return if kw_arg { "" } else { " " },
            "(" => {
                return if is_open(a) || (a.kind == Kind::Word && !KEYWORDS.contains(&a.text)) {
                    ""
                } else {
                    " "
                };
            }
            "[" | "{" => {
                return if is_open(a) || a.text == "-" && !before_a.is_some_and(ends_operand) {
                    ""
                } else {
                    " "
                };
            }
            _ => {}
        }
    }
    if is_open(a) || a.text == ".." {
        return "";
    }
    if a.kind == Kind::Punct && a.text == "-" && !before_a.is_some_and(ends_operand) {
        return ""; // unary minus
    }
    " "
}

/// Byte ranges of every bracket pair (open, close) and block comment (start, end, `true`),
/// for an editor's folding; unbalanced brackets are skipped.
pub fn folds(src: &str) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let base = src.as_ptr() as usize;
    for t in lex(src) {
        let at = t.text.as_ptr() as usize - base;
        if t.kind == Kind::BlockComment {
            out.push((at, at + t.text.len(), true));
        } else if is_open(&t) {
            stack.push(at);
        } else if is_close(&t)
            && let Some(open) = stack.pop()
        {
            out.push((open, at, false));
        }
    }
    out
}

/// The tokens of `src` (comments included), for checking that formatting changed nothing but
/// whitespace.
pub fn tokens(src: &str) -> Vec<&str> {
    lex(src).into_iter().map(|t| t.text).collect()
}

#[cfg(test)]
mod tests {
    use super::{format, tokens};

    #[test]
    fn fields_stay_one_token() {
        let src = "block b(c: int) {\n    input x\n    output x -> conv(1x1, x.channels * 2)\n}\n";
        assert_eq!(format(src), src);
        assert_eq!(tokens("in.channels+1"), ["in.channels", "+", "1"]);
    }

    #[test]
    fn spacing_and_indentation() {
        let src = "network  n( C:int=4 ,K : int in 1..16 = 2){\ninput[1,28,28]\n  classes 10 // ten\nstage s=conv(3x3,C,stride=2)->bn->relu\n\n\n    stage h = global_avg_pool -> linear( classes )\n}\n";
        let want = "network n(C: int = 4, K: int in 1..16 = 2) {\n    input [1, 28, 28]\n    classes 10  // ten\n    stage s = conv(3x3, C, stride=2) -> bn -> relu\n\n    stage h = global_avg_pool -> linear(classes)\n}\n";
        assert_eq!(format(src), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn continuation_lines_and_unary_minus() {
        let src = "let a = motif(level=2, nodes=3, edges=[(0, 1, c)],\n              ops=[c, d])\nlet x = -1 - -2 * (3 - 4)\nlet p = relu\n-> bn\n";
        let want = "let a = motif(level=2, nodes=3, edges=[(0, 1, c)],\n    ops=[c, d])\nlet x = -1 - -2 * (3 - 4)\nlet p = relu\n    -> bn\n";
        assert_eq!(format(src), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn aligned_trailing_comments_stay_aligned() {
        let src = "network n() {\n    stage a = conv(3x3, 8)      // 28x28\n    stage b = relu              // 28x28\n}\n";
        assert_eq!(format(src), src);
    }
}
