//! Framing: `0x00, COBS(postcard(message) ‖ CRC-32 LE), 0x00`.
//!
//! The leading delimiter flushes any garbage the receiver has buffered, so
//! a frame after line noise still decodes. The receiver ([`FrameDecoder`])
//! accumulates bytes until a `0x00`, then checks COBS, the CRC and the
//! postcard decoding; any failure is reported once as a [`FrameError`] and
//! decoding resumes at the next delimiter. Nothing here panics on input.

use serde::{de::DeserializeOwned, Serialize};

/// CRC-32 (ISO-HDLC: the one zlib, PNG and Ethernet use).
pub const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// CRC-32 of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    CRC32.checksum(data)
}

/// Largest serialised message (postcard bytes, before CRC and COBS).
pub const MAX_MESSAGE_LEN: usize = 1536;
/// Bytes of the CRC after the message.
pub const CRC_LEN: usize = 4;
/// Largest COBS-encoded body of a frame (without delimiters).
pub const MAX_ENCODED_LEN: usize = cobs_max(MAX_MESSAGE_LEN + CRC_LEN);
/// Largest frame on the wire, both delimiters included.
pub const MAX_FRAME_LEN: usize = MAX_ENCODED_LEN + 2;

/// The longest COBS encoding of `n` bytes.
pub const fn cobs_max(n: usize) -> usize {
    n + n / 254 + 1
}

/// Why a frame could not be built or understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The message does not fit [`MAX_MESSAGE_LEN`] or the output buffer.
    TooLarge,
    /// More than the decoder's capacity arrived without a delimiter; the
    /// bytes up to the next delimiter are discarded.
    Overflow {
        /// Bytes received before the decoder gave up.
        len: usize,
    },
    /// The bytes between two delimiters are not valid COBS (line noise).
    Garbage {
        /// Bytes between the delimiters.
        len: usize,
    },
    /// The frame is shorter than a CRC.
    TooShort {
        /// Decoded bytes.
        len: usize,
    },
    /// The CRC does not match: the frame was damaged.
    BadCrc {
        /// CRC carried by the frame.
        expected: u32,
        /// CRC of the bytes received.
        found: u32,
    },
    /// The CRC matched but postcard could not decode the message (a
    /// different protocol version, or a bug).
    Decode,
    /// The line went quiet (or closed) in the middle of a frame.
    Truncated {
        /// Bytes of the unfinished frame.
        len: usize,
    },
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            FrameError::TooLarge => write!(f, "message larger than {MAX_MESSAGE_LEN} bytes"),
            FrameError::Overflow { len } => {
                write!(f, "no frame delimiter after {len} bytes (frame too long)")
            }
            FrameError::Garbage { len } => write!(f, "{len} bytes of garbage (not COBS)"),
            FrameError::TooShort { len } => write!(f, "frame of {len} bytes is too short"),
            FrameError::BadCrc { expected, found } => write!(
                f,
                "bad CRC: frame says 0x{expected:08X}, data gives 0x{found:08X}"
            ),
            FrameError::Decode => write!(f, "CRC good but the message does not decode"),
            FrameError::Truncated { len } => {
                write!(f, "frame cut short after {len} bytes")
            }
        }
    }
}

impl core::error::Error for FrameError {}

/// Encode `msg` as one frame into `out`; returns the frame's bytes.
///
/// `out` should hold [`MAX_FRAME_LEN`] bytes; a smaller one works for small
/// messages and fails with `TooLarge` otherwise.
pub fn encode<'o, T: Serialize>(msg: &T, out: &'o mut [u8]) -> Result<&'o [u8], FrameError> {
    let mut raw = [0u8; MAX_MESSAGE_LEN + CRC_LEN];
    let n = postcard::to_slice(msg, &mut raw[..MAX_MESSAGE_LEN])
        .map_err(|_| FrameError::TooLarge)?
        .len();
    let crc = crc32(&raw[..n]);
    raw[n..n + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let body = &raw[..n + CRC_LEN];
    if out.len() < cobs_max(body.len()) + 2 {
        return Err(FrameError::TooLarge);
    }
    out[0] = 0;
    let len = cobs::try_encode(body, &mut out[1..]).map_err(|_| FrameError::TooLarge)?;
    let end = 1 + len;
    *out.get_mut(end).ok_or(FrameError::TooLarge)? = 0;
    Ok(&out[..=end])
}

