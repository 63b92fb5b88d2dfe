//! OpenMV frame sizes by name (`QVGA`) or as `WxH`.

/// OpenMV's named frame sizes (`sensor.QVGA`, ...) with their dimensions.
pub const FRAME_SIZES: &[(&str, u16, u16)] = &[
    ("QQQQVGA", 40, 30),
    ("QQQVGA", 80, 60),
    ("QQVGA", 160, 120),
    ("QVGA", 320, 240),
    ("VGA", 640, 480),
    ("HQQQVGA", 60, 40),
    ("HQQVGA", 120, 80),
    ("HQVGA", 240, 160),
    ("HVGA", 480, 320),
    ("QQCIF", 88, 72),
    ("QCIF", 176, 144),
    ("CIF", 352, 288),
    ("QQSIF", 88, 60),
    ("QSIF", 176, 120),
    ("SIF", 352, 240),
    ("B64X32", 64, 32),
    ("B64X64", 64, 64),
    ("B128X64", 128, 64),
    ("B128X128", 128, 128),
    ("B160X160", 160, 160),
    ("B320X320", 320, 320),
    ("LCD", 128, 160),
    ("QQVGA2", 128, 160),
    ("WVGA", 720, 480),
    ("WVGA2", 752, 480),
    ("SVGA", 800, 600),
    ("XGA", 1024, 768),
    ("WXGA", 1280, 768),
    ("SXGA", 1280, 1024),
    ("SXGAM", 1280, 960),
    ("UXGA", 1600, 1200),
    ("HD", 1280, 720),
    ("FHD", 1920, 1080),
];

/// Parse a frame size: an OpenMV name (case-insensitive, e.g. `qvga`) or
/// `WIDTHxHEIGHT` (e.g. `320x240`, 1 to 32767 each). `None` if neither.
///
/// ```
/// assert_eq!(imageio_sim::parse_frame_size("QVGA"), Some((320, 240)));
/// assert_eq!(imageio_sim::parse_frame_size("100x50"), Some((100, 50)));
/// assert_eq!(imageio_sim::parse_frame_size("0x50"), None);
/// ```
pub fn parse_frame_size(s: &str) -> Option<(u16, u16)> {
    if let Some(&(_, w, h)) = FRAME_SIZES
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(s))
    {
        return Some((w, h));
    }
    let (w, h) = s.split_once(['x', 'X'])?;
    let (w, h): (u16, u16) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    let ok = |v: u16| (1..=32767).contains(&v);
    (ok(w) && ok(h)).then_some((w, h))
}

/// The OpenMV name of a size, if it has one.
pub fn frame_size_name(width: u16, height: u16) -> Option<&'static str> {
    FRAME_SIZES
        .iter()
        .find(|&&(_, w, h)| w == width && h == height)
        .map(|&(n, _, _)| n)
}
