//! Steps that never wait can still be cancelled (issue 10 item 4): unpaced
//! `replay` with `loop = true` and `record` from a sensor without a frame
//! rate check the clock's cancel source between frames.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::*;
use omv_agent::{Executor, PatternSensor};
use omv_fatstore::format::MemCard;
use omv_imageio::{Cancelled, Clock, Wait};
use omv_proto::{ErrorName, EventKind, Op, PixFormat, ReadArgs};

const PATH: &str = "/sdcard/stream.bin";

/// A clock whose cancel source fires once `polls_left` checks have passed
/// (the board sees host bytes after that many frames). Its waits jump to
/// the deadline like [`SharedClock`]'s.
#[derive(Clone, Default)]
struct HostBytesAfter {
    inner: SharedClock,
    polls_left: Rc<Cell<Option<u32>>>,
}

impl Clock for HostBytesAfter {
    fn now_us(&mut self) -> u64 {
        self.inner.now()
    }
}

impl Wait for HostBytesAfter {
    fn wait_until(&mut self, d: u64) -> Result<(), Cancelled> {
        self.check_cancelled()?;
        self.inner.wait_until(d)
    }

    fn check_cancelled(&mut self) -> Result<(), Cancelled> {
        match self.polls_left.get() {
            Some(0) => Err(Cancelled),
            Some(n) => {
                self.polls_left.set(Some(n - 1));
                Ok(())
            }
            None => Ok(()),
        }
    }
}

type Ex<'a> = Executor<'a, MemCard, HostBytesAfter, PatternSensor, 64>;

/// An executor on `rig` and `clock` that has set a 32×24 GRAYSCALE sensor
/// at `fps` (step 0) and opened [`PATH`] for writing (step 1).
fn writing<'a>(rig: &'a mut Rig, clock: &HostBytesAfter, fps: u16) -> Ex<'a> {
    let (card, buffers) = rig.parts();
    let mut ex = Executor::new(clock.clone(), PatternSensor::new(), Some(card), buffers);
    let open = [
        sensor(32, 24, PixFormat::Grayscale, fps),
        open_file(PATH, "w"),
    ];
    steps_ok(&mut ex, 0, &open);
    ex
}

/// Run `ops` as steps `first`, `first + 1`, …; each must succeed.
fn steps_ok(ex: &mut Ex<'_>, first: u32, ops: &[Op]) {
    for (step, op) in (first..).zip(ops) {
        let out = ex.run(step, op);
        assert!(out.is_ok(), "step {step} {op:?}: {out:?}");
    }
}

fn count(ex: &Ex<'_>, f: impl Fn(&EventKind) -> bool) -> usize {
    ex.events().iter().filter(|e| f(&e.kind)).count()
}

#[test]
fn unpaced_looping_replay_is_cancelled_between_frames() {
    let mut rig = Rig::new();
    let clock = HostBytesAfter::default();
    let mut ex = writing(&mut rig, &clock, 30);
    steps_ok(
        &mut ex,
        2,
        &[Op::Record { frames: 3 }, Op::Close, open_file(PATH, "r")],
    );
    ex.clear_events();
    // The host "sends a byte" after 5 frames. Without the check between
    // frames, 20 000 unpaced frames are all released and the step succeeds.
    clock.polls_left.set(Some(5));
    let args = ReadArgs {
        copy_to_fb: true,
        loop_: true,
        pause: false,
    };
    let out = ex.run(
        5,
        &Op::Replay {
            frames: Some(20_000),
            args,
        },
    );
    assert_eq!(out.error_name(), Some(ErrorName::Cancelled), "{out:?}");
    let released = count(&ex, |k| matches!(k, EventKind::FrameReleased { .. }));
    assert_eq!(released, 5);
    // The stream stays usable: the next step runs.
    clock.polls_left.set(None);
    assert!(ex.run(6, &Op::Read(args)).is_ok());
}

#[test]
fn record_from_a_sensor_without_a_frame_rate_is_cancelled_between_frames() {
    let mut rig = Rig::new();
    let clock = HostBytesAfter::default();
    // fps = 0: snapshots never wait, so only the check between frames sees
    // the host's bytes.
    let mut ex = writing(&mut rig, &clock, 0);
    clock.polls_left.set(Some(4));
    let out = ex.run(2, &Op::Record { frames: 20_000 });
    assert_eq!(out.error_name(), Some(ErrorName::Cancelled), "{out:?}");
    let written = count(&ex, |k| matches!(k, EventKind::FrameWritten { .. }));
    assert_eq!(written, 4);
    clock.polls_left.set(None);
    assert!(ex.run(3, &Op::Close).is_ok());
    drop(ex);
    // The four frames written before the cancel are in the file.
    assert_eq!(rig.file(PATH).len(), 16 + 4 * (32 + 32 * 24));
}
