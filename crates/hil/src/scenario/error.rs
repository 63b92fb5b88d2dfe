//! Errors in scenario files: the file, the line and column, the field, and
//! the offending line itself, so a user can fix the file without guessing.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A scenario file could not be read or is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// 1-based line of the problem (0 when the file could not be read).
    pub line: usize,
    /// 1-based column of the problem (0 when unknown).
    pub column: usize,
    /// The field at fault, e.g. `step[3].frames` or `sensor.pixformat`.
    pub field: Option<String>,
    /// What is wrong and what is expected.
    pub message: String,
    /// The text of the offending line, when known.
    pub source_line: Option<String>,
}

impl ScenarioError {
    /// An error at byte span `span` of `text`.
    pub fn at(
        path: &Path,
        text: &str,
        span: Option<Range<usize>>,
        field: Option<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column, source_line) = match span {
            Some(span) => {
                let (line, column) = line_col(text, span.start);
                let source_line = text.lines().nth(line - 1).map(str::to_owned);
                (line, column, source_line)
            }
            None => (1, 1, None),
        };
        ScenarioError {
            path: path.to_owned(),
            line,
            column,
            field,
            message: message.into(),
            source_line,
        }
    }

    /// The file could not be read.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        ScenarioError {
            path: path.to_owned(),
            line: 0,
            column: 0,
            field: None,
            message: format!("cannot read scenario file: {err}"),
            source_line: None,
        }
    }
}

/// 1-based line and column of byte `offset` in `text` (clamped to the text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(src) = &self.source_line {
            let gutter = self.line.to_string();
            write!(f, "\n {gutter} | {src}")?;
            let pad = " ".repeat(gutter.len());
            let col = self.column.saturating_sub(1);
            write!(f, "\n {pad} | {}^", " ".repeat(col))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 8), (2, 3));
        assert_eq!(line_col(text, 999), (3, 1));
    }

    #[test]
    fn display_shows_file_line_field_and_a_caret() {
        let text = "x = 1\nframes = \"ten\"\n";
        let e = ScenarioError::at(
            Path::new("s.toml"),
            text,
            Some(15..20),
            Some("step[1].frames".into()),
            "expected an integer",
        );
        let shown = e.to_string();
        assert_eq!(
            shown,
            "s.toml:2:10: step[1].frames: expected an integer\n 2 | frames = \"ten\"\n   |          ^"
        );
    }
}
