//! `recover FILE -o FILE`: keep every complete frame of a damaged or
//! truncated stream, and say what was dropped.
//!
//! The input is read with `omv-imageio`'s reader up to its first fault (a
//! corrupt chunk header, a chunk running past the end). From there the
//! bytes are searched, one byte at a time, for the next place where a valid
//! chunk header starts whose payload fits in the file and which is followed
//! by another valid header (of a chunk that may itself be cut) or the end of
//! the file; reading resumes there.
//! Each skipped byte range is reported with the fault that started it. The
//! kept frames are written with `omv-imageio`'s writer to a new stream
//! (V2.1 if the input was V2.1, else V2.0) with their recorded elapsed
//! times, so a frame after a gap keeps the interval recorded before it.
//! The whole input is read into memory.

use crate::error::{CliError, Result};
use crate::import::create;
use crate::table::walk;
use omv_imageio::container::FILE_HEADER_LEN;
use omv_imageio::{ChunkHeader, Image, SliceFile, Version};
use std::path::Path;

/// A byte range of the input that was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// First dropped byte.
    pub start: u64,
    /// One past the last dropped byte.
    pub end: u64,
    /// The reader's fault where the range starts.
    pub reason: String,
}

/// What recovery kept and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The input's container version.
    pub version: Version,
    /// Frames written to the output.
    pub kept: u32,
    /// Input byte offsets of the kept frames' chunk headers.
    pub offsets: Vec<u64>,
    /// Dropped byte ranges, in order.
    pub gaps: Vec<Gap>,
}

/// The chunk header at `pos`, if a valid one of a non-empty frame starts there.
fn header_at(bytes: &[u8], version: Version, pos: u64) -> Option<ChunkHeader> {
    let hlen = version.chunk_header_len() as usize;
    let start = usize::try_from(pos).ok()?;
    let h = ChunkHeader::decode(version, bytes.get(start..start + hlen)?).ok()?;
    (h.width > 0 && h.height > 0).then_some(h)
}

/// The end of the valid chunk starting at `pos` (its payload in the file), if one starts there.
fn chunk_at(bytes: &[u8], version: Version, pos: u64) -> Option<u64> {
    let len = bytes.len() as u64;
    let h = header_at(bytes, version, pos)?;
    let payload_end = pos + version.chunk_header_len() + u64::from(h.payload_len);
    (payload_end <= len).then(|| (pos + h.chunk_len(version)).min(len))
}

/// The first position at or after `from` where a valid chunk starts that is
/// followed by the end of the file, a valid chunk header (its payload may be
/// cut: a truncated tail), or less than a header's bytes.
fn resync(bytes: &[u8], version: Version, from: u64) -> Option<u64> {
    let len = bytes.len() as u64;
    let followed = |end: u64| {
        end + version.chunk_header_len() > len || header_at(bytes, version, end).is_some()
    };
    (from..len).find(|&p| chunk_at(bytes, version, p).is_some_and(followed))
}

/// Recover the stream in `bytes` (named `input` in errors) into a new stream file `out`.
pub fn recover(input: &Path, bytes: &[u8], out: &Path) -> Result<Recovered> {
    let mut head = bytes[..bytes.len().min(16)].to_vec();
    let head_len = head.len();
    let version = walk(SliceFile::with_len(&mut head, head_len), |_, _| Ok(()))
        .map_err(|e| e.into_error(input))?
        .version;
    let stream_err = |source| CliError::Stream {
        path: out.to_owned(),
        source,
    };
    // V2.1 (µs) input stays V2.1; V1.x (read-only) and V2.0 become V2.0.
    let out_version = if version == Version::V2_1 {
        Version::V2_1
    } else {
        Version::V2_0
    };
    let mut w = create(out, out_version)?;
    let mut done = Recovered {
        version,
        kept: 0,
        offsets: Vec::new(),
        gaps: Vec::new(),
    };
    let len = bytes.len() as u64;
    let mut pos = FILE_HEADER_LEN;
    while pos < len {
        // The rest of the file from `pos`, behind the original header.
        let mut segment = head.clone();
        segment.extend_from_slice(bytes.get(pos as usize..).unwrap_or_default());
        let seg_len = segment.len();
        let shift = pos - FILE_HEADER_LEN;
        let mut last_end = pos;
        let walked = walk(
            SliceFile::with_len(&mut segment, seg_len),
            |info, payload| {
                w.time_mut().advance_us(info.elapsed_us);
                w.write(&Image::new(
                    info.width,
                    info.height,
                    info.pixformat,
                    payload,
                ))
                .map_err(stream_err)?;
                let hlen = version.chunk_header_len();
                let n = u64::from(info.payload_len);
                last_end =
                    (info.offset + shift + hlen + n + omv_imageio::container::padding(n)).min(len);
                done.offsets.push(info.offset + shift);
                done.kept += 1;
                Ok(())
            },
        )
        .map_err(|e| e.into_error(input))?;
        let Some(fault) = walked.fault() else { break };
        // Report the fault at its offset in the input, not in the segment.
        let reason = match fault.offset {
            Some(o) => format!("at byte {}: {}", o + shift, fault.kind),
            None => fault.kind.to_string(),
        };
        let next = resync(bytes, version, last_end + 1);
        done.gaps.push(Gap {
            start: last_end,
            end: next.unwrap_or(len),
            reason,
        });
        match next {
            Some(p) => pos = p,
            None => break,
        }
    }
    w.close().map_err(stream_err)?;
    Ok(done)
}

/// The report printed after a recovery.
pub fn report(r: &Recovered, out: &Path) -> String {
    let mut s = format!(
        "kept {} frames (V{}.{} input) in {}\n",
        r.kept,
        r.version.number() / 10,
        r.version.number() % 10,
        out.display()
    );
    if r.gaps.is_empty() {
        s.push_str("nothing dropped: the input was complete\n");
    }
    for g in &r.gaps {
        s.push_str(&format!(
            "dropped bytes {}..{} ({} bytes): {}\n",
            g.start,
            g.end,
            g.end - g.start,
            g.reason
        ));
    }
    s
}
