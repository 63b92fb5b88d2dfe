//! The steps that move frames: snapshot, write, record, read, replay and
//! frame differencing, with their trace events.

use embedded_sdmmc::BlockDevice;
use omv_imageio::Wait;

use super::*;
use crate::sensor::Sensor;
use crate::sensor::Snapshot;

/// What one read released.
pub(super) struct Released {
    pub(super) summary: FrameSummary,
    /// With a diff: (bytes compared, bytes changed, sum of |a − b|).
    diff: (u32, u32, u64),
}

/// Compare two payloads byte by byte: (compared, changed, sum of |a − b|).
fn compare(a: &[u8], b: &[u8], threshold: u8) -> (u32, u32, u64) {
    let (mut changed, mut sum, mut n) = (0u32, 0u64, 0u32);
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        if d > threshold {
            changed += 1;
        }
        sum += u64::from(d);
        n += 1;
    }
    (n, changed, sum)
}

impl<'a, D, C, S, const E: usize> Executor<'a, D, C, S, E>
where
    D: BlockDevice,
    C: Wait + Clone,
    S: Sensor<C>,
{
    pub(super) fn push(&mut self, kind: EventKind) {
        let t_us = self.clock.now_us();
        self.events.push(Event {
            t_us,
            step: self.step,
            kind,
        });
    }

    /// Take a snapshot into the frame buffer (`aux = false`) or the aux buffer.
    pub(super) fn snapshot(&mut self, aux: bool) -> Result<Snapshot, OpError> {
        let fb = if aux {
            &mut *self.aux
        } else {
            &mut *self.frame
        };
        let snap = self.sensor.snapshot(&mut self.clock, fb)?;
        if snap.dropped > 0 {
            self.push(EventKind::FramesDropped {
                count: snap.dropped,
                seq: snap.seq,
            });
        }
        Ok(snap)
    }

    pub(super) fn snap_summary(&self, snap: &Snapshot, data: &[u8]) -> FrameSummary {
        FrameSummary {
            index: snap.seq,
            width: u32::from(self.cfg.width),
            height: u32::from(self.cfg.height),
            pixformat: self.cfg.pixformat,
            elapsed_us: 0,
            payload_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            crc32: crc32(data),
            t_us: snap.t_us,
        }
    }

    /// `stream.write(sensor.snapshot())`. The summary's `elapsed_us` is 0
    /// (the stream stores it; read it back from the file's frame table).
    pub(super) fn write_one(&mut self) -> Result<FrameSummary, OpError> {
        self.write_counting().map(|(f, _)| f)
    }

    /// [`write_one`](Self::write_one), also returning the sensor frames
    /// dropped before the snapshot.
    pub(super) fn write_counting(&mut self) -> Result<(FrameSummary, u32), OpError> {
        let snap = self.snapshot(false)?;
        let cfg = self.cfg;
        let data = self.frame.get(..snap.len).unwrap_or_default();
        let img = Image::new(
            u32::from(cfg.width),
            u32::from(cfg.height),
            cfg.pixformat,
            data,
        );
        let stream = current(&mut self.stream)?;
        let written = stream.write(&img).and_then(|()| stream.offset());
        self.sched = None;
        let index = match written {
            Ok(next) => next.saturating_sub(1),
            Err(e) => {
                let index = stream.offset().unwrap_or(0);
                self.push(EventKind::StepFailed { index });
                return Err(io(e));
            }
        };
        let mut summary = self.snap_summary(&snap, self.frame.get(..snap.len).unwrap_or_default());
        summary.index = index;
        summary.t_us = self.clock.now_us();
        self.push(EventKind::FrameWritten {
            index,
            seq: snap.seq,
            captured_us: snap.t_us,
            payload_len: summary.payload_len,
            crc32: summary.crc32,
        });
        Ok((summary, snap.dropped))
    }

    /// Checked before every frame of `record` and `replay`: a step whose
    /// pacing never waits (`pause = false`, a sensor without a frame rate)
    /// is still cancelled by the board's cancel source.
    fn between_frames(&mut self) -> Result<(), OpError> {
        self.clock
            .check_cancelled()
            .map_err(|_| OpError::new(ErrorName::Cancelled, "step cancelled between frames"))
    }

    pub(super) fn record(&mut self, frames: u32) -> Result<RecordSummary, OpError> {
        let t_start_us = self.clock.now_us();
        let mut out = RecordSummary {
            frames: 0,
            first_index: 0,
            dropped: 0,
            t_start_us,
            t_end_us: t_start_us,
        };
        for i in 0..frames {
            self.between_frames()?;
            let (f, dropped) = self.write_counting()?;
            if i == 0 {
                out.first_index = f.index;
            }
            out.frames += 1;
            out.dropped = out.dropped.saturating_add(dropped);
        }
        out.t_end_us = self.clock.now_us();
        Ok(out)
    }

    /// One `read`: into the frame buffer (or a memory slot view), summary,
    /// schedule, trace event. `None` at the end of a file stream.
    ///
    /// With `diff = Some((len, threshold))` the frame is also compared with
    /// the first `len` bytes of the aux buffer (while a memory slot view is
    /// still borrowed, so `copy_to_fb = false` works too).
    pub(super) fn read_one(
        &mut self,
        args: &ReadArgs,
        diff: Option<(usize, u8)>,
    ) -> Result<Option<Released>, OpError> {
        let opts = ReadOptions {
            loop_: args.loop_,
            pause: args.pause,
        };
        let stream = current(&mut self.stream)?;
        let aux: &[u8] = self.aux;
        let got = stream
            .read_frame(self.frame, opts, args.copy_to_fb)
            .map(|f| {
                f.map(|fr| {
                    let d = match diff {
                        Some((len, th)) => compare(aux.get(..len).unwrap_or_default(), fr.data, th),
                        None => (0, 0, 0),
                    };
                    (fr.info, crc32(fr.data), d)
                })
            });
        let (info, crc, d) = match got {
            Ok(Some(x)) => x,
            Ok(None) => return Ok(None),
            Err(e) => {
                if e.kind != ErrorKind::EndOfStream {
                    let index = stream.offset().unwrap_or(0);
                    self.push(EventKind::StepFailed { index });
                }
                return Err(io(e));
            }
        };
        let t = self.clock.now_us();
        let scheduled = match self.sched {
            None => t,
            Some(prev) => prev.saturating_add(info.elapsed_us),
        };
        self.sched = Some(scheduled);
        self.push(EventKind::FrameReleased {
            index: info.index,
            scheduled_us: scheduled,
            elapsed_us: info.elapsed_us,
            payload_len: info.payload_len,
            crc32: crc,
        });
        Ok(Some(Released {
            summary: FrameSummary {
                index: info.index,
                width: info.width,
                height: info.height,
                pixformat: info.pixformat,
                elapsed_us: info.elapsed_us,
                payload_len: info.payload_len,
                crc32: crc,
                t_us: t,
            },
            diff: d,
        }))
    }

    pub(super) fn replay(
        &mut self,
        frames: Option<u32>,
        args: &ReadArgs,
    ) -> Result<ReplaySummary, OpError> {
        if args.loop_ && frames.is_none() {
            return Err(OpError::new(
                ErrorName::BadStep,
                "replay with loop=true needs a frame count",
            ));
        }
        current(&mut self.stream)?;
        let t_start_us = self.clock.now_us();
        let mut out = ReplaySummary {
            frames: 0,
            first_index: None,
            reached_end: false,
            max_lateness_us: 0,
            t_start_us,
            t_end_us: t_start_us,
        };
        let limit = frames.unwrap_or(u32::MAX);
        while out.frames < limit {
            self.between_frames()?;
            match self.read_one(args, None) {
                Ok(Some(r)) => {
                    out.frames += 1;
                    out.first_index.get_or_insert(r.summary.index);
                    let due = self.sched.unwrap_or(r.summary.t_us);
                    out.max_lateness_us = out.max_lateness_us.max(r.summary.t_us.abs_diff(due));
                }
                Ok(None) => {
                    out.reached_end = true;
                    break;
                }
                Err(e) if e.name == ErrorName::EndOfStream => {
                    out.reached_end = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        out.t_end_us = self.clock.now_us();
        Ok(out)
    }

    pub(super) fn diff(&mut self, args: &ReadArgs, threshold: u8) -> Result<Value, OpError> {
        let snap = self.snapshot(true)?;
        let Some(r) = self.read_one(args, Some((snap.len, threshold)))? else {
            return Ok(Value::None);
        };
        let (compared, changed, sum) = r.diff;
        let mean = sum
            .saturating_mul(1000)
            .checked_div(u64::from(compared))
            .unwrap_or(0);
        Ok(Value::Diff(DiffSummary {
            frame: r.summary,
            snapshot_seq: snap.seq,
            compared,
            changed,
            mean_abs_diff_milli: u32::try_from(mean).unwrap_or(u32::MAX),
        }))
    }
}
