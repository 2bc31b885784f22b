//! A runbook's text with its name, and line/column lookups for rendering.

use crate::Span;

/// The text of a runbook file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps text read from `name` (a path, or `<stdin>`).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(index, _)| index + 1)).collect();
        Self { name: name.into(), text, line_starts }
    }

    /// The name diagnostics show.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.text.get(start..offset).map_or(offset - start, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }

    /// The byte offset of a 1-based line and column (in characters), clamped
    /// to the text.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let line_text = &self.text[start..];
        let line_text = line_text.split('\n').next().unwrap_or_default();
        let within = line_text.char_indices().nth(column.saturating_sub(1)).map_or(line_text.len(), |(index, _)| index);
        start + within
    }

    /// The text a span covers, if it lies on character boundaries.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_and_offset_round_trip() {
        let source = Source::new("t.yaml", "id: x\ntitle: é é\nsteps: []\n");
        assert_eq!(source.line_col(0), (1, 1));
        assert_eq!(source.line_col(6), (2, 1));
        let offset = source.offset(2, 10);
        assert_eq!(source.line_col(offset), (2, 10));
        assert_eq!(&source.text()[offset..offset + 2], "é");
        assert_eq!(source.offset(99, 1), source.text().len());
        assert_eq!(source.line_col(10_000), (4, 1));
    }
}
