//! docs/scenarios.md §6's "Gives" column against the parser: an op the
//! page says gives "nothing" is one whose `expect` the parser refuses as
//! giving no value, and the other way round.

use super::read;
use super::scenarios::{scenario_error, section};

/// What the parser says op `op` gives, from its answer to an `expect` no
/// op can give (-1): "gives no value", or "gives <what>, found".
/// Fields an op needs are added as its messages ask for them.
fn gives(op: &str) -> String {
    let sample = |field: &str| match field {
        "path" => "\"/sdcard/a.bin\"",
        "mode" => "\"w\"",
        _ => "1",
    };
    let mut fields: Vec<String> = Vec::new();
    for _ in 0..4 {
        let text = format!(
            "description = \"x\"\n[[step]]\nop = \"{op}\"\n{}expect = -1\n",
            fields
                .iter()
                .map(|f| format!("{f} = {}\n", sample(f)))
                .collect::<String>()
        );
        let msg = scenario_error(&text);
        if let Some(at) = msg.find(" gives ") {
            let rest = &msg[at + " gives ".len()..];
            return rest[..rest.find(['\n', ';']).unwrap_or(rest.len())].to_owned();
        }
        // "op \"seek\" needs `offset`", "a replay ... never ends: give `frames`".
        let needed = ["needs `", "give `"]
            .iter()
            .find_map(|m| msg.find(m).map(|i| &msg[i + m.len()..]))
            .and_then(|r| r.split('`').next())
            .unwrap_or_else(|| panic!("op {op}: no kind of value in: {msg}"));
        fields.push(needed.to_owned());
    }
    panic!("op {op}: still refused with {fields:?}")
}

#[test]
fn every_op_gives_what_its_row_says() {
    // §6's "Gives" column says "nothing" exactly for the ops the parser
    // says give no value (an `expect` on them is an error).
    let doc = read("docs/scenarios.md");
    let table = section(&doc, "## 6.");
    let mut checked = 0;
    for line in table
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `op` |"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let says_nothing = cells[4] == "nothing";
        for op in cells[1].split('`').skip(1).step_by(2) {
            let parser = gives(op);
            let parser_nothing = parser.starts_with("no value");
            assert_eq!(
                says_nothing, parser_nothing,
                "docs/scenarios.md §6: op `{op}` gives {:?} on the page, the parser says it gives {parser}",
                cells[4]
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} ops checked");
}
