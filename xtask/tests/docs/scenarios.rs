//! docs/scenarios.md says what the code accepts, no more and no less:
//! every key the scenario parser takes (top level, `[sensor]`, `[card]`,
//! `[[upload]]`, every op and its fields, capabilities, error names,
//! content and card profile names) is on the page and nothing there is a
//! key the parser refuses. (`op_values` checks the value each op gives;
//! `boards` §8, the board files; `code` the commands, paths and names the
//! pages cite.)
//!
//! The lists come from the code itself, never from a second list here:
//! the parser's own "unknown field" and "expected one of" messages. Runs in well under a second.

use std::collections::{BTreeMap, BTreeSet};

use super::{read, root};

use omv_hil::scenario::Capability;
use omv_hil::Scenario;

/// The error message of a scenario text that must not parse.
pub(super) fn scenario_error(text: &str) -> String {
    let path = root().join("hil/scenarios/probe.toml");
    match Scenario::from_toml(text, &path) {
        Ok(_) => panic!("parsed, but should not:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The `a`, `b` of "... expected one of `a`, `b`" (serde's unknown-field
/// message, as the parser and the board files pass it on).
pub(super) fn backticked_after(msg: &str, marker: &str) -> BTreeSet<String> {
    let at = msg
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in: {msg}"));
    msg[at + marker.len()..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The `a, b, c` of "... <marker>a, b, c<end>".
fn listed_after(msg: &str, marker: &str, end: char) -> BTreeSet<String> {
    let at = msg
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in: {msg}"));
    let rest = &msg[at + marker.len()..];
    rest[..rest.find(end).unwrap_or(rest.len())]
        .split(", ")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The keys the parser's table at `header` takes (top level: `""`).
fn scenario_keys(header: &str) -> BTreeSet<String> {
    let text = match header {
        "" => "zzz = 1\ndescription = \"x\"\n[[step]]\nop = \"write\"\n".to_owned(),
        "[[step]]" => "description = \"x\"\n[[step]]\nop = \"write\"\nzzz = 1\n".to_owned(),
        h => format!("description = \"x\"\n{h}\nzzz = 1\n[[step]]\nop = \"write\"\n"),
    };
    backticked_after(&scenario_error(&text), "zzz`, expected")
}

/// The text of the section of `page` under the heading starting `heading`,
/// up to the next heading of the same or a higher level.
pub(super) fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(&format!("\n{heading}"))
        .unwrap_or_else(|| panic!("no heading {heading:?}"))
        + 1;
    let level = heading.chars().take_while(|c| *c == '#').count();
    let body = &page[start..];
    let end = body[1..]
        .match_indices("\n#")
        .map(|(i, _)| i + 2)
        .find(|&i| body[i..].chars().take_while(|c| *c == '#').count() <= level)
        .unwrap_or(body.len());
    &body[..end]
}

/// The backticked names in the first column of the rows of the tables in
/// `text` whose header's first cell is `first`, `[x]`/`[[x]]` as `x`.
fn first_column(text: &str, first: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_table = false;
    for line in text.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.get(1) == Some(&first) {
            in_table = true;
            continue;
        }
        if in_table && !cells[1].starts_with("---") {
            for name in cells[1].split('`').skip(1).step_by(2) {
                out.insert(name.trim_matches(['[', ']']).to_owned());
            }
        }
    }
    out
}

#[test]
fn every_scenario_key_is_documented_and_every_documented_key_is_parsed() {
    let doc = read("docs/scenarios.md");
    let top = scenario_keys("");
    assert!(
        top.contains("description") && top.contains("step"),
        "{top:?}"
    );
    assert_eq!(
        first_column(section(&doc, "## 2."), "Key"),
        top,
        "docs/scenarios.md §2 vs the parser's top-level keys"
    );
    assert_eq!(
        first_column(section(&doc, "## 3."), "Key"),
        scenario_keys("[sensor]"),
        "docs/scenarios.md §3 vs the parser's [sensor] keys"
    );
    assert_eq!(
        first_column(section(&doc, "## 4."), "Key"),
        scenario_keys("[card]"),
        "docs/scenarios.md §4 vs the parser's [card] keys"
    );
    let upload = section(&doc, "### 6.1");
    for key in scenario_keys("[[upload]]") {
        assert!(
            upload.contains(&format!("`{key}`")),
            "docs/scenarios.md §6.1 does not name [[upload]] key `{key}`"
        );
    }
}

/// Each op's fields as the parser says them ("its fields: a, b" for a
/// field it refuses), from a step with one field of the right type.
fn op_fields(
    ops: &BTreeSet<String>,
    step_keys: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    // A value of the right type for each step field, so the only error
    // left is "not a field of op".
    let sample = |key: &str| -> &str {
        match key {
            "path" => "\"/sdcard/a.bin\"",
            "mode" | "pixformat" | "content" | "error" => "\"x\"",
            "shape" => "[8, 8, \"GRAYSCALE\"]",
            "copy_to_fb" | "loop" | "pause" => "true",
            "version" => "20",
            "note" | "op" | "expect" => "\"x\"",
            _ => "1",
        }
    };
    let candidates: Vec<&String> = step_keys
        .iter()
        .filter(|k| !["op", "note", "expect", "error"].contains(&k.as_str()))
        .collect();
    let mut out = BTreeMap::new();
    for op in ops {
        let fields = candidates
            .iter()
            .find_map(|k| {
                let text = format!(
                    "description = \"x\"\n[[step]]\nop = \"{op}\"\n{k} = {}\n",
                    sample(k)
                );
                let path = root().join("hil/scenarios/probe.toml");
                let msg = Scenario::from_toml(&text, &path).err()?.to_string();
                msg.contains("not a field of op")
                    .then(|| listed_after(&msg, "(its fields: ", ')'))
            })
            .unwrap_or_else(|| panic!("op {op} accepts every step field?"));
        let fields: BTreeSet<String> = fields.into_iter().filter(|f| f != "none").collect();
        out.insert(op.clone(), fields);
    }
    out
}

#[test]
fn every_op_and_its_fields_are_documented() {
    let doc = read("docs/scenarios.md");
    let step_keys = scenario_keys("[[step]]");
    let msg = scenario_error("description = \"x\"\n[[step]]\nop = \"zzz\"\n");
    let ops = listed_after(&msg, "expected one of ", '\n');
    assert!(
        ops.contains("open") && ops.contains("write_limit"),
        "{ops:?}"
    );
    let parsed = op_fields(&ops, &step_keys);

    // The §6 table: each row's ops (first column) and fields (second;
    // "as `read`" stands for read's fields; `shape = [...]` is `shape`).
    let table = section(&doc, "## 6.");
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut rows = Vec::new();
    for line in table
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `op` |"))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let ops: Vec<String> = cells[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        rows.push((ops, cells[2].to_owned()));
    }
    for pass in 0..2 {
        for (ops, fields) in &rows {
            let mut set = BTreeSet::new();
            for (k, tok) in fields.split('`').enumerate() {
                if k % 2 == 0 {
                    continue;
                }
                let name: String = tok
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let before = fields.split('`').nth(k - 1).unwrap_or("");
                if name == "true" || name == "false" || name.is_empty() {
                    continue; // a default value, not a field
                }
                if before.trim_end().ends_with("as") {
                    set.extend(documented.get(&name).cloned().unwrap_or_default());
                } else {
                    set.insert(name);
                }
            }
            for op in ops {
                let e = documented.entry(op.clone()).or_default();
                if pass == 1 {
                    e.extend(set.iter().cloned());
                }
            }
        }
        if pass == 0 {
            // First pass only learns the ops; the second fills the fields,
            // with `as X` resolved against rows above it.
            for v in documented.values_mut() {
                v.clear();
            }
        }
    }
    assert_eq!(
        documented.keys().cloned().collect::<BTreeSet<_>>(),
        ops,
        "docs/scenarios.md §6's ops vs the parser's"
    );
    for (op, fields) in &parsed {
        assert_eq!(
            &documented[op], fields,
            "docs/scenarios.md §6: the fields of op `{op}` vs the parser's"
        );
    }
    // The fields every step may have, and every step key is someone's.
    let steps_text = format!("{}{}", table, section(&doc, "## 7."));
    for k in ["op", "note", "expect", "error"] {
        assert!(step_keys.contains(k), "the parser has no step key {k}");
        assert!(
            steps_text.contains(&format!("`{k}`")),
            "§6/§7 do not name `{k}`"
        );
    }
    let used: BTreeSet<String> = parsed.values().flatten().cloned().collect();
    for k in &step_keys {
        assert!(
            used.contains(k) || ["op", "note", "expect", "error"].contains(&k.as_str()),
            "step key `{k}` belongs to no op"
        );
    }
}

#[test]
fn capabilities_error_names_contents_and_profiles_are_documented() {
    let doc = read("docs/scenarios.md");
    let caps: BTreeSet<String> = Capability::ALL
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(
        first_column(section(&doc, "## 5."), "Name"),
        caps,
        "docs/scenarios.md §5 vs omv_hil::scenario::Capability::ALL"
    );

    let msg = scenario_error("description = \"x\"\n[[step]]\nop = \"write\"\nerror = \"Zzz\"\n");
    let errors = listed_after(&msg, "expected one of ", '\n');
    assert!(errors.len() > 20, "{errors:?}");
    let expectations = section(&doc, "## 7.");
    for e in &errors {
        assert!(
            expectations.contains(&format!("`{e}`")),
            "docs/scenarios.md §7 does not name error `{e}`"
        );
    }
    // Every backticked CamelCase name in §7's error list is one.
    let listed = expectations
        .split("`error = \"<Name>\"`")
        .nth(1)
        .unwrap()
        .split("- Not both")
        .next()
        .unwrap();
    for name in listed.split('`').skip(1).step_by(2) {
        let camel = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphanumeric());
        if camel {
            assert!(
                errors.contains(name),
                "§7 names error `{name}`, which the parser refuses"
            );
        }
    }

    let msg = scenario_error(
        "description = \"x\"\n[sensor]\ncontent = \"zzz\"\n[[step]]\nop = \"write\"\n",
    );
    let contents = listed_after(&msg, "expected one of ", '\n');
    let row = section(&doc, "## 3.")
        .lines()
        .find(|l| l.starts_with("| `content`"))
        .unwrap();
    let cell = row.split('|').nth(2).unwrap();
    let documented: BTreeSet<String> = cell
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    assert!(
        contents.is_subset(&documented),
        "§3 content: {documented:?} vs {contents:?}"
    );

    let msg = scenario_error(
        "description = \"x\"\n[card]\nprofile = \"zzz\"\n[[step]]\nop = \"write\"\n",
    );
    let profiles = listed_after(&msg, "(expected one of ", ')');
    let in_doc = first_column(section(&doc, "## 4."), "Name");
    assert_eq!(
        in_doc
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect::<BTreeSet<_>>(),
        profiles
            .iter()
            .map(|p| p.split(':').next().unwrap())
            .collect::<BTreeSet<_>>(),
        "docs/scenarios.md §4's profile names vs the parser's"
    );
}
