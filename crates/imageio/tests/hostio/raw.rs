//! The baseline: the same bytes written and read with plain sequential
//! `std::io` calls (`write_all`/`read_exact`, no seeks), as code that knows
//! the layout would.

use super::Kind;
use omv_imageio::container::padding;
use omv_imageio::{ChunkHeader, Version};
use std::io::{self, Read, Write};

/// Every frame's elapsed field: the stream writers advance their clock by
/// this many milliseconds before each frame.
pub const ELAPSED_MS: u32 = 33;

/// The chunk header of frame `i`, as a V2.0 stream writes it.
pub fn header(kind: &Kind, i: u32) -> [u8; 32] {
    ChunkHeader {
        elapsed: ELAPSED_MS,
        width: kind.width,
        height: kind.height,
        pixformat: kind.pixformat,
        size_field: 0,
        payload_len: kind.len_of(i) as u32,
    }
    .encode_v2()
}

/// Write the file header.
pub fn write_magic<W: Write>(w: &mut W) -> io::Result<()> {
    w.write_all(&Version::V2_0.magic())
}

/// Write frames `0..frames` as header, payload, padding.
pub fn write_frames<W: Write>(w: &mut W, kind: &Kind, frames: u32, data: &[u8]) -> io::Result<()> {
    let pad = [0u8; 16];
    for i in 0..frames {
        let n = kind.len_of(i);
        w.write_all(&header(kind, i))?;
        w.write_all(&data[..n])?;
        w.write_all(&pad[..padding(n as u64) as usize])?;
    }
    Ok(())
}

/// Read the file header.
pub fn read_magic<R: Read>(r: &mut R) -> io::Result<()> {
    let mut magic = [0u8; 16];
    r.read_exact(&mut magic)
}

/// Read `frames` frames into `fb`: header, payload, padding each; returns the
/// payload bytes read.
pub fn read_frames<R: Read>(r: &mut R, frames: u32, fb: &mut [u8]) -> io::Result<u64> {
    let mut hdr = [0u8; 32];
    let mut pad = [0u8; 16];
    let mut total = 0;
    for _ in 0..frames {
        r.read_exact(&mut hdr)?;
        let h = ChunkHeader::decode(Version::V2_0, &hdr)
            .map_err(|k| io::Error::new(io::ErrorKind::InvalidData, k.to_string()))?;
        let n = h.payload_len as usize;
        r.read_exact(&mut fb[..n])?;
        r.read_exact(&mut pad[..padding(n as u64) as usize])?;
        total += n as u64;
    }
    Ok(total)
}
