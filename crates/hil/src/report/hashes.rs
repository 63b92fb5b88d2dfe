//! Which frames a golden thumbnail sheet shows, as a digest of the frame
//! hashes of the snapshot it belongs to: a sheet is up to date when its
//! digest equals the digest of the accepted snapshot's hashes, so a sheet
//! left behind when a changed snapshot was accepted is noticed even if the
//! frame count stayed the same.

use sha2::{Digest, Sha256};

/// The sha256 column of every frame row of every stream file in a
/// snapshot (`summary.txt` or a `.snap`), in order. Rows are the lines
/// after a `file ...` line's column header whose first field is a frame
/// index; `[redacted]` hashes are returned as such.
pub fn frame_hashes(summary: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_table = false;
    for line in summary.lines() {
        let t = line.trim();
        if t.starts_with("index ") && t.ends_with("sha256") {
            in_table = true;
            continue;
        }
        if t.is_empty() || line.starts_with("file ") || !line.starts_with(' ') {
            in_table = false;
            continue;
        }
        if !in_table {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if first.parse::<u32>().is_ok() {
            if let Some(h) = t.rsplit(' ').next() {
                out.push(h.to_owned());
            }
        }
    }
    out
}

/// True if a snapshot's hashes are content hashes (none redacted).
pub fn kept(hashes: &[String]) -> bool {
    hashes
        .iter()
        .all(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A short digest of the hashes in order (16 hex digits of sha256).
pub fn digest(hashes: &[String]) -> String {
    let mut d = Sha256::new();
    for (i, h) in hashes.iter().enumerate() {
        d.update(format!("{i}:{h}\n").as_bytes());
    }
    d.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAP: &str = r"scenario: s

steps:
   #1  record 2  ->  2 frames from #0

file /sdcard/a.bin: 100 bytes, V2.0, 2 frames
  index      offset         size  pixformat        elapsed     bytes  sha256
      0          16      320x240  RGB565              0 us    153600  1da2d265ebe1820b
      1      153648      320x240  RGB565          31000 us    153600  fd64484459865db8
  truncated tail at 307280: data ends inside a chunk

file /sdcard/b.bin: 0 bytes, no valid header, 0 frames
file /sdcard/c.bin: 50 bytes, V2.0, 1 frames
  index      offset         size  pixformat        elapsed     bytes  sha256
      0          16        32x24  GRAYSCALE           0 us       768  [redacted]

timing:
  #1 wrote 2 frames: 30.000 fps
";

    #[test]
    fn every_frame_row_of_every_file_is_read_in_order() {
        let h = frame_hashes(SNAP);
        assert_eq!(h, ["1da2d265ebe1820b", "fd64484459865db8", "[redacted]"]);
        assert!(!kept(&h));
        assert!(kept(&h[..2]));
        assert_eq!(digest(&h[..2]).len(), 16);
        assert_ne!(digest(&h[..2]), digest(&[h[1].clone(), h[0].clone()]));
        assert!(frame_hashes("steps:\n   #1  count()  ->  3\n").is_empty());
    }
}
