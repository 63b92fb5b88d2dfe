//! Issue 10, item 3: after any failed write the stream's count, index, size
//! and file agree, and the error names the frames that were lost.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{reader, Mem};
use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};
use omv_imageio::{
    Discarded, ErrorKind, FileOptions, FileStream, Image, IoOp, ManualClock, PixFormat,
    ReadOptions, SliceFile, StdIo, StdIoError, Truncate,
};
use proptest::prelude::*;
use std::cell::Cell;
use std::io::Cursor;
use std::rc::Rc;

/// A file that accepts `budget` more written bytes (then every write fails
/// with `StorageFull`), and whose truncate fails while `no_truncate` is set.
struct Flaky {
    inner: Mem,
    budget: Rc<Cell<Option<u64>>>,
    no_truncate: Rc<Cell<bool>>,
}

fn full() -> StdIoError {
    StdIoError(std::io::ErrorKind::StorageFull.into())
}

impl ErrorType for Flaky {
    type Error = StdIoError;
}
impl Read for Flaky {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, StdIoError> {
        self.inner.read(buf)
    }
}
impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> Result<usize, StdIoError> {
        let n = match self.budget.get() {
            None => buf.len(),
            Some(0) => return Err(full()),
            Some(b) => buf.len().min(b as usize),
        };
        let n = self.inner.write(&buf[..n])?;
        self.budget.set(self.budget.get().map(|b| b - n as u64));
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), StdIoError> {
        self.inner.flush()
    }
}
impl Seek for Flaky {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, StdIoError> {
        self.inner.seek(pos)
    }
}
impl Truncate for Flaky {
    fn truncate(&mut self) -> Result<(), StdIoError> {
        if self.no_truncate.get() {
            return Err(full());
        }
        self.inner.truncate()
    }
}

struct Rig {
    s: FileStream<Flaky, ManualClock>,
    budget: Rc<Cell<Option<u64>>>,
    no_truncate: Rc<Cell<bool>>,
}

/// A write stream holding `frames` 1x1 frames with values 1, 2, ...
fn rig(frames: u8) -> Rig {
    let budget = Rc::new(Cell::new(None));
    let no_truncate = Rc::new(Cell::new(false));
    let file = Flaky {
        inner: StdIo(Cursor::new(Vec::new())),
        budget: budget.clone(),
        no_truncate: no_truncate.clone(),
    };
    let mut s = FileStream::create(file, ManualClock::new(0), FileOptions::default()).unwrap();
    for v in 1..=frames {
        s.write(&one(v)).unwrap();
    }
    Rig {
        s,
        budget,
        no_truncate,
    }
}

/// One-byte payloads.
static VALUES: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// A 1x1 GRAYSCALE frame of value `v` (< 10).
fn one(v: u8) -> Image<'static> {
    let v = usize::from(v);
    Image::new(1, 1, PixFormat::Grayscale, &VALUES[v..=v])
}

/// Payload bytes of every frame a fresh reader finds, and whether it
/// reported a truncated tail.
fn reopen(bytes: Vec<u8>) -> (Vec<Vec<u8>>, bool) {
    let mut r = reader(bytes, 0);
    let mut fb = [0u8; 64];
    let mut got = Vec::new();
    while let Some(f) = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap() {
        got.push(fb[..f.payload_len as usize].to_vec());
    }
    (got, r.truncated_tail().is_some())
}

/// The stream's view and a reopened reader's view agree.
fn assert_agree(mut s: FileStream<Flaky, ManualClock>, frames: &[u8]) {
    let count = s.count().unwrap();
    assert_eq!(count, frames.len() as u32);
    assert_eq!(s.offset().unwrap(), count);
    assert!(s.seek(count + 1).is_err(), "no frame past count");
    s.seek(count).unwrap();
    assert!(s
        .read(&mut [0u8; 64], ReadOptions::FAST_ONCE)
        .unwrap()
        .is_none());
    s.seek(0).unwrap();
    let mut fb = [0u8; 64];
    for &v in frames {
        let f = s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
        assert_eq!(fb[..f.payload_len as usize], [v]);
    }
    let size = s.size().unwrap();
    let tail = s.truncated_tail().is_some();
    let bytes = s.into_inner().inner.0.into_inner();
    assert_eq!(bytes.len() as u64, size, "size() is the file's length");
    let (got, reopened_tail) = reopen(bytes);
    let want: Vec<Vec<u8>> = frames.iter().map(|&v| vec![v]).collect();
    assert_eq!(got, want, "a reopened reader finds the same frames");
    assert_eq!(tail, reopened_tail, "and the same truncated tail");
}

#[test]
fn the_issue_case_a_frame_that_does_not_fit_at_frame_1_of_3() {
    // 16-byte header + 3 chunks of 48 bytes: a 200-byte frame cannot fit.
    let mut buf = [0u8; 16 + 3 * 48];
    let mut s: FileStream<_, _> = FileStream::create(
        SliceFile::empty(&mut buf),
        ManualClock::new(0),
        FileOptions::default(),
    )
    .unwrap();
    for v in 1..=3 {
        s.write(&one(v)).unwrap();
    }
    s.seek(1).unwrap();
    let big = [7u8; 200];
    let e = s
        .write(&Image::new(200, 1, PixFormat::Grayscale, &big))
        .unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::Io(IoOp::Write, embedded_io::ErrorKind::OutOfMemory)
    );
    assert_eq!(e.offset, Some(64));
    assert_eq!(e.discarded, Some(Discarded { first: 1, end: 3 }));
    assert!(
        e.to_string().ends_with("frames 1..3 truncated"),
        "the error says what was lost: {e}"
    );
    assert_eq!((s.count().unwrap(), s.offset().unwrap()), (1, 1));
    assert_eq!(s.seek(2).unwrap_err().kind, ErrorKind::EndOfStream);
    assert!(s
        .read(&mut [0u8; 4], ReadOptions::FAST_ONCE)
        .unwrap()
        .is_none());
    assert!(
        s.truncated_tail().is_some(),
        "the partial chunk is reported"
    );
    let size = s.size().unwrap();
    let file = s.into_inner();
    assert_eq!(file.len() as u64, size);
    let (got, tail) = reopen(file.as_bytes().to_vec());
    assert_eq!((got, tail), (vec![vec![1]], true));
}