/// Decode one COBS body (the bytes between two delimiters) in place and
/// check its CRC; returns the message bytes.
pub fn unframe(body: &mut [u8]) -> Result<&[u8], FrameError> {
    let len = body.len();
    let n = cobs::decode_in_place(body).map_err(|_| FrameError::Garbage { len })?;
    if n < CRC_LEN {
        return Err(FrameError::TooShort { len: n });
    }
    let (msg, tail) = body[..n].split_at(n - CRC_LEN);
    let mut c = [0u8; CRC_LEN];
    c.copy_from_slice(tail);
    let expected = u32::from_le_bytes(c);
    let found = crc32(msg);
    if expected != found {
        return Err(FrameError::BadCrc { expected, found });
    }
    Ok(msg)
}

/// Decode a frame body (between delimiters) into a message.
pub fn decode<T: DeserializeOwned>(body: &mut [u8]) -> Result<T, FrameError> {
    let msg = unframe(body)?;
    postcard::from_bytes(msg).map_err(|_| FrameError::Decode)
}

/// A streaming frame decoder with a fixed buffer of `N` bytes.
#[derive(Debug, Clone)]
pub struct FrameDecoder<const N: usize = MAX_ENCODED_LEN> {
    buf: [u8; N],
    len: usize,
    /// Bytes seen since the buffer overflowed (0 = not overflowing).
    overflow: usize,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// An empty decoder.
    pub const fn new() -> Self {
        FrameDecoder {
            buf: [0; N],
            len: 0,
            overflow: 0,
        }
    }

    /// Bytes of an unfinished frame held.
    pub fn pending(&self) -> usize {
        self.len + self.overflow
    }

    /// Forget an unfinished frame; reports it as `Truncated` if there was
    /// one (call when the line times out or closes mid-frame).
    pub fn take_truncated(&mut self) -> Option<FrameError> {
        let len = self.pending();
        self.len = 0;
        self.overflow = 0;
        (len > 0).then_some(FrameError::Truncated { len })
    }

    /// Feed one byte. Returns `Some` when a delimiter ends a non-empty
    /// frame: the decoded message or why it was rejected. Empty frames
    /// (two delimiters in a row) are skipped silently.
    pub fn push<T: DeserializeOwned>(&mut self, byte: u8) -> Option<Result<T, FrameError>> {
        if byte != 0 {
            if self.overflow > 0 || self.len >= N {
                self.overflow = self.overflow.saturating_add(1);
            } else {
                self.buf[self.len] = byte;
                self.len += 1;
            }
            return None;
        }
        let (len, overflow) = (self.len, self.overflow);
        self.len = 0;
        self.overflow = 0;
        if overflow > 0 {
            return Some(Err(FrameError::Overflow {
                len: len.saturating_add(overflow),
            }));
        }
        if len == 0 {
            return None;
        }
        Some(decode(&mut self.buf[..len]))
    }

    /// Feed bytes until a frame completes; returns how many bytes were used
    /// and the frame's result. `(data.len(), None)` if no frame completed.
    pub fn push_slice<T: DeserializeOwned>(
        &mut self,
        data: &[u8],
    ) -> (usize, Option<Result<T, FrameError>>) {
        for (i, &b) in data.iter().enumerate() {
            if let Some(r) = self.push(b) {
                return (i + 1, Some(r));
            }
        }
        (data.len(), None)
    }
}
