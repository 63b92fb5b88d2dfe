//! Measure the protocol over a PTY pair with the real agent loop on the
//! other end (host-side costs only: no emulator). Prints round trips per
//! second and download throughput.
//!
//! `cargo run --release -p omv-link --example pty_throughput`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use omv_agent::{serve, BoardInfo, HostRig};
use omv_imageio::SharedClock;
use omv_link::{EmbeddedIo, Link};
use omv_proto::{bounded, Op, PixFormat, Query, SensorSettings};
use serialport::{SerialPort, TTYPort};

fn main() {
    let (mut host, mut dev) = TTYPort::pair().expect("a PTY pair");
    host.set_timeout(Duration::from_millis(20)).unwrap();
    dev.set_timeout(Duration::from_millis(20)).unwrap();
    let agent = std::thread::spawn(move || {
        let mut rig = HostRig::new(64 << 20, 153_600, 1 << 20);
        let mut ex = rig.executor(SharedClock::default());
        let info = BoardInfo {
            board: "pty",
            firmware: "pty_throughput",
        };
        let _ = serve(&mut EmbeddedIo(dev), &mut ex, &info);
    });
    let mut link = Link::new(host);
    link.handshake(Duration::from_secs(5)).unwrap();
    let t = Duration::from_secs(60);
    let n = 1000;
    let start = Instant::now();
    for i in 0..n {
        link.run(i, &Op::Query(Query::IsClosed), t).unwrap();
    }
    let rt = start.elapsed();
    println!(
        "{n} round trips in {:.3} s ({:.0}/s)",
        rt.as_secs_f64(),
        f64::from(n) / rt.as_secs_f64()
    );
    let sensor = Op::Sensor(SensorSettings {
        width: Some(320),
        height: Some(240),
        pixformat: Some(PixFormat::Rgb565),
        fps: Some(0),
        ..Default::default()
    });
    link.run(0, &sensor, t).unwrap();
    let open = Op::OpenFile {
        path: bounded("/sdcard/big.bin"),
        mode: bounded("w"),
        write_version: None,
    };
    link.run(1, &open, t).unwrap();
    link.run(2, &Op::Record { frames: 30 }, t).unwrap();
    link.run(3, &Op::Close, t).unwrap();
    let start = Instant::now();
    let bytes = link.download("/sdcard/big.bin").unwrap();
    let dt = start.elapsed();
    println!(
        "download of {} bytes in {:.3} s ({:.1} MB/s)",
        bytes.len(),
        dt.as_secs_f64(),
        bytes.len() as f64 / dt.as_secs_f64() / 1e6
    );
    drop(link);
    agent.join().unwrap();
}
