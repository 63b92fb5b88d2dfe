//! `cargo xtask inspect FILE [--json]`: the container version and one row per
//! frame of a stream file, or the same as JSON.

use omv_imageio::{ErrorKind, FileOptions, FileStream, FrameInfo, ManualClock, ReadOptions, StdIo};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::Path;

/// One frame of the report.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct FrameRow {
    /// Frame number, from 0.
    pub index: u32,
    /// Byte offset of the frame's chunk header.
    pub offset: u64,
    /// The elapsed field in microseconds.
    pub elapsed_us: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixformat name.
    pub pixformat: &'static str,
    /// Payload bytes (no padding).
    pub payload_len: u32,
    /// SHA-256 of the payload as a reader returns it.
    pub sha256: String,
}

/// The whole report; serialises to the documented JSON shape, in this order.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    /// 10, 11, 20 or 21.
    pub version: u8,
    /// The frames read before the end or the fault.
    pub frames: Vec<FrameRow>,
    /// True when the file ended exactly after a whole frame.
    pub complete: bool,
    /// Byte offset and reason of the fault, if any.
    pub error: Option<String>,
}

/// Why a file could not be inspected at all.
#[derive(Debug)]
pub enum NotAStream {
    /// The file could not be opened.
    Open(std::io::Error),
    /// The header is not an OMV IMG STR header.
    Header(omv_imageio::Error),
}

impl std::fmt::Display for NotAStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAStream::Open(e) => write!(f, "cannot open: {e}"),
            NotAStream::Header(e) => write!(f, "{e}"),
        }
    }
}

/// Read every frame of the stream in `file`.
pub fn scan(file: File) -> Result<Report, NotAStream> {
    let mut s: FileStream<_, _> =
        FileStream::open_read(StdIo(file), ManualClock::new(0), FileOptions::default())
            .map_err(NotAStream::Header)?;
    let version = s.version().map_err(NotAStream::Header)?.number();
    let mut frames = Vec::new();
    let mut fb = Vec::new();
    let error = loop {
        match s.read(&mut fb, ReadOptions::FAST_ONCE) {
            Ok(Some(info)) => frames.push(row(&info, &fb)),
            Ok(None) => break s.truncated_tail(),
            Err(e) => match e.kind {
                ErrorKind::BufferTooSmall { needed, .. } => match usize::try_from(needed) {
                    Ok(n) => fb.resize(n, 0),
                    Err(_) => break Some(e),
                },
                _ => break Some(e),
            },
        }
    };
    Ok(Report {
        version,
        frames,
        complete: error.is_none(),
        error: error.map(|e| e.to_string()),
    })
}

