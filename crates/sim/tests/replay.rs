//! Replay with `pause = true` releases each frame exactly at its recorded
//! schedule on the virtual clock.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use imageio_sim::{
    BoardConfig, CardProfile, SensorConfig, SensorModel, SimBoard, SimClock, SimSensorConfig,
};
use omv_fatstore::{FatFile, OpenMode};
use omv_imageio::{
    Cancelled, Clock, FileOptions, FileStream, PixFormat, ReadOptions, Version, Wait,
};

/// The simulator's clock, noting when each wait ends.
#[derive(Clone)]
struct Noting(SimClock, Rc<RefCell<Vec<u64>>>);

impl Clock for Noting {
    fn now_us(&mut self) -> u64 {
        self.0.now_us()
    }
}

impl Wait for Noting {
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        self.0.wait_until(deadline_us)?;
        self.1.borrow_mut().push(self.0.now());
        Ok(())
    }
}

fn board(jitter_us: u64) -> SimBoard {
    SimBoard::new(BoardConfig {
        sensor: SimSensorConfig {
            settings: SensorConfig {
                width: 160,
                height: 120,
                pixformat: PixFormat::Grayscale,
                seed: 7,
                ..SensorConfig::default()
            },
            model: SensorModel {
                jitter_us,
                // The first frame one period after the recording starts,
                // so that its recorded interval, like every other, is
                // waited for.
                startup_us: 33_333,
                ..SensorModel::default()
            },
            ..SimSensorConfig::default()
        },
        // 250 µs per block: a 19 232-byte chunk is written in ~10 ms, well
        // within a 33 ms frame, so every frame is recorded.
        card: CardProfile::ideal(2_048_000),
        card_bytes: 256 << 20,
        ..BoardConfig::default()
    })
    .unwrap()
}

fn replay_schedule(version: Version, jitter_us: u64) {
    let mut b = board(jitter_us);
    let mut fb = vec![0u8; 160 * 120];
    let opts = FileOptions {
        write_version: version,
        ..FileOptions::default()
    };
    let mut s = b.open_file_with("/sdcard/stream.bin", "w", opts).unwrap();
    let rep = b.record(&mut s, 40, &mut fb);
    assert_eq!((rep.written, rep.dropped), (40, 0), "{rep:?}");
    s.close().unwrap();
    drop(s);

    b.clock().advance_us(5_000_000);
    let waits = Rc::new(RefCell::new(Vec::new()));
    let file = FatFile::open(b.store().unwrap(), "/sdcard/stream.bin", OpenMode::Read).unwrap();
    let time = Noting(b.clock().clone(), waits.clone());
    let mut r: FileStream<_, _> = FileStream::open_read(file, time, opts).unwrap();
    // The schedule starts when the stream is open (after reading its header).
    let mut due = b.clock().now();
    let mut n = 0;
    while let Some(f) = r.read(&mut fb, ReadOptions::PACED_ONCE).unwrap() {
        due += f.elapsed_us;
        n += 1;
        // Released at the wait's end: exactly the schedule.
        assert_eq!(
            waits.borrow().last().copied(),
            Some(due),
            "frame {}",
            f.index
        );
        assert_eq!(waits.borrow().len(), n);
        // Recorded intervals are the sensor's: one frame period (33 or 34
        // ms in V2.0; 33 333 µs ± jitter in V2.1), the first since `open`.
        if f.index > 0 && version == Version::V2_1 {
            let p = f.elapsed_us as i64 - 33_333;
            assert!(p.unsigned_abs() <= jitter_us + 1, "{}", f.elapsed_us);
        }
        if f.index > 0 && version == Version::V2_0 {
            assert!(
                (33_000..=34_000).contains(&f.elapsed_us),
                "{}",
                f.elapsed_us
            );
        }
    }
    assert_eq!(n, 40);
}

#[test]
fn v2_0_replay_waits_until_each_recorded_ms() {
    replay_schedule(Version::V2_0, 0);
}

#[test]
fn v2_1_replay_waits_until_each_recorded_us_with_jitter() {
    replay_schedule(Version::V2_1, 2_000);
}

#[test]
fn replay_of_a_memory_stream_follows_the_recording() {
    let mut b = board(0);
    let bytes = omv_imageio::memory_stream_bytes(160, 120, PixFormat::Grayscale, 10).unwrap();
    let mut buf = vec![0u8; bytes];
    let mut fb = vec![0u8; 160 * 120];
    let mut captures = Vec::new();
    {
        let mut m = b
            .open_memory(&mut buf, 160, 120, PixFormat::Grayscale, 10)
            .unwrap();
        for _ in 0..10 {
            let snap = b.sensor_mut().snapshot(&mut fb).unwrap();
            captures.push(snap.t_us);
            m.write(&omv_imageio::Image::new(
                160,
                120,
                PixFormat::Grayscale,
                &fb,
            ))
            .unwrap();
        }
        m.seek(0).unwrap();
        let mut due = b.clock().now();
        let mut prev = None;
        for (i, &c) in captures.iter().enumerate() {
            let f = m.read(&mut fb, ReadOptions::PACED_ONCE).unwrap();
            // Memory streams keep µs: the replay's intervals are the
            // capture intervals exactly (the first is since the seek).
            if let Some(p) = prev {
                assert_eq!(f.elapsed_us, c - p, "frame {i}");
            }
            prev = Some(c);
            // Memory reads take no card time: released exactly when due.
            due += f.elapsed_us;
            assert_eq!(b.clock().now(), due, "frame {i}");
        }
    }
}
