//! The sensor: sizes, formats, JPEG, PNG footage, start-up, jitter,
//! buffers and errors.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use imageio_sim::{
    parse_frame_size, Content, PngFrames, SensorConfig, SensorModel, SimClock, SimFrames,
    SimSensor, SimSensorConfig,
};
use omv_imageio::PixFormat;

/// 16 × 16 frames of `seed`, with `model`.
fn tiny(seed: u64, model: SensorModel) -> SimSensorConfig {
    SimSensorConfig {
        settings: SensorConfig {
            width: 16,
            height: 16,
            seed,
            ..SensorConfig::default()
        },
        model,
        ..SimSensorConfig::default()
    }
}

/// The default model with `n` frame buffers.
fn buffers(n: u8) -> SensorModel {
    SensorModel {
        buffers: n,
        ..SensorModel::default()
    }
}

fn sensor(cfg: impl Into<SimSensorConfig>) -> (SimSensor, SimClock, Vec<u8>) {
    let clock = SimClock::new();
    let s = SimSensor::new(clock.clone(), cfg.into()).unwrap();
    let fb = vec![0u8; s.max_frame_len()];
    (s, clock, fb)
}

#[test]
fn frame_sizes_by_name_or_dimensions() {
    assert_eq!(parse_frame_size("QQVGA"), Some((160, 120)));
    assert_eq!(parse_frame_size("qvga"), Some((320, 240)));
    assert_eq!(parse_frame_size("VGA"), Some((640, 480)));
    assert_eq!(parse_frame_size("HD"), Some((1280, 720)));
    assert_eq!(parse_frame_size("64X48"), Some((64, 48)));
    for bad in ["", "QVGAX", "x", "320x", "40000x10", "-1x5"] {
        assert_eq!(parse_frame_size(bad), None, "{bad}");
    }
    assert_eq!(imageio_sim::frame_size_name(320, 240), Some("QVGA"));
}

#[test]
fn raw_formats_have_openmv_sizes() {
    for (pf, len) in [
        (PixFormat::Grayscale, 19_200),
        (PixFormat::Rgb565, 38_400),
        (PixFormat::BayerBggr, 19_200),
        (PixFormat::Yuv422, 38_400),
    ] {
        let (mut s, _, mut fb) = sensor(SensorConfig {
            width: 160,
            height: 120,
            pixformat: pf,
            ..SensorConfig::default()
        });
        assert_eq!(s.frame_len(), Some(len));
        let snap = s.snapshot(&mut fb).unwrap();
        assert_eq!((snap.len, s.settings().pixformat), (len, pf));
    }
}

#[test]
fn jpeg_frames_are_real_jpegs_whose_size_varies() {
    let mut sizes = Vec::new();
    for content in [Content::ColorBars, Content::Noise] {
        let (mut s, _, mut fb) = sensor(SensorConfig {
            pixformat: PixFormat::Jpeg,
            content,
            ..SensorConfig::default()
        });
        assert_eq!(s.frame_len(), None);
        for _ in 0..3 {
            let snap = s.snapshot(&mut fb).unwrap();
            let jpg = &fb[..snap.len];
            assert_eq!(jpg[..2], [0xFF, 0xD8]);
            assert_eq!(jpg[jpg.len() - 2..], [0xFF, 0xD9]);
            // The same bytes omv-pattern (and so the firmware) makes.
            let same = omv_pattern::encode_jpeg(content, 0, snap.seq, 320, 240, 90).unwrap();
            assert_eq!(jpg, &same[..]);
            sizes.push(snap.len);
        }
    }
    assert!(sizes[0] * 4 < sizes[3], "{sizes:?}");
    // A JPEG larger than the buffer is an error, not a panic.
    let (mut s, _, _) = sensor(SensorConfig {
        pixformat: PixFormat::Jpeg,
        content: Content::Noise,
        ..SensorConfig::default()
    });
    let mut small = vec![0u8; 1000];
    assert!(s.snapshot(&mut small).is_err());
    assert_eq!(s.stats().dropped, 1);
}

fn png_bytes(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().unwrap();
        let data: Vec<u8> = (0..w * h).flat_map(|_| rgb).collect();
        wr.write_image_data(&data).unwrap();
    }
    out
}

#[test]
fn a_folder_of_pngs_is_played_in_name_order_and_scaled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.png"), png_bytes(8, 6, [0, 255, 0])).unwrap();
    std::fs::write(dir.path().join("a.png"), png_bytes(4, 3, [255, 0, 0])).unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a frame").unwrap();
    let frames = Arc::new(PngFrames::load_dir(dir.path()).unwrap());
    assert_eq!(frames.len(), 2);
    let (mut s, _, mut fb) = sensor(SimSensorConfig {
        settings: SensorConfig {
            width: 64,
            height: 48,
            ..SensorConfig::default()
        },
        frames: SimFrames::footage(frames),
        ..SimSensorConfig::default()
    });
    let px = |fb: &[u8]| u16::from_le_bytes([fb[(10 * 64 + 40) * 2], fb[(10 * 64 + 40) * 2 + 1]]);
    let colours: Vec<u16> = (0..4)
        .map(|_| {
            s.snapshot(&mut fb).unwrap();
            px(&fb)
        })
        .collect();
    // a.png (red), b.png (green), then around again.
    assert_eq!(colours, [0xF800, 0x07E0, 0xF800, 0x07E0]);
    // The stamp still names the frame.
    let seq = (0..32).fold(0u32, |a, x| {
        (a << 1) | u32::from(u16::from_le_bytes([fb[2 * x], fb[2 * x + 1]]) == 0xFFFF)
    });
    assert_eq!(seq, 3);
    assert!(PngFrames::load_dir(&dir.path().join("missing")).is_err());
    assert!(PngFrames::from_bytes([&b"not a png"[..]]).is_err());
}

