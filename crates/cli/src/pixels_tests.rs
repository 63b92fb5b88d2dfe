#![allow(clippy::unwrap_used)]
use super::*;
use omv_pattern::{payload_len, render_with};

/// A picture with every pixel different: red by x, green by y, blue mixed.
fn colour(x: u16, y: u16) -> Rgb {
    Rgb::new((x * 37) as u8, (y * 53) as u8, ((x + y) * 29) as u8)
}

fn render(w: u16, h: u16, pf: PixFormat, pixel: impl FnMut(u16, u16) -> Rgb) -> Vec<u8> {
    let mut out = vec![0u8; payload_len(w, h, pf).unwrap()];
    render_with(w, h, pf, &mut out, pixel).unwrap();
    out
}

fn max_diff(p: &Picture, mut want: impl FnMut(u32, u32) -> Rgb) -> u8 {
    let mut worst = 0;
    for y in 0..p.height {
        for x in 0..p.width {
            let (a, b) = (p.pixel(x, y), want(x, y));
            for (c, d) in [(a.r, b.r), (a.g, b.g), (a.b, b.b)] {
                worst = worst.max(c.abs_diff(d));
            }
        }
    }
    worst
}

#[test]
fn grayscale_is_the_luma() {
    let data = render(5, 3, PixFormat::Grayscale, colour);
    let p = decode(5, 3, PixFormat::Grayscale, &data).unwrap();
    assert_eq!((p.width, p.height), (5, 3));
    assert_eq!(p.pixels, Pixels::Gray(data));
}

#[test]
fn rgb565_round_trips_within_its_precision() {
    let data = render(7, 4, PixFormat::Rgb565, colour);
    let p = decode(7, 4, PixFormat::Rgb565, &data).unwrap();
    // 5 bits of red and blue, 6 of green.
    assert!(max_diff(&p, |x, y| colour(x as u16, y as u16)) <= 7);
    assert_eq!(rgb565(0xFFFF), [255, 255, 255]);
    assert_eq!(rgb565(0xF800), [255, 0, 0]);
    assert_eq!(rgb565(0x07E0), [0, 255, 0]);
}

#[test]
fn yuv422_and_yvu422_round_trip() {
    // Chroma is shared per pixel pair: use colours constant over each pair.
    let pair = |x: u16, y: u16| colour(x / 2 * 2, y);
    for pf in [PixFormat::Yuv422, PixFormat::Yvu422] {
        let data = render(6, 3, pf, pair);
        let p = decode(6, 3, pf, &data).unwrap();
        let d = max_diff(&p, |x, y| pair(x as u16, y as u16));
        assert!(d <= 4, "{pf}: {d}");
    }
    // Odd width: the last pixel has only Y and U.
    let data = render(3, 1, PixFormat::Yuv422, |_, _| Rgb::WHITE);
    let p = decode(3, 1, PixFormat::Yuv422, &data).unwrap();
    assert_eq!(p.to_rgb(), vec![255; 9]);
}

#[test]
fn bayer_uniform_colour_is_exact_for_every_pattern() {
    let c = Rgb::new(200, 100, 30);
    for pf in [
        PixFormat::BayerBggr,
        PixFormat::BayerGbrg,
        PixFormat::BayerGrbg,
        PixFormat::BayerRggb,
    ] {
        let data = render(6, 4, pf, |_, _| c);
        let p = decode(6, 4, pf, &data).unwrap();
        assert_eq!(max_diff(&p, |_, _| c), 0, "{pf}");
    }
}

#[test]
fn bayer_interpolates_a_smooth_ramp() {
    // A horizontal ramp: bilinear interpolation of a linear signal is exact
    // away from the edges.
    let ramp = |x: u16, _| Rgb::new((x * 10) as u8, (x * 10) as u8, (x * 10) as u8);
    let data = render(8, 4, PixFormat::BayerRggb, ramp);
    let p = decode(8, 4, PixFormat::BayerRggb, &data).unwrap();
    for x in 1..7 {
        assert_eq!(p.pixel(x, 1), ramp(x as u16, 1), "x {x}");
    }
}

#[test]
fn binary_bits_become_black_and_white() {
    let on = |x: u16, _| if x % 3 == 0 { Rgb::WHITE } else { Rgb::BLACK };
    let data = render(33, 2, PixFormat::Binary, on);
    let p = decode(33, 2, PixFormat::Binary, &data).unwrap();
    let Pixels::Gray(g) = &p.pixels else {
        panic!("binary decodes to gray")
    };
    assert_eq!(g.len(), 66);
    assert!((0..33).all(|x| g[x] == if x % 3 == 0 { 255 } else { 0 }));
}

#[test]
fn jpeg_decodes_to_its_own_size_and_colour() {
    let rgb: Vec<u8> = (0..16 * 8).flat_map(|_| [200, 40, 40]).collect();
    let jpg = omv_pattern::encode_rgb_jpeg(&rgb, 16, 8, 95).unwrap();
    let p = decode(16, 8, PixFormat::Jpeg, &jpg).unwrap();
    assert_eq!((p.width, p.height), (16, 8));
    assert!(max_diff(&p, |_, _| Rgb::new(200, 40, 40)) <= 6);
}

#[test]
fn bad_payloads_are_errors_not_panics() {
    assert!(decode(4, 4, PixFormat::Rgb565, &[0; 31])
        .unwrap_err()
        .contains("expected 32 bytes, found 31"));
    assert!(decode(4, 4, PixFormat::Jpeg, b"not a jpeg")
        .unwrap_err()
        .starts_with("JPEG: "));
    assert!(decode(4, 4, PixFormat::Png, b"not a png")
        .unwrap_err()
        .starts_with("PNG: "));
    assert!(decode(4, 4, PixFormat::Argb8, &[])
        .unwrap_err()
        .contains("Q14"));
}
