//! Talk to the agent firmware under QEMU: start `qemu-system-arm` with
//! UART0 on a PTY, shake hands, run a few memory-stream steps, print what
//! came back and how long it took, stop QEMU.
//!
//! `cargo run -p omv-link --example qemu_probe -- path/to/agent-qemu.elf`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use omv_link::Link;
use omv_proto::{Op, PixFormat, Query, ReadArgs, SensorSettings};

struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let elf = std::env::args()
        .nth(1)
        .expect("usage: qemu_probe <agent-qemu.elf>");
    let mut child = Command::new("qemu-system-arm")
        .args(["-M", "mps2-an500", "-display", "none", "-monitor", "none"])
        .args([
            "-serial",
            "pty",
            "-semihosting-config",
            "enable=on,target=native",
        ])
        .args(["-kernel", &elf])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("qemu-system-arm (apt install qemu-system-arm)");
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut lines = BufReader::new(stdout).lines();
    let pty = loop {
        let line = lines
            .next()
            .expect("QEMU ended before naming its PTY")
            .unwrap();
        if let Some(p) = line.split("redirected to ").nth(1) {
            break p.split_whitespace().next().unwrap().to_owned();
        }
    };
    println!("QEMU UART0 on {pty}");
    let mut link = Link::open_serial(&pty, 115_200).unwrap();
    let t0 = Instant::now();
    let hello = link.handshake(Duration::from_secs(10)).unwrap();
    println!("handshake in {:?}: {hello:?}", t0.elapsed());
    let t = Duration::from_secs(120);
    let steps = [
        Op::Sensor(SensorSettings {
            width: Some(320),
            height: Some(240),
            pixformat: Some(PixFormat::Rgb565),
            fps: Some(30),
            ..Default::default()
        }),
        Op::OpenMemory {
            width: 320,
            height: 240,
            pixformat: PixFormat::Rgb565,
            count: 10,
        },
        Op::Record { frames: 10 },
        Op::Seek { offset: 0 },
        Op::Replay {
            frames: None,
            args: ReadArgs {
                copy_to_fb: true,
                loop_: false,
                pause: true,
            },
        },
        Op::Query(Query::BufferSize),
        Op::Close,
    ];
    for (i, op) in steps.iter().enumerate() {
        let s = Instant::now();
        let r = link.run(i as u32, op, t).unwrap();
        println!(
            "step {i} {:?} -> {:?} (board {} µs, host {:?})",
            op,
            r.outcome,
            r.t_end_us - r.t_start_us,
            s.elapsed()
        );
    }
    let n = 200;
    let s = Instant::now();
    for i in 0..n {
        link.run(i, &Op::Query(Query::IsClosed), t).unwrap();
    }
    println!("{n} round trips in {:?}", s.elapsed());
    let trace = link.events().unwrap();
    println!("{} trace events, {} lost", trace.events.len(), trace.lost);
    println!("damaged frames seen: {:?}", link.damaged());
}
