//! Reading a stream file frame by frame with `omv-imageio`, and the frame
//! table built from it (what `inspect` prints and the HIL snapshots show).

use omv_imageio::{
    Error, ErrorKind, FileOptions, FileStream, FrameInfo, ManualClock, ReadOptions, SliceFile,
    Storage, Version,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// How a walk over a stream's frames ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walk {
    /// The container version of the header.
    pub version: Version,
    /// File length in bytes.
    pub len: u64,
    /// Frames handed to the visitor.
    pub frames: u32,
    /// The file ends inside a chunk (e.g. power lost before `sync`): where and why.
    pub truncated_tail: Option<Error>,
    /// Reading stopped at an error other than a truncated tail (e.g. a corrupt chunk header).
    pub error: Option<Error>,
}

impl Walk {
    /// The first fault: the read error, else the truncated tail.
    pub fn fault(&self) -> Option<&Error> {
        self.error.as_ref().or(self.truncated_tail.as_ref())
    }
}

/// Why a walk did not reach the end of the frames it could read.
#[derive(Debug)]
pub enum WalkStop<E> {
    /// The file header is not an OMV IMG STR header (or the file is empty).
    Header(Error),
    /// The visitor asked to stop, with its error.
    Visit(E),
}

impl WalkStop<crate::CliError> {
    /// The tool's error for a walk over the file `path`.
    pub fn into_error(self, path: &std::path::Path) -> crate::CliError {
        match self {
            WalkStop::Header(source) => crate::CliError::NotAStream {
                path: path.to_owned(),
                source,
            },
            WalkStop::Visit(e) => e,
        }
    }
}

/// Read every frame of the stream in `file`, in order, handing each frame's
/// info and payload (exactly `payload_len` bytes, V1.0 RGB565 already in
/// little-endian order) to `visit`. Never waits (`loop=False, pause=False`).
///
/// A truncated tail or a corrupt chunk ends the walk normally: the frames
/// before it were visited and [`Walk`] says what stopped it. The frame buffer
/// grows to the largest payload, which the reader bounds by the file length.
pub fn walk<F: Storage, E>(
    file: F,
    mut visit: impl FnMut(&FrameInfo, &[u8]) -> Result<(), E>,
) -> Result<Walk, WalkStop<E>> {
    let mut s: FileStream<F, ManualClock, 16> =
        FileStream::open_read(file, ManualClock::new(0), FileOptions::default())
            .map_err(WalkStop::Header)?;
    let version = s.version().map_err(WalkStop::Header)?;
    let len = s.size().map_err(WalkStop::Header)?;
    let mut fb = Vec::new();
    let mut frames = 0;
    let error = loop {
        match s.read(&mut fb, ReadOptions::FAST_ONCE) {
            Ok(Some(info)) => {
                let payload = fb.get(..info.payload_len as usize).unwrap_or(&fb);
                visit(&info, payload).map_err(WalkStop::Visit)?;
                frames += 1;
            }
            Ok(None) => break None,
            Err(e) => match e.kind {
                ErrorKind::BufferTooSmall { needed, .. } => match usize::try_from(needed) {
                    Ok(n) => fb.resize(n, 0),
                    Err(_) => break Some(e),
                },
                _ => break Some(e),
            },
        }
    };
    Ok(Walk {
        version,
        len,
        frames,
        truncated_tail: s.truncated_tail(),
        error,
    })
}

/// One frame of a stream file. Serialises to one element of `frames` in the
/// documented JSON shape, fields in this order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameRow {
    /// Frame index, from 0.
    pub index: u32,
    /// Byte offset of the chunk header.
    pub offset: u64,
    /// Elapsed time before the frame, µs.
    pub elapsed_us: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format name (`RGB565`, `BAYER_BGGR`, ...).
    pub pixformat: &'static str,
    /// Payload bytes (no padding).
    pub payload_len: u32,
    /// SHA-256 of the payload as a reader returns it, lower-case hex.
    pub sha256: String,
}

impl FrameRow {
    /// The row of a frame read from a stream.
    pub fn new(info: &FrameInfo, payload: &[u8]) -> FrameRow {
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
    /// Reading stopped at an error other than a truncated tail, or the header is bad.
    pub error: Option<String>,
}

impl StreamTable {
    /// Read every frame of `bytes` (an OMV IMG STR file). Never fails: a
    /// broken file gives the frames before the fault and the fault.
    pub fn parse(bytes: &[u8]) -> StreamTable {
        let mut buf = bytes.to_vec();
        let len = buf.len();
        StreamTable::scan(SliceFile::with_len(&mut buf, len), len as u64)
    }

    /// Read every frame of the stream in `file` of `len` bytes (the length
    /// is reported even when the header is bad). Never fails, as [`parse`](Self::parse).
    pub fn scan<F: Storage>(file: F, len: u64) -> StreamTable {
        let mut frames = Vec::new();
        let walked = walk(file, |info, payload| {
            frames.push(FrameRow::new(info, payload));
            Ok::<(), core::convert::Infallible>(())
        });
        match walked {
            Ok(w) => StreamTable {
                len: w.len,
                version: Some(w.version.number()),
                frames,
                truncated_tail: w.truncated_tail.map(|e| e.to_string()),
                error: w.error.map(|e| e.to_string()),
            },
            Err(WalkStop::Header(e)) => StreamTable {
                len,
                version: None,
                frames,
                truncated_tail: None,
                error: Some(e.to_string()),
            },
            Err(WalkStop::Visit(never)) => match never {},
        }
    }

    /// True when the header is valid and the file ended exactly after a whole frame.
    pub fn complete(&self) -> bool {
        self.version.is_some() && self.error.is_none() && self.truncated_tail.is_none()
    }

    /// The first fault: the read error, else the truncated tail.
    pub fn fault(&self) -> Option<&str> {
        self.error.as_deref().or(self.truncated_tail.as_deref())
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
        assert_eq!(t.len, bytes.len() as u64);
        assert_eq!(t.frames.len(), 2);
        assert_eq!(t.frames[1].elapsed_us, 40_000);
        assert_eq!(t.frames[1].pixformat, "GRAYSCALE");
        assert_eq!(t.frames[0].sha256, hex(&Sha256::digest([1u8; 8])));
        assert_eq!(t.truncated_tail, None);
        assert_eq!(t.error, None);
        assert!(t.complete());
    }

    #[test]
    fn a_cut_file_keeps_the_complete_frames_and_names_the_tail() {
        let bytes = stream(&[&[1; 8], &[2; 8]]);
        let t = StreamTable::parse(&bytes[..bytes.len() - 10]);
        assert_eq!(t.frames.len(), 1);
        assert!(!t.complete());
        assert_eq!(t.error, None);
        assert!(t.truncated_tail.unwrap().contains("payload"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let t = StreamTable::parse(b"not a stream at all");
        assert!(t.frames.is_empty());
        assert_eq!(t.len, 19);
        assert!(t.error.as_deref().unwrap().contains("magic"));
        let empty = StreamTable::parse(&[]);
        assert_eq!(
            (empty.version, empty.len, empty.complete()),
            (None, 0, false)
        );
        assert!(empty.error.unwrap().contains("file header"));
    }

    #[test]
    fn a_visitor_error_stops_the_walk() {
        let mut bytes = stream(&[&[1; 8], &[2; 8]]);
        let len = bytes.len();
        let mut seen = 0;
        let r = walk(SliceFile::with_len(&mut bytes, len), |_, _| {
            seen += 1;
            Err("stop")
        });
        assert!(matches!(r, Err(WalkStop::Visit("stop"))));
        assert_eq!(seen, 1);
    }
}
