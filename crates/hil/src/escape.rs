//! Escaping text for the two markup files a run writes: the JUnit XML and
//! the HTML report. One escaper serves both, since what XML 1.0 needs is
//! also right for HTML.

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for text and attribute
/// values (`'` as `&#39;`, which XML and HTML both read), and the control
/// characters XML 1.0 forbids dropped (tab, newline and carriage return
/// are kept).
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
