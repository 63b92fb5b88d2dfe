//! One board file, `hil/boards/<board>.toml`, read one way for every board.
//!
//! [`BoardFile::load`] reads the keys every board has (`name`,
//! `description`, `scenario_timeout_s`) and checks that every top-level
//! key is a section some board reads ([`SECTIONS`]), so a misspelt section
//! is an error instead of a silent default. Each board then takes the
//! sections it uses with [`BoardFile::section`], typed by the board's own
//! types (the shared ones are in [`super::sections`]); inside a section an
//! unknown key is an error too. Every error is a [`BoardFileError`] naming
//! file, line and column.

use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer as _};

use crate::scenario::line_col;

/// A scenario's wall-time limit when neither it nor its board file sets one.
pub const DEFAULT_SCENARIO_TIMEOUT_S: u64 = 600;

/// Every section a board reads: `[firmware]`, `[serial]`, `[timing]` and
/// `[content]` ([`super::sections`]), `qemu`'s `[qemu]` and `[card]`,
/// `h7`'s flashing sections `[flash]`, `[usb]` and `[dfu]` (types from
/// `hil-flash`).
pub const SECTIONS: [&str; 9] = [
    "firmware", "serial", "timing", "content", "qemu", "card", "flash", "usb", "dfu",
];

/// A board file, its common keys read and its text kept for the sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardFile {
    /// The board's name (`sim`, `qemu`, `h7`): the file's stem.
    pub name: String,
    /// One line saying what the board is.
    pub description: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// `scenario_timeout_s`: the wall time one scenario may take on this
    /// board unless it sets its own `timeout_s` ([`DEFAULT_SCENARIO_TIMEOUT_S`]
    /// if the file has none).
    pub scenario_timeout_s: u64,
    text: String,
}

/// A board file could not be read, or a key in it is missing or wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BoardFileError {
    /// The board file.
    pub path: PathBuf,
    /// 1-based line (0 if the file could not be read).
    pub line: usize,
    /// 1-based column (0 if the file could not be read).
    pub col: usize,
    /// What is wrong, naming the key.
    pub message: String,
}

impl BoardFileError {
    /// `path` could not be read or listed (`what`, then the OS's reason):
    /// an error with no line.
    fn io(path: &Path, what: &str, e: &std::io::Error) -> Self {
        BoardFileError {
            path: path.to_owned(),
            line: 0,
            col: 0,
            message: format!("{what}: {e}"),
        }
    }
}

impl fmt::Display for BoardFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.col,
                self.message
            )
        }
    }
}

/// The keys every board file has; the sections are only checked to be
/// known here (each is read by its board with [`BoardFile::section`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // the sections are read by the boards, not here
struct Common {
    name: String,
    description: String,
    scenario_timeout_s: Option<u64>,
    firmware: Option<IgnoredAny>,
    serial: Option<IgnoredAny>,
    timing: Option<IgnoredAny>,
    content: Option<IgnoredAny>,
    qemu: Option<IgnoredAny>,
    card: Option<IgnoredAny>,
    flash: Option<IgnoredAny>,
    usb: Option<IgnoredAny>,
    dfu: Option<IgnoredAny>,
}

/// Deserializes the one top-level key `key` of a document as a `T`,
/// skipping the others (`None` if the document has no `key`).
struct Pick<T> {
    key: &'static str,
    _t: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Pick<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a board file with a [{}] section", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.key {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

impl BoardFile {
    /// Read and check a board file.
    pub fn load(path: &Path) -> Result<BoardFile, BoardFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BoardFileError::io(path, "cannot read board file", &e))?;
        Self::parse(text, path)
    }

    /// Check the text of a board file (`path` names it in messages and
    /// gives the name it must have).
    pub fn parse(text: String, path: &Path) -> Result<BoardFile, BoardFileError> {
        let common: Common = toml::from_str(&text).map_err(|e| toml_error(&text, path, &e))?;
        let mut file = BoardFile {
            name: common.name,
            description: common.description,
            path: path.to_owned(),
            scenario_timeout_s: common
                .scenario_timeout_s
                .unwrap_or(DEFAULT_SCENARIO_TIMEOUT_S),
            text,
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if file.name != stem {
            return Err(file.error_at(
                None,
                "name",
                format!(
                    "name = {:?} but the file is {stem}.toml: they must match",
                    file.name
                ),
            ));
        }
        if common.scenario_timeout_s == Some(0) {
            return Err(file.error_at(
                None,
                "scenario_timeout_s",
                "scenario_timeout_s must be at least 1 (seconds)".into(),
            ));
        }
        file.text.shrink_to_fit();
        Ok(file)
    }

    /// Every board file in `dir`, sorted by name.
    pub fn load_dir(dir: &Path) -> Result<Vec<BoardFile>, BoardFileError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| BoardFileError::io(dir, "cannot list board files", &e))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| BoardFile::load(p)).collect()
    }

    /// Section `[key]` as a `T`, or `None` if the file has none.
    pub fn optional_section<T: DeserializeOwned>(
        &self,
        key: &'static str,
    ) -> Result<Option<T>, BoardFileError> {
        debug_assert!(SECTIONS.contains(&key), "[{key}] is not in SECTIONS");
        let de = toml::Deserializer::parse(&self.text)
            .map_err(|e| toml_error(&self.text, &self.path, &e))?;
        de.deserialize_map(Pick {
            key,
            _t: PhantomData,
        })
        .map_err(|e| toml_error(&self.text, &self.path, &e))
    }

    /// Section `[key]` as a `T`, its default if the file has none.
    pub fn section<T: DeserializeOwned + Default>(
        &self,
        key: &'static str,
    ) -> Result<T, BoardFileError> {
        Ok(self.optional_section(key)?.unwrap_or_default())
    }

    /// Section `[key]`, which this board needs.
    pub fn required_section<T: DeserializeOwned>(
        &self,
        key: &'static str,
    ) -> Result<T, BoardFileError> {
        self.optional_section(key)?.ok_or_else(|| BoardFileError {
            path: self.path.clone(),
            line: 1,
            col: 1,
            message: format!("board `{}` needs a [{key}] section", self.name),
        })
    }

    /// An error about `key` (in `[section]`, or at the top with `None`)
    /// whose value types cannot check, at the line that sets it (the
    /// section's header, or line 1, if it is not set there).
    pub fn error_at(&self, section: Option<&str>, key: &str, message: String) -> BoardFileError {
        let (line, col) = self.find(section, key);
        BoardFileError {
            path: self.path.clone(),
            line,
            col,
            message,
        }
    }

    /// Where `key` is set in `[section]` (or before the first section).
    fn find(&self, section: Option<&str>, key: &str) -> (usize, usize) {
        let mut current: Option<String> = None;
        let mut header = (1, 1);
        for (i, line) in self.text.lines().enumerate() {
            let t = line.trim_start();
            if let Some(name) = t.strip_prefix('[') {
                let name = name.trim_start_matches('[');
                let name = name.split(']').next().unwrap_or("").trim();
                current = Some(name.to_owned());
                if Some(name) == section {
                    header = (i + 1, 1);
                }
                continue;
            }
            let indent = line.len() - t.len();
            let is_key = t
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='));
            if is_key && current.as_deref() == section {
                return (i + 1, indent + 1);
            }
        }
        header
    }
}

