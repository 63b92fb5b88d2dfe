//! Shared helpers: streams made with `omv-imageio`'s writer, the binary run
//! as a user runs it, PNG files read back with the `png` decoder.
#![allow(clippy::unwrap_used, dead_code)]

use omv_imageio::{FileOptions, FileStream, Image, ManualClock, PixFormat, SliceFile};
use omv_pattern::{encode_jpeg, payload_len, render, Content};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One frame to write: size, format, the interval before it in ms.
#[derive(Clone, Copy)]
pub struct Spec {
    pub width: u16,
    pub height: u16,
    pub pixformat: PixFormat,
    pub elapsed_ms: u64,
}

pub const fn spec(width: u16, height: u16, pixformat: PixFormat, elapsed_ms: u64) -> Spec {
    Spec {
        width,
        height,
        pixformat,
        elapsed_ms,
    }
}

/// The payload of frame `seq` of `s` (the moving-box pattern; JPEG at q 80).
pub fn payload(s: Spec, seq: u32) -> Vec<u8> {
    if s.pixformat == PixFormat::Jpeg {
        return encode_jpeg(Content::MovingBox, 1, seq, s.width, s.height, 80).unwrap();
    }
    let mut out = vec![0; payload_len(s.width, s.height, s.pixformat).unwrap()];
    render(
        Content::MovingBox,
        1,
        seq,
        s.width,
        s.height,
        s.pixformat,
        &mut out,
    )
    .unwrap();
    out
}

/// A V2.0 stream of `frames`, written by `omv-imageio` on a manual clock.
pub fn stream(frames: &[Spec]) -> Vec<u8> {
    let payloads: Vec<Vec<u8>> = (0..frames.len())
        .map(|i| payload(frames[i], i as u32))
        .collect();
    let total: usize = 16 + payloads.iter().map(|p| 32 + p.len() + 16).sum::<usize>();
    let mut buf = vec![0u8; total];
    let mut s = FileStream::<_, _, 16>::create(
        SliceFile::empty(&mut buf),
        ManualClock::new(0),
        FileOptions::default(),
    )
    .unwrap();
    for (f, p) in frames.iter().zip(&payloads) {
        s.time_mut().advance_ms(f.elapsed_ms);
        s.write(&Image::new(
            u32::from(f.width),
            u32::from(f.height),
            f.pixformat,
            p,
        ))
        .unwrap();
    }
    s.into_inner().as_bytes().to_vec()
}

/// A test's own temporary folder (removed when dropped).
pub struct Dir(tempfile::TempDir);

impl Dir {
    /// A new empty folder.
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// The path of `name` in the folder (nothing is written).
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    /// Write `bytes` to `name` in the folder; returns its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Write `stream(frames)` to `name` in the folder; returns its path.
    pub fn stream(&self, name: &str, frames: &[Spec]) -> PathBuf {
        self.file(name, stream(frames))
    }
}

/// What a run of the binary gave.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `omvstream args...`.
pub fn omvstream(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_omvstream"))
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `omvstream args...` and assert that it exited 0.
pub fn succeeds(args: &[&str]) -> Run {
    let r = omvstream(args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// Assert that a run exited 1 and said `reason` on standard error.
pub fn fails_with(r: &Run, reason: &str) {
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(reason), "{}", r.stderr);
}

/// A path as `&str` for arguments.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The JSON `inspect --json` prints for `path`.
pub fn inspect_json(path: &Path) -> (i32, serde_json::Value) {
    let r = omvstream(&["inspect", "--json", s(path)]);
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

/// `field(frame)` for every frame `inspect --json` lists for `path`, and its exit code.
pub fn frame_column<T>(path: &Path, field: impl Fn(&serde_json::Value) -> T) -> (i32, Vec<T>) {
    let (code, v) = inspect_json(path);
    (
        code,
        v["frames"].as_array().unwrap().iter().map(field).collect(),
    )
}

/// A PNG file's size, colour type and first frame's pixels.
pub fn read_png(path: &Path) -> (u32, u32, png::ColorType, Vec<u8>) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(f).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, info.color_type, buf)
}

/// One APNG frame: (width, height) and delay in ms.
pub type ApngFrame = ((u32, u32), f64);

/// An APNG's declared frame count and each frame's size and delay.
pub fn read_apng(path: &Path) -> (u32, Vec<ApngFrame>) {
    let f = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(f).read_info().unwrap();
    let n = reader.info().animation_control.unwrap().num_frames;
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let mut frames = Vec::new();
    for _ in 0..n {
        let out = reader.next_frame(&mut buf).unwrap();
        let fc = reader.info().frame_control.unwrap();
        let den = if fc.delay_den == 0 { 100 } else { fc.delay_den };
        frames.push((
            (out.width, out.height),
            f64::from(fc.delay_num) * 1000.0 / f64::from(den),
        ));
    }
    (n, frames)
}
