//! Seek costs O(1) once the frames have been scanned: after one pass, a
//! seek reads at most `stride - 1` chunk headers, not the file from the start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use embedded_io::{ErrorType, Read, Seek, SeekFrom, Write};
use omv_imageio::{
    FileOptions, FileStream, Image, ManualClock, PixFormat, ReadOptions, StdIo, Truncate,
};
use std::cell::Cell;
use std::io::Cursor;
use std::rc::Rc;

/// A file that counts the bytes read from it.
struct Counting {
    inner: StdIo<Cursor<Vec<u8>>>,
    read: Rc<Cell<u64>>,
}

impl ErrorType for Counting {
    type Error = omv_imageio::StdIoError;
}
impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}
impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}
impl Seek for Counting {
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, Self::Error> {
        self.inner.seek(pos)
    }
}
impl Truncate for Counting {
    fn truncate(&mut self) -> Result<(), Self::Error> {
        self.inner.truncate()
    }
}

#[test]
fn seek_after_a_scan_reads_a_bounded_number_of_headers() {
    const FRAMES: u32 = 2000;
    let mut w: FileStream<_, _> = FileStream::create(
        StdIo(Cursor::new(Vec::new())),
        ManualClock::new(0),
        FileOptions::default(),
    )
    .unwrap();
    for i in 0..FRAMES {
        w.write(&Image::new(4, 4, PixFormat::Grayscale, &[i as u8; 16]))
            .unwrap();
    }
    let bytes = w.into_inner().0.into_inner();
    let read = Rc::new(Cell::new(0));
    let file = Counting {
        inner: StdIo(Cursor::new(bytes)),
        read: read.clone(),
    };
    // The default index has 256 entries: 2000 frames need stride 8.
    let mut r: FileStream<_, _> =
        FileStream::open_read(file, ManualClock::new(0), FileOptions::default()).unwrap();
    let mut fb = [0u8; 16];
    while r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().is_some() {}
    let chunk = 32 + 16;
    for target in [1999, 3, 1000, 1500, 7, 0, 1234] {
        read.set(0);
        r.seek(target).unwrap();
        let seek_bytes = read.get();
        // At most stride - 1 = 7 headers walked, plus the target's own header,
        // read to know whether a frame exists there (count, Q3).
        assert!(
            seek_bytes <= 8 * 32,
            "seek({target}) read {seek_bytes} bytes"
        );
        let f = r.read(&mut fb, ReadOptions::FAST_ONCE).unwrap().unwrap();
        assert_eq!((f.index, fb[0]), (target, target as u8));
        assert!(read.get() - seek_bytes <= chunk, "one frame read");
    }
    assert_eq!(r.count().unwrap(), FRAMES);
}
