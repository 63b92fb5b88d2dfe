//! A `std::io` file that counts the calls made on it.

use omv_imageio::StdFile;
use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::ops::Sub;
use std::rc::Rc;

/// Calls made on a file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    /// `read` calls (including ones that returned 0 bytes).
    pub read: u64,
    /// `write` calls.
    pub write: u64,
    /// `seek` calls (`stream_position` included: it is a seek).
    pub seek: u64,
    /// `set_len` and `sync_data` calls.
    pub other: u64,
}

impl Sub for Calls {
    type Output = Calls;
    fn sub(self, o: Calls) -> Calls {
        Calls {
            read: self.read - o.read,
            write: self.write - o.write,
            seek: self.seek - o.seek,
            other: self.other - o.other,
        }
    }
}

impl Calls {
    /// `n` seek calls and nothing else.
    pub fn seeks(n: u64) -> Calls {
        Calls {
            seek: n,
            ..Calls::default()
        }
    }

    /// Every call.
    pub fn total(&self) -> u64 {
        self.read + self.write + self.seek + self.other
    }
}

/// A shared call counter.
pub type Counter = Rc<Cell<Calls>>;

/// `inner`, with every call counted in `calls`.
#[derive(Debug)]
pub struct Counted<T> {
    pub inner: T,
    pub calls: Counter,
}

impl<T> Counted<T> {
    /// Wrap `inner`, counting into `calls`.
    pub fn new(inner: T, calls: &Counter) -> Self {
        Counted {
            inner,
            calls: calls.clone(),
        }
    }

    fn count(&self, f: impl FnOnce(&mut Calls)) {
        let mut c = self.calls.get();
        f(&mut c);
        self.calls.set(c);
    }
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.count(|c| c.read += 1);
        self.inner.read(buf)
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.count(|c| c.write += 1);
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<T: Seek> Seek for Counted<T> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.count(|c| c.seek += 1);
        self.inner.seek(pos)
    }
}

impl<T: StdFile> StdFile for Counted<T> {
    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.count(|c| c.other += 1);
        self.inner.set_len(len)
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.count(|c| c.other += 1);
        self.inner.sync_data()
    }
}