#[test]
fn a_write_failing_after_any_number_of_bytes_leaves_stream_and_file_agreeing() {
    let chunk = 48;
    for at in [0u32, 1, 3] {
        for budget in 0..chunk {
            let mut r = rig(3);
            r.s.seek(at).unwrap();
            r.budget.set(Some(budget));
            let e = r.s.write(&one(9)).unwrap_err();
            assert!(matches!(e.kind, ErrorKind::Io(IoOp::Write, _)), "{e:?}");
            let lost = (at < 3).then_some(Discarded { first: at, end: 3 });
            assert_eq!(e.discarded, lost, "at {at}, budget {budget}");
            let kept: Vec<u8> = (1..=at as u8).collect();
            // The storage works again: the next write appends cleanly.
            r.budget.set(None);
            let mut after = kept.clone();
            if budget % 2 == 1 {
                r.s.write(&one(5)).unwrap();
                after.push(5);
            }
            assert_agree(r.s, &after);
        }
    }
}

#[test]
fn a_failed_cut_changes_nothing() {
    let mut r = rig(3);
    r.s.seek(1).unwrap();
    r.no_truncate.set(true);
    let e = r.s.write(&one(9)).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Io(IoOp::Truncate, _)), "{e:?}");
    assert_eq!(e.discarded, None, "nothing was lost");
    assert_eq!(r.s.count().unwrap(), 3);
    assert_eq!(r.s.offset().unwrap(), 1);
    r.s.seek(3).unwrap();
    assert_agree(r.s, &[1, 2, 3]);
}

#[test]
fn a_failure_in_the_padding_that_cannot_be_cut_off_keeps_the_readable_frame() {
    // Header and payload are 33 bytes of the 48-byte chunk; 40 get through.
    let mut r = rig(3);
    r.no_truncate.set(true);
    r.budget.set(Some(40));
    let e = r.s.write(&one(9)).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Io(IoOp::Write, _)), "{e:?}");
    assert_eq!(r.s.count().unwrap(), 4, "the frame is in the file: counted");
    r.budget.set(None);
    r.no_truncate.set(false);
    // The next chunk starts after the (missing) padding, which reads as zeros.
    r.s.write(&one(5)).unwrap();
    assert_agree(r.s, &[1, 2, 3, 9, 5]);
}

#[test]
fn a_failure_in_the_padding_cuts_the_frame_off() {
    let mut r = rig(2);
    r.budget.set(Some(40));
    assert!(r.s.write(&one(9)).is_err());
    r.budget.set(None);
    assert_agree(r.s, &[1, 2]);
}

/// A step of the model test.
#[derive(Debug, Clone)]
enum Op {
    /// Write a frame of `len` bytes of `value`, the storage taking at most
    /// `budget` bytes (then failing).
    Write {
        len: usize,
        value: u8,
        budget: Option<u64>,
    },
    Seek(u32),
    Read,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..40, any::<u8>(), proptest::option::weighted(0.4, 0u64..90))
            .prop_map(|(len, value, budget)| Op::Write { len, value, budget }),
        1 => (0u32..8).prop_map(Op::Seek),
        1 => Just(Op::Read),
    ]
}

proptest! {
    /// Writes (some failing after any number of bytes), seeks and reads
    /// against a model: after every step the stream's count and offset are
    /// the model's, and at the end a reopened reader finds the model's frames.
    #[test]
    fn the_writer_agrees_with_a_model_whatever_fails(ops in proptest::collection::vec(op(), 1..40)) {
        let mut r = rig(0);
        let mut model: Vec<Vec<u8>> = Vec::new();
        let mut at = 0usize;
        let mut fb = [0u8; 64];
        for op in ops {
            match op {
                Op::Write { len, value, budget } => {
                    let data = vec![value; len];
                    r.budget.set(budget);
                    let res = r.s.write(&Image::new(len as u32, 1, PixFormat::Grayscale, &data));
                    r.budget.set(None);
                    model.truncate(at);
                    match res {
                        Ok(()) => {
                            model.push(data);
                            at += 1;
                        }
                        Err(e) => prop_assert!(matches!(e.kind, ErrorKind::Io(IoOp::Write, _)), "{e:?}"),
                    }
                }
                Op::Seek(k) => {
                    let res = r.s.seek(k);
                    prop_assert_eq!(res.is_ok(), k as usize <= model.len(), "seek({})", k);
                    if res.is_ok() {
                        at = k as usize;
                    }
                }
                Op::Read => {
                    let got = r.s.read(&mut fb, ReadOptions::FAST_ONCE).unwrap();
                    match model.get(at) {
                        Some(want) => {
                            let f = got.expect("a frame");
                            prop_assert_eq!(&fb[..f.payload_len as usize], &want[..]);
                            at += 1;
                        }
                        None => prop_assert!(got.is_none()),
                    }
                }
            }
            prop_assert_eq!(r.s.count().unwrap() as usize, model.len());
            prop_assert_eq!(r.s.offset().unwrap() as usize, at);
        }
        let size = r.s.size().unwrap();
        let bytes = r.s.into_inner().inner.0.into_inner();
        prop_assert_eq!(bytes.len() as u64, size);
        prop_assert_eq!(reopen(bytes).0, model);
    }
}