#[test]
fn startup_delay_and_unpaced_mode() {
    let (mut s, clock, mut fb) = sensor(SensorModel {
        startup_us: 500_000,
        ..SensorModel::default()
    });
    clock.advance_us(1_000);
    let a = s.snapshot(&mut fb).unwrap();
    // Frame 0 is complete the start-up delay after the first snapshot.
    assert_eq!(a.t_us, 1_000 + 500_000);
    let (mut s, clock, mut fb) = sensor(SensorConfig {
        fps: 0,
        ..SensorConfig::default()
    });
    clock.advance_us(7);
    for k in 0..3 {
        let f = s.snapshot(&mut fb).unwrap();
        assert_eq!((f.seq, f.t_us, f.dropped), (k, 7, 0));
    }
    assert_eq!(clock.now(), 7);
}

#[test]
fn jitter_is_seeded_and_bounded() {
    let captures = |seed| {
        let jitter = SensorModel {
            jitter_us: 3_000,
            ..SensorModel::default()
        };
        let (mut s, _, mut fb) = sensor(tiny(seed, jitter));
        (0..50)
            .map(|_| s.snapshot(&mut fb).unwrap().t_us)
            .collect::<Vec<_>>()
    };
    let a = captures(1);
    assert_eq!(a, captures(1));
    assert_ne!(a, captures(2));
    for (k, &c) in a.iter().enumerate() {
        // complete at k·33 333 + jitter (0..=3 000).
        let base = k as u64 * 33_333;
        assert!((base..=base + 3_000).contains(&c), "frame {k}: {c}");
    }
    assert!(a.windows(2).any(|w| w[1] - w[0] != 33_333));
}

#[test]
fn a_slow_reader_skips_frames_and_they_are_counted() {
    let (mut s, clock, mut fb) = sensor(tiny(0, buffers(3)));
    s.snapshot(&mut fb).unwrap();
    clock.advance_us(1_000_000); // the program is busy for a second
    let f = s.snapshot(&mut fb).unwrap();
    // Newest complete frame at 33 333 + 1 000 000 µs: frame 30.
    assert_eq!((f.seq, f.dropped), (30, 29));
    assert_eq!(
        s.stats(),
        imageio_sim::SensorStats {
            delivered: 2,
            dropped: 29
        }
    );
}

/// One change to a sensor configuration.
type Setting = fn(&mut SimSensorConfig);

#[test]
fn bad_settings_and_small_buffers_are_errors() {
    // Each setting out of range, the others at their defaults.
    let bad: [(&str, Setting); 7] = [
        ("no buffer", |c| c.model.buffers = 0),
        ("4 buffers", |c| c.model.buffers = 4),
        ("2000 fps", |c| c.settings.fps = 2000),
        ("9 ms jitter at 30 fps", |c| c.model.jitter_us = 9_000),
        ("zero width", |c| c.settings.width = 0),
        ("PNG", |c| c.settings.pixformat = PixFormat::Png),
        ("JPEG quality 0", |c| c.frames.jpeg_quality = 0),
    ];
    for (what, set) in bad {
        let mut cfg = SimSensorConfig::default();
        set(&mut cfg);
        assert!(SimSensor::new(SimClock::new(), cfg).is_err(), "{what}");
    }
    let (mut s, clock, mut fb) = sensor(SensorConfig::default());
    let mut small = vec![0u8; 100];
    assert!(s.snapshot(&mut small).is_err());
    assert_eq!(clock.now(), 0, "nothing moved");
    assert_eq!(s.snapshot(&mut fb).unwrap().seq, 0);
    s.configure(
        SensorConfig {
            fps: 15,
            ..SensorConfig::default()
        }
        .into(),
    )
    .unwrap();
    assert_eq!(
        s.snapshot(&mut fb).unwrap().seq,
        0,
        "configuration restarts the count"
    );
}

#[test]
fn a_program_busy_for_days_skips_in_bulk_and_counts_exactly() {
    for buffers in [1u8, 2, 3] {
        let (mut s, clock, mut fb) = sensor(tiny(0, self::buffers(buffers)));
        s.snapshot(&mut fb).unwrap(); // frame 0, at once (0 µs)
        clock.advance_us(3 * 86_400_000_000);
        let f = s.snapshot(&mut fb).unwrap();
        // Now T = 3 days = 259 200 000 000 µs. Frame k is complete at
        // k · 33 333 and starts one period before: frames 0..=7 776 077
        // are complete, 0..=7 776 078 have started.
        let (seq, dropped) = match buffers {
            // The newest complete frame; all others since frame 0
            // overwritten (7 776 078 is being read out, not lost).
            3 => (7_776_077, 7_776_076),
            // The frame captured into the second buffer as frame 0 was
            // handed out (frame 1); 2..=7 776 078 found no buffer.
            2 => (1, 7_776_077),
            // The first frame to start after T (7 776 079 starts at
            // 7 776 078 · 33 333 > T); 1..=7 776 078 found the only buffer
            // held, and 7 776 080 starts as 7 776 079 is handed out.
            _ => (7_776_079, 7_776_079),
        };
        assert_eq!(
            (f.seq, s.stats().dropped),
            (seq, dropped),
            "{buffers} buffers"
        );
    }
    // A clock at the end of time does not hang the sensor.
    let (mut s, clock, mut fb) = sensor(SensorConfig::default());
    s.snapshot(&mut fb).unwrap();
    clock.advance_us(u64::MAX);
    let _ = s.snapshot(&mut fb);
    let _ = s.snapshot(&mut fb);
}
