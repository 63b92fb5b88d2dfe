//! HTML building blocks of the report: escaping, inline PNG data URIs,
//! the page's style sheet and its render check script.

use base64::Engine as _;

pub use crate::escape::escape_markup as esc;

/// A `data:image/png;base64,...` URI of PNG bytes.
pub fn png_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// An `<img>` of PNG bytes, shown at `w × h` CSS pixels (scaled up
/// without smoothing: thumbnails stay sharp).
pub fn img(png: &[u8], w: u32, h: u32, alt: &str) -> String {
    format!(
        "<img src=\"{}\" width=\"{w}\" height=\"{h}\" alt=\"{}\">",
        png_uri(png),
        esc(alt)
    )
}

/// The CSS class of a verdict label (`pass`, `FAIL`, `snapshot changed`, ...).
pub fn verdict_class(label: &str) -> String {
    let l = label.to_ascii_lowercase().replace(' ', "-");
    format!("v-{l}")
}

/// The page's style sheet.
pub const CSS: &str = r#"
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px; color: #222; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
section.scenario { background: #fff; border: 1px solid #ddd; border-left: 6px solid #999; border-radius: 4px; padding: 12px 16px; margin: 16px 0; }
section.v-pass { border-left-color: #2ca02c; }
section.v-fail, section.v-error { border-left-color: #d62728; }
section.v-snapshot-changed, section.v-snapshot-missing { border-left-color: #ff7f0e; }
section.v-skipped { border-left-color: #bbb; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; font-size: 12px; color: #fff; background: #999; vertical-align: middle; }
.badge.v-pass { background: #2ca02c; } .badge.v-fail, .badge.v-error { background: #d62728; }
.badge.v-snapshot-changed, .badge.v-snapshot-missing { background: #ff7f0e; }
.meta { color: #666; font-size: 12px; }
table { border-collapse: collapse; margin: 4px 0; }
td, th { border-bottom: 1px solid #eee; padding: 2px 8px; text-align: left; vertical-align: top; font-size: 13px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fde8e8; }
pre { background: #f4f4f4; padding: 8px; overflow-x: auto; font-size: 12px; }
pre.diff .add { color: #1a7f37; } pre.diff .del { color: #c0392b; } pre.diff .hunk { color: #6f42c1; }
ul.failures li { color: #a00; white-space: pre-wrap; font-family: monospace; font-size: 12px; }
.sheet { display: flex; flex-wrap: wrap; gap: 6px; }
.sheet figure { margin: 0; text-align: center; font-size: 11px; color: #555; max-width: 98px; }
.sheet img, .compare img { image-rendering: pixelated; border: 1px solid #ccc; background: #000; display: block; }
.compare td { text-align: center; font-size: 11px; }
.plots { display: flex; flex-wrap: wrap; gap: 8px; }
.plots svg { flex: 0 1 560px; width: 560px; max-width: 100%; height: auto; display: block; border: 1px solid #eee; }
.toc td { padding: 1px 8px; }
#render-check { color: #888; font-size: 11px; }
"#;

/// The render check: after the page has loaded, `#render-check` says how
/// many images decoded (`naturalWidth > 0`), how many inline SVG plots
/// there are and how many script errors happened; the browser test reads
/// it from the DOM.
pub const SCRIPT: &str = r#"
(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  window.addEventListener('load', function () {
    var imgs = document.querySelectorAll('img');
    var broken = 0;
    for (var i = 0; i < imgs.length; i++) {
      if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) { broken++; }
    }
    var svgs = document.querySelectorAll('svg');
    var m = document.getElementById('render-check');
    m.setAttribute('data-imgs', imgs.length);
    m.setAttribute('data-broken', broken);
    m.setAttribute('data-svgs', svgs.length);
    m.setAttribute('data-errors', errors.length);
    m.textContent = 'rendered: ' + imgs.length + ' images (' + broken + ' broken), ' +
      svgs.length + ' plots, ' + errors.length + ' script errors';
  });
})();
"#;

/// A unified diff with its added, removed and hunk lines coloured.
pub fn diff(d: &str) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for line in d.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            ""
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with("@@") {
            "hunk"
        } else {
            ""
        };
        if class.is_empty() {
            out.push_str(&esc(line));
        } else {
            out.push_str(&format!("<span class=\"{class}\">{}</span>", esc(line)));
        }
        out.push('\n');
    }
    out.push_str("</pre>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_pngs_become_data_uris() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(png_uri(b"\x89PNG"), "data:image/png;base64,iVBORw==");
        assert_eq!(verdict_class("snapshot changed"), "v-snapshot-changed");
        let d = diff("--- golden\n+++ captured\n@@ -1 +1 @@\n-a<b\n+c\n d\n");
        assert!(d.contains("<span class=\"del\">-a&lt;b</span>"), "{d}");
        assert!(d.contains("<span class=\"add\">+c</span>"), "{d}");
        assert!(d.contains("\n d\n"), "{d}");
    }
}
