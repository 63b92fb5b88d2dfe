//! Stream reader: arbitrary bytes as a file. Open, read every frame, seek
//! about and read again: nothing may panic, every error is typed and leaves
//! the stream where it was, and what was read agrees with `count()`.

use std::io::Cursor;

use omv_imageio::{ErrorKind, FileOptions, FileStream, ManualClock, ReadOptions, StdIo};

const ONCE: ReadOptions = ReadOptions::FAST_ONCE;
const LOOP: ReadOptions = ReadOptions {
    loop_: true,
    pause: false,
};

/// The target body.
pub fn run(data: &[u8]) {
    let opts = FileOptions {
        max_wait_us: 10_000,
        ..FileOptions::default()
    };
    let file = StdIo(Cursor::new(data.to_vec()));
    let Ok(mut s) = FileStream::<_, _>::open_read(file, ManualClock::new(0), opts) else {
        return;
    };
    assert_eq!(s.size().unwrap(), data.len() as u64);
    // A payload never exceeds the file, so this buffer always suffices.
    let mut fb = vec![0u8; data.len()];
    let mut frames = 0u32;
    loop {
        let at = (s.offset().unwrap(), s.count().unwrap());
        match s.read(&mut fb, ONCE) {
            Ok(Some(f)) => {
                assert_eq!(f.index, frames);
                frames += 1;
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                assert_eq!(at, (s.offset().unwrap(), s.count().unwrap()), "{e}");
                break;
            }
        }
    }
    assert_eq!(s.offset().unwrap(), frames);
    assert!(s.count().unwrap() >= frames);
    // seek(count) is the end, one past it is EndOfStream and moves nothing.
    let count = s.count().unwrap();
    if s.seek(count).is_ok() {
        let e = s.seek(count + 1).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::EndOfStream) || e.offset.is_some(),
            "{e}"
        );
        assert_eq!(s.offset().unwrap(), count);
    }
    // Random access over the frames read, then a looping read.
    for k in (0..frames).rev().step_by(3) {
        s.seek(k).unwrap();
        assert_eq!(s.read(&mut fb, ONCE).unwrap().unwrap().index, k);
    }
    for _ in 0..=frames.min(4) {
        let _ = s.read(&mut fb, LOOP);
    }
    // A paced read with the clock far behind waits at most max_wait.
    let _ = s.seek(0);
    let _ = s.read(&mut fb, ReadOptions::PACED_ONCE);
    s.close().unwrap();
}
