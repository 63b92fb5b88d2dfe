//! CMSDK APB UART0 driver: RX interrupt into a ring buffer, WFI while
//! waiting, embedded-io 0.7 `Read`/`Write`/`ReadReady`.
//!
//! QEMU's CMSDK UART has a one-byte receiver and only takes the next byte from
//! the PTY once the firmware has read `DATA`: when the ring is full the byte
//! stays in the holding register and the host is back-pressured; nothing is
//! lost.

use crate::regs::{self, Irq, UART0};
use core::cell::RefCell;
use core::sync::atomic::{AtomicU32, Ordering};
use critical_section::Mutex;
use heapless::Deque;

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const INTSTATUS: usize = 0x0C;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
const CTRL_TX_IRQ: u32 = 1 << 2;
const CTRL_RX_IRQ: u32 = 1 << 3;
const INT_TX: u32 = 1 << 0;
const INT_RX: u32 = 1 << 1;

/// Bytes buffered between the RX interrupt and the reader.
pub const RX_RING: usize = 1024;

/// TIMER0 wrap count when the last byte arrived (host idle watchdog).
static LAST_RX_WRAPS: AtomicU32 = AtomicU32::new(0);

/// TIMER0 wrap count when the last byte arrived.
pub fn last_rx_wraps() -> u32 {
    LAST_RX_WRAPS.load(Ordering::Relaxed)
}

static RX: Mutex<RefCell<Deque<u8, RX_RING>>> = Mutex::new(RefCell::new(Deque::new()));

/// The UART0 serial port. There is one; [`Uart::take`] hands it out once.
#[derive(Debug)]
pub struct Uart {
    _private: (),
}

/// The UART cannot fail; its error type is uninhabited.
pub type UartError = core::convert::Infallible;

impl Uart {
    /// Configures UART0 (TX, RX, RX interrupt; the baud divisor only matters
    /// on hardware) and enables its interrupts in the NVIC.
    pub fn init(sysclk_hz: u32, baud: u32) -> Self {
        let div = (sysclk_hz / baud.max(1)).max(16);
        regs::write(UART0, BAUDDIV, div);
        regs::write(UART0, INTSTATUS, INT_TX | INT_RX);
        regs::write(UART0, CTRL, CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_IRQ);
        regs::unmask(Irq::Uart0Rx);
        regs::unmask(Irq::Uart0Tx);
        Uart { _private: () }
    }

    /// Writes one byte, sleeping while the transmitter is busy (the host is
    /// not reading the PTY).
    pub fn write_byte(&mut self, byte: u8) {
        while regs::read(UART0, STATE) & STATE_TX_FULL != 0 {
            self.write_byte_wait();
        }
        regs::write(UART0, DATA, u32::from(byte));
    }

    /// Bytes waiting to be read (ring plus holding register).
    pub fn available(&self) -> usize {
        critical_section::with(|cs| {
            let mut rx = RX.borrow_ref_mut(cs);
            drain_hw(&mut rx);
            rx.len()
        })
    }

    /// Moves buffered bytes into `out` without blocking; returns how many.
    pub fn read_now(&mut self, out: &mut [u8]) -> usize {
        critical_section::with(|cs| {
            let mut rx = RX.borrow_ref_mut(cs);
            drain_hw(&mut rx);
            let mut n = 0;
            while n < out.len() {
                match rx.pop_front() {
                    Some(b) => {
                        out[n] = b;
                        n += 1;
                    }
                    None => break,
                }
            }
            // Room was made: take the byte QEMU may be holding back.
            drain_hw(&mut rx);
            n
        })
    }

    /// Blocks (WFI) until at least one byte is buffered.
    pub fn wait_readable(&self) {
        while self.available() == 0 {
            regs::sleep_unless(host_bytes_waiting);
        }
    }
}

/// Writes `bytes` by polling the transmitter, for the panic handler
/// (interrupts off, no [`Uart`] at hand): no TX interrupt, no sleep.
pub fn write_polling(bytes: &[u8]) {
    for &b in bytes {
        while regs::read(UART0, STATE) & STATE_TX_FULL != 0 {}
        regs::write(UART0, DATA, u32::from(b));
    }
}

/// Bytes from the host are waiting (in the ring or the holding register).
pub fn host_bytes_waiting() -> bool {
    critical_section::with(|cs| !RX.borrow_ref(cs).is_empty())
        || regs::read(UART0, STATE) & STATE_RX_FULL != 0
}

/// Moves the byte in the holding register (if any) into the ring, unless
/// the ring is full.
fn drain_hw(rx: &mut Deque<u8, RX_RING>) {
    if regs::read(UART0, STATE) & STATE_RX_FULL != 0 {
        LAST_RX_WRAPS.store(crate::clock::wraps(), Ordering::Relaxed);
    }
    while !rx.is_full() && regs::read(UART0, STATE) & STATE_RX_FULL != 0 {
        // Only the low 8 bits of DATA carry the byte.
        let byte = (regs::read(UART0, DATA) & 0xFF) as u8;
        // Cannot fail: checked `!is_full()` above.
        let _ = rx.push_back(byte);
    }
}

/// UART0 RX interrupt: buffer the byte and acknowledge.
pub fn on_rx_interrupt() {
    regs::write(UART0, INTSTATUS, INT_RX);
    critical_section::with(|cs| drain_hw(&mut RX.borrow_ref_mut(cs)));
}

/// UART0 TX interrupt: the transmitter has room again; stop asking.
pub fn on_tx_interrupt() {
    regs::write(UART0, INTSTATUS, INT_TX);
    let ctrl = regs::read(UART0, CTRL);
    regs::write(UART0, CTRL, ctrl & !CTRL_TX_IRQ);
}

impl embedded_io::ErrorType for Uart {
    type Error = UartError;
}

impl embedded_io::Read for Uart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.read_now(buf);
            if n > 0 {
                return Ok(n);
            }
            self.wait_readable();
        }
    }
}

impl embedded_io::ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.available() > 0)
    }
}

impl embedded_io::Write for Uart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        for &b in buf {
            self.write_byte(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        while regs::read(UART0, STATE) & STATE_TX_FULL != 0 {
            self.write_byte_wait();
        }
        Ok(())
    }
}

impl Uart {
    /// Sleeps until the transmitter has room (TX interrupt).
    fn write_byte_wait(&mut self) {
        let ctrl = regs::read(UART0, CTRL);
        regs::write(UART0, CTRL, ctrl | CTRL_TX_IRQ);
        regs::sleep_unless(|| regs::read(UART0, STATE) & STATE_TX_FULL == 0);
    }
}

impl core::fmt::Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            self.write_byte(b);
        }
        Ok(())
    }
}
