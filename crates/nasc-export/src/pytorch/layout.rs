//! The generated module's line layout: Black's (and `ruff format`'s) for the statement forms
//! the generator writes, so that the file is stable under both formatters. A line longer
//! than 88 columns is split at its trailing bracket pair — the contents on one indented line
//! when they fit, else one element per line with a trailing comma, each element split the
//! same way when it is still too long. A trailing comment that does not fit goes on its own
//! line above the statement.

/// Black's default line length.
pub const WIDTH: usize = 88;

/// `code` (one statement, no newline) at `indent` spaces, with an optional trailing
/// `comment`, as laid-out lines (each with its indentation).
pub fn statement(indent: usize, code: &str, comment: Option<&str>) -> Vec<String> {
    let pad = " ".repeat(indent);
    let mut out = Vec::new();
    let fits_with_comment = comment.is_none_or(|c| indent + code.len() + 4 + c.len() <= WIDTH);
    if let Some(c) = comment.filter(|_| !fits_with_comment) {
        out.push(format!("{pad}# {c}"));
    }
    let mut lines = split(indent, code, 0);
    // A comment that fits goes after the code, which then fits on its line too.
    if let (Some(c), true, Some(last)) = (comment, fits_with_comment, lines.last_mut()) {
        last.push_str(&format!("  # {c}"));
    }
    out.append(&mut lines);
    out
}

/// `code` at `indent`, split at its trailing bracket pair while too long (`depth` bounds the
/// recursion: the generator's statements nest a few brackets deep at most).
fn split(indent: usize, code: &str, depth: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    if indent + code.len() <= WIDTH || depth > 8 {
        return vec![format!("{pad}{code}")];
    }
    let Some((open, close)) = trailing_pair(code) else {
        return vec![format!("{pad}{code}")];
    };
    let (head, body, tail) = (&code[..=open], &code[open + 1..close], &code[close..]);
    if body.trim().is_empty() {
        return vec![format!("{pad}{code}")];
    }
    let inner = indent + 4;
    let mut out = vec![format!("{pad}{head}")];
    let parts = top_level_items(body);
    if inner + body.len() <= WIDTH {
        out.push(format!("{}{body}", " ".repeat(inner)));
    } else if parts.len() == 1 && top_level_terms(body).len() > 1 {
        // A long sum: one operand per line, each after the first led by its operator.
        for (i, t) in top_level_terms(body).iter().enumerate() {
            let line = if i == 0 { t.clone() } else { format!("+ {t}") };
            out.push(format!("{}{line}", " ".repeat(inner)));
        }
    } else if parts.len() == 1 {
        out.extend(split(inner, body, depth + 1));
    } else {
        for p in parts {
            out.extend(split(inner, &format!("{p},"), depth + 1));
        }
    }
    out.push(format!("{pad}{tail}"));
    out
}

/// The byte positions of the statement's trailing bracket pair: its last closing bracket
/// (a `def`'s parameter list, not its return annotation) and the bracket it closes.
fn trailing_pair(code: &str) -> Option<(usize, usize)> {
    let bytes = code.as_bytes();
    // The statement's last closing bracket outside strings.
    let mut close = None;
    let mut in_str = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_str = !in_str,
            b')' | b']' if !in_str => close = Some(i),
            _ => {}
        }
    }
    // A `def ... -> None:`: split the parameter list, not the annotation.
    let close = match code.rfind(") -> ") {
        Some(i) if code.starts_with("def ") => i,
        _ => close?,
    };
    let mut level = 0i32;
    for i in (0..=close).rev() {
        match bytes[i] {
            b')' | b']' => level += 1,
            b'(' | b'[' => {
                level -= 1;
                if level == 0 {
                    return Some((i, close));
                }
            }
            _ => {}
        }
    }
    None
}

/// The comma-separated items of a bracket's contents, at its top level.
fn top_level_items(body: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut level = 0i32;
    let mut cur = String::new();
    for ch in body.chars() {
        match ch {
            '(' | '[' => level += 1,
            ')' | ']' => level -= 1,
            ',' if level == 0 => {
                items.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if !cur.trim().is_empty() {
        items.push(cur.trim().to_string());
    }
    items
}

/// The operands of a top-level sum (`a + b + c`), or the whole text as one.
fn top_level_terms(body: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut level = 0i32;
    let mut start = 0;
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' | b'[' => level += 1,
            b')' | b']' => level -= 1,
            b'+' if level == 0 && i > 0 && bytes[i - 1] == b' ' => {
                terms.push(body[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(body[start..].trim().to_string());
    terms
}