/// A TOML or type error, at the line and column of its span.
fn toml_error(text: &str, path: &Path, e: &toml::de::Error) -> BoardFileError {
    let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
    BoardFileError {
        path: path.to_owned(),
        line,
        col,
        message: e.message().trim_end().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Demo {
        count: u32,
        label: String,
    }

    fn parse(text: &str) -> Result<BoardFile, BoardFileError> {
        BoardFile::parse(text.to_owned(), Path::new("hil/boards/demo.toml"))
    }

    const HEAD: &str = "name = \"demo\"\ndescription = \"a board\"\n";

    #[test]
    fn common_keys_are_read_and_sections_are_taken_by_type() {
        let f = parse(&format!(
            "{HEAD}[serial]\ncount = 3\n[timing]\nlabel = \"x\"\n"
        ))
        .unwrap();
        assert_eq!(
            (f.name.as_str(), f.description.as_str()),
            ("demo", "a board")
        );
        assert_eq!(f.scenario_timeout_s, DEFAULT_SCENARIO_TIMEOUT_S);
        let d: Demo = f.section("serial").unwrap();
        assert_eq!(d.count, 3);
        assert_eq!(f.section::<Demo>("timing").unwrap().label, "x");
        assert_eq!(f.section::<Demo>("card").unwrap(), Demo::default());
        assert_eq!(f.optional_section::<Demo>("card").unwrap(), None);
        let err = f.required_section::<Demo>("card").unwrap_err().to_string();
        assert!(err.contains("needs a [card] section"), "{err}");
    }

    #[test]
    fn a_misspelt_section_names_itself_line_and_column() {
        let err = parse(&format!("{HEAD}[serail]\ncount = 3\n")).unwrap_err();
        assert_eq!((err.line, err.col), (3, 2), "{err}");
        assert!(err.message.contains("serail"), "{err}");
        assert!(
            err.to_string().starts_with("hil/boards/demo.toml:3:2: "),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_key_inside_a_section_points_at_it() {
        let f = parse(&format!("{HEAD}[serial]\n# c\n  cuont = 3\n")).unwrap();
        let err = f.section::<Demo>("serial").unwrap_err();
        assert_eq!((err.line, err.col), (5, 3), "{err}");
        assert!(err.message.contains("cuont"), "{err}");
        let f = parse(&format!("{HEAD}[serial]\ncount = \"three\"\n")).unwrap();
        let err = f.section::<Demo>("serial").unwrap_err();
        assert_eq!((err.line, err.col), (4, 9), "{err}");
    }

    #[test]
    fn value_errors_point_at_the_key_in_its_section() {
        let f = parse(&format!(
            "{HEAD}[card]\ncount = 1\n[serial]\nlabel = \"\"\ncount = 0\n"
        ))
        .unwrap();
        let err = f.error_at(Some("serial"), "count", "count must be at least 1".into());
        assert_eq!((err.line, err.col), (7, 1), "{err}");
        let err = f.error_at(Some("serial"), "missing", "m".into());
        assert_eq!(err.line, 5, "the section's header: {err}");
        let err = f.error_at(None, "description", "d".into());
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn the_name_must_be_the_files_stem_and_the_timeout_positive() {
        let err = parse("name = \"other\"\ndescription = \"x\"\n").unwrap_err();
        assert!(err.message.contains("demo.toml"), "{err}");
        assert_eq!(err.line, 1);
        let err = parse(&format!("{HEAD}scenario_timeout_s = 0\n")).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        let err = parse("description = \"x\"\n").unwrap_err();
        assert!(err.message.contains("name"), "{err}");
    }

    #[test]
    fn the_repositorys_board_files_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hil/boards");
        let files = BoardFile::load_dir(&dir).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["h7", "qemu", "sim"]);
        let err = BoardFile::load(&dir.join("none.toml")).unwrap_err();
        assert!(err.to_string().contains("none.toml: cannot read"), "{err}");
    }
}
