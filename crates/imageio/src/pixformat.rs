//! `pixformat_t`: the 12 valid pixel formats, their 32-bit codes and payload sizes (docs/format.md §4).

/// A valid OpenMV pixel format. The discriminant is the exact 32-bit
/// `pixformat_t` code written in V2.x chunk headers.
///
/// With the `serde` feature it is `Serialize`/`Deserialize`: the harness
/// protocol (omv-proto) sends it, and serde's derive names a variant by its
/// index (postcard writes that index, not the 32-bit code), so the
/// declaration order below is part of the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u32)]
pub enum PixFormat {
    /// 1 bit per pixel, rows padded to 32-bit words.
    Binary = 0x0801_0000,
    /// 8-bit grayscale.
    Grayscale = 0x0802_0001,
    /// 16-bit RGB565, little-endian in V1.1/V2.x files.
    Rgb565 = 0x0C03_0002,
    /// 32-bit ARGB; OpenMV's `image_size()` gives it 0 payload bytes (Q14).
    Argb8 = 0x0C08_0004,
    /// 8-bit raw Bayer, BGGR (OpenMV's `BAYER`).
    BayerBggr = 0x0504_0001,
    /// 8-bit raw Bayer, GBRG.
    BayerGbrg = 0x0504_0101,
    /// 8-bit raw Bayer, GRBG.
    BayerGrbg = 0x0504_0201,
    /// 8-bit raw Bayer, RGGB.
    BayerRggb = 0x0504_0301,
    /// YUYV 4:2:2 (OpenMV's `YUV422`).
    Yuv422 = 0x1405_0002,
    /// YVYU 4:2:2.
    Yvu422 = 0x1405_0102,
    /// JPEG; the payload length is the chunk's size field.
    Jpeg = 0x0606_0000,
    /// PNG; the payload length is the chunk's size field.
    Png = 0x0607_0000,
}

impl PixFormat {
    /// All valid formats, in the order of docs/format.md §4.2.
    pub const ALL: [PixFormat; 12] = [
        PixFormat::Binary,
        PixFormat::Grayscale,
        PixFormat::Rgb565,
        PixFormat::Argb8,
        PixFormat::BayerBggr,
        PixFormat::BayerGbrg,
        PixFormat::BayerGrbg,
        PixFormat::BayerRggb,
        PixFormat::Yuv422,
        PixFormat::Yvu422,
        PixFormat::Jpeg,
        PixFormat::Png,
    ];

    /// The 32-bit `pixformat_t` code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The format for a 32-bit code, or `None` if OpenMV's
    /// `IMLIB_PIXFORMAT_IS_VALID` would reject it.
    pub fn from_code(code: u32) -> Option<PixFormat> {
        PixFormat::ALL.iter().copied().find(|p| p.code() == code)
    }

    /// The upper-case name used by tools and reports (`GRAYSCALE`, `BAYER_BGGR`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            PixFormat::Binary => "BINARY",
            PixFormat::Grayscale => "GRAYSCALE",
            PixFormat::Rgb565 => "RGB565",
            PixFormat::Argb8 => "ARGB8",
            PixFormat::BayerBggr => "BAYER_BGGR",
            PixFormat::BayerGbrg => "BAYER_GBRG",
            PixFormat::BayerGrbg => "BAYER_GRBG",
            PixFormat::BayerRggb => "BAYER_RGGB",
            PixFormat::Yuv422 => "YUV422",
            PixFormat::Yvu422 => "YVU422",
            PixFormat::Jpeg => "JPEG",
            PixFormat::Png => "PNG",
        }
    }

    /// The format with this name (case-insensitive); `BAYER` and `YUV` alias
    /// `BAYER_BGGR` and `YUV422`, as in OpenMV's Python constants.
    pub fn from_name(name: &str) -> Option<PixFormat> {
        if name.eq_ignore_ascii_case("BAYER") {
            return Some(PixFormat::BayerBggr);
        }
        if name.eq_ignore_ascii_case("YUV") {
            return Some(PixFormat::Yuv422);
        }
        PixFormat::ALL
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// True for JPEG and PNG (the J flag, bit 25): the payload length is the
    /// size field, not a function of the dimensions.
    pub const fn is_compressed(self) -> bool {
        self.code() & (1 << 25) != 0
    }

    /// True for the four Bayer formats (the R flag, bit 24).
    pub const fn is_bayer(self) -> bool {
        self.code() & (1 << 24) != 0
    }

    /// Bytes per pixel (the low byte of the code): 0 for BINARY, JPEG and PNG.
    pub const fn bytes_per_pixel(self) -> u32 {
        self.code() & 0xFF
    }

    /// OpenMV's `image_size()` for uncompressed formats (docs/format.md §4.3), in u64 so
    /// that it cannot overflow for any u32 dimensions. For JPEG/PNG the
    /// payload length is the size field and this returns `None`.
    pub fn raw_payload_len(self, width: u32, height: u32) -> Option<u64> {
        let (w, h) = (u64::from(width), u64::from(height));
        Some(match self {
            PixFormat::Binary => w.div_ceil(32) * 4 * h,
            PixFormat::Grayscale
            | PixFormat::BayerBggr
            | PixFormat::BayerGbrg
            | PixFormat::BayerGrbg
            | PixFormat::BayerRggb => w * h,
            PixFormat::Rgb565 | PixFormat::Yuv422 | PixFormat::Yvu422 => w * h * 2,
            // Q14, replicated for compatibility: image_size() has no ARGB8 case.
            PixFormat::Argb8 => 0,
            PixFormat::Jpeg | PixFormat::Png => return None,
        })
    }

    /// The payload length of a frame: [`raw_payload_len`](Self::raw_payload_len)
    /// for uncompressed formats, `size_field` for JPEG/PNG.
    pub fn payload_len(self, width: u32, height: u32, size_field: u32) -> u64 {
        self.raw_payload_len(width, height)
            .unwrap_or(u64::from(size_field))
    }
}

impl core::fmt::Display for PixFormat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