fn row(info: &FrameInfo, fb: &[u8]) -> FrameRow {
    let payload = fb.get(..info.payload_len as usize).unwrap_or(fb);
    FrameRow {
        index: info.index,
        offset: info.offset,
        elapsed_us: info.elapsed_us,
        width: info.width,
        height: info.height,
        pixformat: info.pixformat.name(),
        payload_len: info.payload_len,
        sha256: hex(&Sha256::digest(payload)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The human-readable table.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "version {}.{}  frames {}\n",
        r.version / 10,
        r.version % 10,
        r.frames.len()
    );
    out.push_str(&format!(
        "{:>6} {:>10} {:>12} {:>11} {:<10} {:>10}  sha256\n",
        "index", "offset", "elapsed_us", "size", "pixformat", "payload"
    ));
    for f in &r.frames {
        out.push_str(&format!(
            "{:>6} {:>10} {:>12} {:>11} {:<10} {:>10}  {}\n",
            f.index,
            f.offset,
            f.elapsed_us,
            format!("{}x{}", f.width, f.height),
            f.pixformat,
            f.payload_len,
            &f.sha256[..16]
        ));
    }
    match &r.error {
        None => out.push_str("complete\n"),
        Some(e) => out.push_str(&format!("INCOMPLETE: {e}\n")),
    }
    out
}

/// The subcommand: print and return the exit status (0 complete, 1 otherwise).
pub fn run(path: &Path, json: bool) -> i32 {
    let report = File::open(path).map_err(NotAStream::Open).and_then(scan);
    match report {
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            1
        }
        Ok(r) => {
            if json {
                match serde_json::to_string(&r) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("error: cannot serialise the report: {e}");
                        return 1;
                    }
                }
            } else {
                print!("{}", table(&r));
            }
            if let (Some(e), false) = (&r.error, json) {
                eprintln!("error: {}: {e}", path.display());
            }
            i32::from(!r.complete)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const VECTORS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/imageio/tests/vectors"
    );

    fn scan_bytes(bytes: &[u8]) -> Result<Report, NotAStream> {
        let mut f = tempfile::tempfile().map_err(NotAStream::Open)?;
        f.write_all(bytes).map_err(NotAStream::Open)?;
        use std::io::Seek;
        f.rewind().map_err(NotAStream::Open)?;
        scan(f)
    }

    fn vector(name: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn gray_vector_json_has_the_documented_shape() {
        let r = scan_bytes(&vector("v20_gray_2x2_33ms.bin")).unwrap();
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.starts_with("{\"version\":20,\"frames\":[{\"index\":0,\"offset\":16,\"elapsed_us\":33000,\"width\":2,\"height\":2,\"pixformat\":\"GRAYSCALE\",\"payload_len\":4,\"sha256\":\""), "{text}");
        assert!(
            text.ends_with("}],\"complete\":true,\"error\":null}"),
            "{text}"
        );
        assert_eq!(v["frames"][0]["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(r.frames.len(), 1);
    }

    #[test]
    fn v10_rgb565_hash_is_of_the_swapped_payload() {
        let r10 = scan_bytes(&vector("v10_rgb565_2x1_100ms.bin")).unwrap();
        let r11 = scan_bytes(&vector("v11_rgb565_2x1_100ms.bin")).unwrap();
        assert_eq!(r10.version, 10);
        assert_eq!(r11.version, 11);
        // Both hold the same pixels; V1.0 stores them big-endian.
        assert_eq!(r10.frames[0].sha256, r11.frames[0].sha256);
        assert_eq!(r10.frames[0].elapsed_us, 100_000);
    }

    #[test]
    fn truncated_file_reports_frames_so_far_and_the_fault() {
        let full = vector("v20_two_frames.bin");
        let all = scan_bytes(&full).unwrap();
        assert_eq!(all.frames.len(), 2);
        assert!(all.complete);
        // The last chunk: 32-byte header, 2 payload bytes, 14 padding; cut one payload byte.
        let cut = &full[..full.len() - 15];
        let r = scan_bytes(cut).unwrap();
        assert_eq!(r.frames, all.frames[..1]);
        assert!(!r.complete);
        let err = r.error.unwrap();
        assert!(err.starts_with("at byte "), "{err}");
        assert!(err.contains("payload"), "{err}");
    }

    #[test]
    fn corrupt_pixformat_is_reported_with_its_offset() {
        let mut bytes = vector("v20_two_frames.bin");
        let first = scan_bytes(&bytes).unwrap();
        let second = first.frames[1].offset as usize;
        // pixformat field is the bytes 12..16 of a V2 chunk header.
        bytes[second + 12..second + 16].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
        let r = scan_bytes(&bytes).unwrap();
        assert_eq!(r.frames.len(), 1);
        assert_eq!(
            r.error.as_deref(),
            Some(format!("at byte {second}: invalid pixformat 0xDEADBEEF").as_str())
        );
    }

    #[test]
    fn not_a_stream_is_an_error() {
        let e = scan_bytes(b"hello, this is not a stream at all").unwrap_err();
        assert!(e.to_string().contains("bad magic"), "{e}");
        assert!(scan_bytes(b"OMV").is_err());
    }

    #[test]
    fn empty_stream_is_complete_with_no_frames() {
        let r = scan_bytes(&vector("v20_empty.bin")).unwrap();
        assert_eq!((r.version, r.frames.len(), r.complete), (20, 0, true));
        assert!(table(&r).contains("complete"));
    }
}
