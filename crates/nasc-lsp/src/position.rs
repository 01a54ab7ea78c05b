//! Byte offsets <-> LSP positions (line, UTF-16 code unit), as the protocol counts them by
//! default: a non-ASCII character before the cursor shifts the column by its UTF-16 length.

use lsp_types::{Position, Range};

pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines {
            text,
            starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let col: usize =
            self.text.get(start..offset).map_or(0, |t| t.chars().map(char::len_utf16).sum());
        Position { line: line as u32, character: col as u32 }
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range { start: self.position(start), end: self.position(end.max(start)) }
    }

    /// The byte offset of a position (clamped to its line; a column inside a surrogate pair
    /// or past the end lands on the character boundary before it).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else { return self.text.len() };
        let end = self.starts.get(p.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let mut units = 0usize;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns() {
        // `é` is one UTF-16 unit (two bytes); `𝔸` is two units (four bytes).
        let t = "// é𝔸\nlet a = 1\n";
        let l = Lines::new(t);
        assert_eq!(l.position(t.find('\n').unwrap()), Position { line: 0, character: 6 });
        assert_eq!(l.position(t.find("let").unwrap()), Position { line: 1, character: 0 });
        assert_eq!(l.offset(Position { line: 0, character: 6 }), t.find('\n').unwrap());
        assert_eq!(l.offset(Position { line: 1, character: 4 }), t.find("a =").unwrap());
        for off in [0, 3, 5, 9, 10, 14] {
            assert_eq!(l.offset(l.position(off)), off, "{off}");
        }
    }
}
