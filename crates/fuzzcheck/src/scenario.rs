//! Scenario parser: arbitrary text as a scenario file. It parses or gives a
//! typed error whose message names a place in the text.

use std::path::Path;

use omv_hil::Scenario;

/// The target body.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Scenario::from_toml(text, Path::new("fuzz.toml")) {
        Ok(s) => {
            let _ = format!("{s:?}");
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
