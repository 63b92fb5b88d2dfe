//! The OMV IMG STR container: the 16-byte file header and the chunk headers
//! (docs/format.md §2, §3), as pure functions over byte arrays.

use crate::error::ErrorKind;
use crate::frame::check_dimensions;
use crate::pixformat::PixFormat;

/// The magic's first 12 bytes.
pub const MAGIC_PREFIX: &[u8; 12] = b"OMV IMG STR ";
/// Length of the file header.
pub const FILE_HEADER_LEN: u64 = 16;
/// Length of the largest chunk header (V2.x).
pub const MAX_CHUNK_HEADER_LEN: usize = 32;

/// A container version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// V1.0: 16-byte chunks, old bpp field, RGB565 big-endian.
    V1_0,
    /// V1.1: as V1.0 with little-endian RGB565.
    V1_1,
    /// V2.0: 32-byte chunks with the full pixformat and a size field; elapsed in ms.
    V2_0,
    /// V2.1: the V2.0 layout with elapsed in µs (the newest OpenMV IDE only).
    V2_1,
}

impl Version {
    /// The version number as OpenMV's `version()` returns it: 10, 11, 20 or 21.
    pub const fn number(self) -> u8 {
        match self {
            Version::V1_0 => 10,
            Version::V1_1 => 11,
            Version::V2_0 => 20,
            Version::V2_1 => 21,
        }
    }

    /// The 16-byte file header, e.g. `OMV IMG STR V2.0`.
    pub fn magic(self) -> [u8; 16] {
        let mut m = *b"OMV IMG STR V0.0";
        m[13] = b'0' + self.number() / 10;
        m[15] = b'0' + self.number() % 10;
        m
    }

    /// Parse the 16-byte file header. The version bytes must be ASCII digits
    /// (Q13 fixed) naming 1.0, 1.1, 2.0 or 2.1.
    pub fn parse_magic(h: &[u8; 16]) -> Result<Version, ErrorKind> {
        if &h[..12] != MAGIC_PREFIX || h[12] != b'V' || h[14] != b'.' {
            return Err(ErrorKind::BadMagic);
        }
        let (major, minor) = (h[13], h[15]);
        match (major, minor) {
            (b'1', b'0') => Ok(Version::V1_0),
            (b'1', b'1') => Ok(Version::V1_1),
            (b'2', b'0') => Ok(Version::V2_0),
            (b'2', b'1') => Ok(Version::V2_1),
            _ => Err(ErrorKind::UnsupportedVersion { major, minor }),
        }
    }

    /// Chunk header length: 16 for V1.x, 32 for V2.x.
    pub const fn chunk_header_len(self) -> u64 {
        match self {
            Version::V1_0 | Version::V1_1 => 16,
            Version::V2_0 | Version::V2_1 => 32,
        }
    }

    /// Microseconds per unit of the elapsed field: 1000 (ms), or 1 for V2.1.
    pub const fn elapsed_unit_us(self) -> u64 {
        match self {
            Version::V2_1 => 1,
            _ => 1000,
        }
    }
}

/// A decoded chunk header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// The elapsed field as stored.
    pub elapsed: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format (mapped from the bpp field for V1.x).
    pub pixformat: PixFormat,
    /// The V2 size field as stored; for V1 JPEG the bpp field (Q1 fixed).
    pub size_field: u32,
    /// Payload bytes that follow the header.
    pub payload_len: u32,
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// Zero bytes after a payload of `n` bytes: `(16 - n % 16) % 16`.
pub const fn padding(n: u64) -> u64 {
    (16 - n % 16) % 16
}

impl ChunkHeader {
    /// Decode a chunk header; `bytes` holds `version.chunk_header_len()` bytes.
    ///
    /// V1 bpp: 0 BINARY, 1 GRAYSCALE, 2 RGB565, 3 BAYER, ≥ 4 JPEG of `bpp`
    /// bytes (Q1 fixed); ≥ 0x8000_0000 is rejected as esp-vision does (Q2).
    /// V2: the pixformat must be valid. Dimensions above
    /// [`MAX_DIMENSION`](crate::MAX_DIMENSION) are rejected.
    pub fn decode(version: Version, bytes: &[u8]) -> Result<ChunkHeader, ErrorKind> {
        let elapsed = le32(bytes, 0);
        let width = le32(bytes, 4);
        let height = le32(bytes, 8);
        let field = le32(bytes, 12);
        let (pixformat, size_field) = match version {
            Version::V1_0 | Version::V1_1 => match field {
                0 => (PixFormat::Binary, 0),
                1 => (PixFormat::Grayscale, 0),
                2 => (PixFormat::Rgb565, 0),
                3 => (PixFormat::BayerBggr, 0),
                b if b >= 0x8000_0000 => return Err(ErrorKind::InvalidBpp(b)),
                b => (PixFormat::Jpeg, b),
            },
            Version::V2_0 | Version::V2_1 => {
                let pf = PixFormat::from_code(field).ok_or(ErrorKind::InvalidPixformat(field))?;
                (pf, le32(bytes, 16))
            }
        };
        check_dimensions(width, height).map_err(|e| e.kind)?;
        let payload = pixformat.payload_len(width, height, size_field);
        // MAX_DIMENSION keeps uncompressed payloads far below 4 GiB.
        let payload_len = u32::try_from(payload).map_err(|_| ErrorKind::InvalidFrameSize {
            size: payload,
            allowed: u64::from(u32::MAX),
        })?;
        Ok(ChunkHeader {
            elapsed,
            width,
            height,
            pixformat,
            size_field,
            payload_len,
        })
    }

    /// Encode as a V2.x header (docs/format.md §3.2): the size field is the payload
    /// length for JPEG/PNG and 0 otherwise; 12 zero bytes follow it.
    pub fn encode_v2(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let size = if self.pixformat.is_compressed() {
            self.payload_len
        } else {
            0
        };
        for (i, v) in [
            self.elapsed,
            self.width,
            self.height,
            self.pixformat.code(),
            size,
        ]
        .into_iter()
        .enumerate()
        {
            out[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Bytes of the whole chunk: header, payload and padding.
    pub fn chunk_len(&self, version: Version) -> u64 {
        let n = u64::from(self.payload_len);
        version.chunk_header_len() + n + padding(n)
    }
}
