//! The omv agent firmware for `qemu-system-arm -M mps2-an500` (Cortex-M7).
//!
//! UART0 is the host link (a PTY with `-serial pty`), TIMER0 the clock,
//! the PSRAM a RAM disk holding the card image loaded by the host.
#![no_std]
#![no_main]

mod clock;
mod exit;
mod panic;
mod ramdisk;
mod regs;
mod uart;

use cortex_m_rt::{entry, exception};
use embedded_io::{Read, Write};
use embedded_sdmmc::BlockDevice;

/// Printed at start: the host waits for it before talking.
pub const BANNER: &str = "omv-agent-qemu ready\r\n";

#[entry]
fn main() -> ! {
    let clock = clock::TimerClock::start();
    let mut uart = uart::Uart::init(clock::TIMER_HZ, 115_200);
    let _ = uart.write_all(BANNER.as_bytes());
    if let Some(mem) = ramdisk::psram() {
        let disk = ramdisk::RamDisk::new(mem);
        let mut block = [embedded_sdmmc::Block::new()];
        let mbr = disk.read(&mut block, embedded_sdmmc::BlockIdx(0)).is_ok()
            && block[0].contents[510..512] == [0x55, 0xAA];
        let _ = core::fmt::Write::write_fmt(
            &mut uart,
            format_args!(
                "card: {} blocks, mbr {}\r\n",
                disk.num_blocks().map(|c| c.0).unwrap_or(0),
                mbr
            ),
        );
    }
    let mut buf = [0u8; 64];
    loop {
        let n = match uart.read(&mut buf) {
            Ok(n) => n,
            Err(e) => match e {},
        };
        if buf[..n].contains(&b'Q') {
            exit::exit(0);
        }
        let _ = uart.write_all(&buf[..n]);
        let _ = clock.ticks();
    }
}

/// Every device interrupt lands here (no PAC: cortex-m-rt's default
/// vector table); dispatch on the NVIC line number.
#[allow(unsafe_code)]
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    match irqn {
        0 => uart::on_rx_interrupt(),
        1 => uart::on_tx_interrupt(),
        8 => clock::on_timer0_interrupt(),
        9 => clock::on_timer1_interrupt(),
        _ => {}
    }
}
