//! The frame table of a captured stream file, read with the same
//! `omv-imageio` crate the boards use.

use omv_imageio::{FileOptions, FileStream, ManualClock, ReadOptions, SliceFile, Version};
use sha2::{Digest, Sha256};

/// One frame of a stream file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRow {
    /// Frame index.
    pub index: u32,
    /// Byte offset of the chunk header.
    pub offset: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format name.
    pub pixformat: &'static str,
    /// Elapsed time before the frame, µs.
    pub elapsed_us: u64,
    /// Payload bytes.
    pub payload_len: u32,
    /// SHA-256 of the payload, lower-case hex.
    pub sha256: String,
}

/// A stream file's container version and frames, and how reading it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTable {
    /// File length in bytes.
    pub len: u64,
    /// Container version number (10, 11, 20, 21), if the header is valid.
    pub version: Option<u8>,
    /// Every complete frame, in order.
    pub frames: Vec<FrameRow>,
    /// The file ends inside a chunk (e.g. power lost before `sync`): where and why.
    pub truncated_tail: Option<String>,
    /// Reading stopped at an error other than a truncated tail.
    pub error: Option<String>,
}

impl StreamTable {
    /// Read every frame of `bytes` (an OMV IMG STR file). Never fails: a
    /// broken file gives the frames before the fault and the fault.
    pub fn parse(bytes: &[u8]) -> StreamTable {
        let mut buf = bytes.to_vec();
        let len = buf.len();
        let mut table = StreamTable {
            len: len as u64,
            version: None,
            frames: Vec::new(),
            truncated_tail: None,
            error: None,
        };
        let file = SliceFile::with_len(&mut buf, len);
        let mut stream = match FileStream::<_, _, 16>::open(
            file,
            "r",
            ManualClock::new(0),
            FileOptions::default(),
        ) {
            Ok(s) => s,
            Err(e) => {
                table.error = Some(e.to_string());
                return table;
            }
        };
        table.version = stream.version().ok().map(Version::number);
        // A payload is never longer than the file.
        let mut fb = vec![0u8; len];
        loop {
            match stream.read(&mut fb, ReadOptions::FAST_ONCE) {
                Ok(Some(info)) => {
                    let data = fb.get(..info.payload_len as usize).unwrap_or_default();
                    table.frames.push(FrameRow {
                        index: info.index,
                        offset: info.offset,
                        width: info.width,
                        height: info.height,
                        pixformat: info.pixformat.name(),
                        elapsed_us: info.elapsed_us,
                        payload_len: info.payload_len,
                        sha256: hex(&Sha256::digest(data)),
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    table.error = Some(e.to_string());
                    break;
                }
            }
        }
        table.truncated_tail = stream.truncated_tail().map(|e| e.to_string());
        table
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use omv_imageio::{Image, PixFormat};

    fn stream(frames: &[&[u8]]) -> Vec<u8> {
        let mut buf = vec![0u8; 4096];
        let file = SliceFile::empty(&mut buf);
        let mut s =
            FileStream::<_, _, 16>::open(file, "w", ManualClock::new(0), FileOptions::default())
                .unwrap();
        for f in frames {
            s.time_mut().advance_ms(40);
            s.write(&Image::new(4, 2, PixFormat::Grayscale, f)).unwrap();
        }
        s.into_inner().as_bytes().to_vec()
    }

    #[test]
    fn a_stream_gives_version_and_one_row_per_frame() {
        let bytes = stream(&[&[1; 8], &[2; 8]]);
        let t = StreamTable::parse(&bytes);
        assert_eq!(t.version, Some(20));
        assert_eq!(t.frames.len(), 2);
        assert_eq!(t.frames[1].elapsed_us, 40_000);
        assert_eq!(t.frames[1].pixformat, "GRAYSCALE");
        assert_eq!(t.frames[0].sha256, hex(&Sha256::digest([1u8; 8])));
        assert_eq!(t.truncated_tail, None);
        assert_eq!(t.error, None);
    }

    #[test]
    fn a_cut_file_keeps_the_complete_frames_and_names_the_tail() {
        let bytes = stream(&[&[1; 8], &[2; 8]]);
        let t = StreamTable::parse(&bytes[..bytes.len() - 10]);
        assert_eq!(t.frames.len(), 1);
        assert!(t.truncated_tail.unwrap().contains("payload"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let t = StreamTable::parse(b"not a stream at all");
        assert!(t.frames.is_empty());
        assert!(t.error.unwrap().contains("magic"));
        assert_eq!(StreamTable::parse(&[]).version, None);
    }
}
