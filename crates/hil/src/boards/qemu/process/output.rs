//! QEMU's output: stdout and stderr read line by line into a bounded log
//! (quoted in errors) until the PTY line; with forwarding, stdout after it
//! as a raw byte stream ([`StdoutReader`]).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::parse_pty_line;

/// Keep at most this much of QEMU's output for error messages.
const OUTPUT_LIMIT: usize = 16 * 1024;

fn append(log: &Mutex<String>, line: &str) {
    if let Ok(mut log) = log.lock() {
        if log.len() < OUTPUT_LIMIT {
            log.push_str(line);
            if !line.ends_with('\n') {
                log.push('\n');
            }
        }
    }
}

/// Reads one output stream of QEMU line by line into `log`, reporting the
/// PTY path on `found` when it appears. With `forward`, every byte after
/// the PTY line goes there instead, raw.
pub(super) fn watch(
    stream: impl Read,
    log: Arc<Mutex<String>>,
    found: mpsc::Sender<PathBuf>,
    forward: Option<mpsc::Sender<Vec<u8>>>,
) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                append(&log, &text);
                if let Some(pty) = parse_pty_line(&text) {
                    // The receiver may be gone (start timed out): nothing to do.
                    let _ = found.send(pty);
                    if let Some(forward) = forward {
                        return pass_through(reader, forward);
                    }
                }
            }
        }
    }
}

/// Sends everything `reader` yields to `forward` until either end closes.
fn pass_through(mut reader: BufReader<impl Read>, forward: mpsc::Sender<Vec<u8>>) {
    let buffered = reader.buffer().to_vec();
    reader.consume(buffered.len());
    if !buffered.is_empty() && forward.send(buffered).is_err() {
        return;
    }
    let mut inner = reader.into_inner();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match inner.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if forward.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        }
    }
}

/// QEMU's stdout after the PTY line, as a byte stream with a read timeout:
/// `read` fails with `TimedOut` when nothing came in time, returns 0 once
/// QEMU has exited.
#[derive(Debug)]
pub struct StdoutReader {
    rx: mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    pos: usize,
    timeout: Duration,
}

impl StdoutReader {
    /// Reads what `rx` is sent, waiting 10 s for each chunk at first.
    pub(super) fn new(rx: mpsc::Receiver<Vec<u8>>) -> Self {
        StdoutReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
            timeout: Duration::from_secs(10),
        }
    }

    /// Sets how long `read` waits for the first byte.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The current read timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Read for StdoutReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.chunk.len() {
            match self.rx.recv_timeout(self.timeout) {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no output from the firmware within {:?}", self.timeout),
                    ))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
