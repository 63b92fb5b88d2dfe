//! `inspect FILE [--json]`: the container version and one row per frame of a
//! stream file, as a table or as JSON.

use crate::table::{FrameRow, StreamTable};
use omv_imageio::StdIo;
use serde::Serialize;
use std::fs::File;
use std::path::Path;

/// The JSON report, in the documented shape and field order:
/// `{"version", "frames": [...], "complete", "error"}`. `version` is `null`
/// when the header is bad (the file could not be opened, is empty, or is not
/// a stream); `error` is `"at byte N: reason"` for the first fault.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report<'a> {
    /// 10, 11, 20 or 21; `None` without a valid header.
    pub version: Option<u8>,
    /// The frames read before the end or the fault.
    pub frames: &'a [FrameRow],
    /// True when the file ended exactly after a whole frame.
    pub complete: bool,
    /// The first fault (read error, else truncated tail), if any.
    pub error: Option<&'a str>,
}

impl<'a> Report<'a> {
    /// The report of a table.
    pub fn new(t: &'a StreamTable) -> Self {
        Report {
            version: t.version,
            frames: &t.frames,
            complete: t.complete(),
            error: t.fault(),
        }
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and integers cannot fail; the
        // fallback keeps the documented shape all the same.
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                "{{\"version\":null,\"frames\":[],\"complete\":false,\"error\":{:?}}}",
                e.to_string()
            )
        })
    }
}

/// The table of `path`. A file that cannot be opened gives a table with no
/// version and the reason as its error, like a bad header.
pub fn table_of(path: &Path) -> StreamTable {
    let opened = File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len())));
    match opened {
        Ok((f, len)) => StreamTable::scan(StdIo(f), len),
        Err(e) => StreamTable {
            len: 0,
            version: None,
            frames: Vec::new(),
            truncated_tail: None,
            error: Some(format!("cannot open: {e}")),
        },
    }
}

/// The human-readable table.
pub fn text(t: &StreamTable) -> String {
    let v = t.version.unwrap_or(0);
    let mut out = format!("version {}.{}  frames {}\n", v / 10, v % 10, t.frames.len());
    out.push_str(&format!(
        "{:>6} {:>10} {:>12} {:>11} {:<10} {:>10}  sha256\n",
        "index", "offset", "elapsed_us", "size", "pixformat", "payload"
    ));
    for f in &t.frames {
        out.push_str(&format!(
            "{:>6} {:>10} {:>12} {:>11} {:<10} {:>10}  {}\n",
            f.index,
            f.offset,
            f.elapsed_us,
            format!("{}x{}", f.width, f.height),
            f.pixformat,
            f.payload_len,
            f.sha256.get(..16).unwrap_or(&f.sha256)
        ));
    }
    match t.fault() {
        None => out.push_str("complete\n"),
        Some(e) => out.push_str(&format!("INCOMPLETE: {e}\n")),
    }
    out
}

/// What the subcommand prints and its exit status (0 complete, 1 otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: i32,
}

/// The subcommand's output for `path`. With `json`, every file (bad header,
/// empty, missing) prints the JSON report; without, a bad header prints only
/// an error.
pub fn output(path: &Path, json: bool) -> Output {
    let t = table_of(path);
    let code = i32::from(!t.complete());
    let stderr = t
        .fault()
        .map(|e| format!("error: {}: {e}\n", path.display()))
        .unwrap_or_default();
    let stdout = if json {
        format!("{}\n", Report::new(&t).to_json())
    } else if t.version.is_none() {
        String::new()
    } else {
        text(&t)
    };
    Output {
        stdout,
        stderr: if json { String::new() } else { stderr },
        code,
    }
}

/// Run the subcommand: print and return the exit status.
pub fn run(path: &Path, json: bool) -> i32 {
    let out = output(path, json);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    out.code
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../imageio/tests/vectors");

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn gray_vector_json_has_the_documented_shape() {
        let t = StreamTable::parse(&vector("v20_gray_2x2_33ms.bin"));
        let text = Report::new(&t).to_json();
        assert!(text.starts_with("{\"version\":20,\"frames\":[{\"index\":0,\"offset\":16,\"elapsed_us\":33000,\"width\":2,\"height\":2,\"pixformat\":\"GRAYSCALE\",\"payload_len\":4,\"sha256\":\""), "{text}");
        assert!(
            text.ends_with("}],\"complete\":true,\"error\":null}"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["frames"][0]["sha256"].as_str().unwrap().len(), 64);
    }

    #[test]
    fn v10_rgb565_hash_is_of_the_swapped_payload() {
        let r10 = StreamTable::parse(&vector("v10_rgb565_2x1_100ms.bin"));
        let r11 = StreamTable::parse(&vector("v11_rgb565_2x1_100ms.bin"));
        assert_eq!((r10.version, r11.version), (Some(10), Some(11)));
        // Both hold the same pixels; V1.0 stores them big-endian.
        assert_eq!(r10.frames[0].sha256, r11.frames[0].sha256);
        assert_eq!(r10.frames[0].elapsed_us, 100_000);
    }

    #[test]
    fn truncated_file_reports_frames_so_far_and_the_fault() {
        let full = vector("v20_two_frames.bin");
        let all = StreamTable::parse(&full);
        assert_eq!(all.frames.len(), 2);
        assert!(all.complete());
        // The last chunk: 32-byte header, 2 payload bytes, 14 padding; cut one payload byte.
        let r = StreamTable::parse(&full[..full.len() - 15]);
        assert_eq!(r.frames, all.frames[..1]);
        let report = Report::new(&r);
        assert!(!report.complete);
        let err = report.error.unwrap();
        assert!(err.starts_with("at byte "), "{err}");
        assert!(err.contains("payload"), "{err}");
        assert!(text(&r).ends_with(&format!("INCOMPLETE: {err}\n")));
    }

    #[test]
    fn corrupt_pixformat_is_reported_with_its_offset() {
        let mut bytes = vector("v20_two_frames.bin");
        let second = StreamTable::parse(&bytes).frames[1].offset as usize;
        // pixformat field is the bytes 12..16 of a V2 chunk header.
        bytes[second + 12..second + 16].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
        let r = StreamTable::parse(&bytes);
        assert_eq!(r.frames.len(), 1);
        assert_eq!(
            Report::new(&r).error,
            Some(format!("at byte {second}: invalid pixformat 0xDEADBEEF").as_str())
        );
    }

    #[test]
    fn empty_stream_is_complete_with_no_frames() {
        let r = StreamTable::parse(&vector("v20_empty.bin"));
        assert_eq!(
            (r.version, r.frames.len(), r.complete()),
            (Some(20), 0, true)
        );
        assert!(text(&r).ends_with("complete\n"));
    }

    #[test]
    fn missing_file_is_json_with_the_reason() {
        let out = output(Path::new("/nonexistent/omvstream/none.bin"), true);
        assert_eq!(out.code, 1);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["complete"], false);
        assert_eq!(v["version"], serde_json::Value::Null);
        assert!(v["error"].as_str().unwrap().starts_with("cannot open: "));
    }
}
