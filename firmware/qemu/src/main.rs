//! The omv agent firmware for `qemu-system-arm -M mps2-an500` (Cortex-M7).
//!
//! UART0 is the host link (a PTY with `-serial pty`), TIMER0 the clock, the
//! first 8 MiB of the PSRAM a RAM disk holding the card image the host
//! loaded with `-device loader,file=card.img,addr=0x60000000`. The command
//! loop is `omv_agent::serve` with the shared executor: the same code that
//! runs in-process for the `sim` board.
//!
//! Memory is the OpenMV Cam H7's, not the emulator's (`memory.x`): a
//! 128 KiB stack guarded by the MPU ([`guard`]), 512 KiB of statics, and
//! agent-h7's frame-buffer, memory-stream and trace statics ([`buffers`],
//! the same module: `agent_common`).
#![no_std]
#![no_main]

use agent_common::buffers;

mod clock;
mod exit;
mod fault;
mod guard;
mod link;
mod panic;
mod ramdisk;
mod regs;
mod semihost;
mod uart;
mod watchdog;

use cortex_m_rt::{entry, exception};
use omv_agent::{BoardInfo, Diag, Executor, FatCard, PatternSensor};
use omv_imageio::Clock;
use static_cell::StaticCell;

/// Leave QEMU when the host has sent nothing for this many TIMER0 wraps
/// (171.8 s each: between 8.6 and 11.5 minutes), so an emulator whose host
/// died without killing it does not run for ever.
const IDLE_EXIT_WRAPS: u32 = 4;
/// Exit code after [`IDLE_EXIT_WRAPS`].
const EXIT_IDLE: u32 = 3;
/// Exit code when the buffers or the PSRAM were already taken (a bug).
const EXIT_SETUP: u32 = 4;

/// Exit code when QEMU's stdout (the fast response path) closed.
const EXIT_LINK: u32 = 5;

/// The executor: a static (see [`buffers`] for the trace it keeps).
type Exec = Executor<'static, ramdisk::RamDisk, clock::TimerClock, PatternSensor, 0>;

/// Who we are in the handshake.
const INFO: BoardInfo<'static> = BoardInfo {
    board: "qemu",
    firmware: concat!("agent-qemu ", env!("CARGO_PKG_VERSION")),
};

#[entry]
fn main() -> ! {
    static CARD: StaticCell<FatCard<ramdisk::RamDisk>> = StaticCell::new();
    static EXEC: StaticCell<Exec> = StaticCell::new();
    static DIAG: StaticCell<Diag> = StaticCell::new();
    // Why the last run ended (fault, panic, watchdog), before anything else.
    let diag = DIAG.init(Diag::new(fault::take_report()));
    #[cfg(feature = "fault-test")]
    diag.set_crash_hook(fault::crash);
    let Some(mut core) = cortex_m::Peripherals::take() else {
        exit::exit(EXIT_SETUP)
    };
    if !guard::enable(&mut core.MPU) {
        exit::exit(EXIT_SETUP)
    }
    watchdog::start();
    let mut clock = clock::TimerClock::start();
    let mut link = link::UartLink::new(uart::Uart::init(clock::TIMER_HZ, 115_200));
    let (Some((card_mem, _)), Some(mem)) = (ramdisk::psram(), buffers::take()) else {
        exit::exit(EXIT_SETUP)
    };
    // No card image loaded (or not FAT): run without files; the handshake's
    // capabilities tell the host.
    let card = match FatCard::mount(ramdisk::RamDisk::new(card_mem)) {
        Ok(c) => CARD.try_init(c).map(|c| &*c),
        Err(_) => None,
    };
    let what = if card.is_some() {
        "a FAT card"
    } else {
        "no card"
    };
    diag.log(clock.now_us(), format_args!("{} up, {what}", INFO.firmware));
    let Some(exec) = EXEC.try_init_with(move || {
        Executor::with_trace(clock, PatternSensor::new(), card, mem.buffers, mem.trace)
    }) else {
        exit::exit(EXIT_SETUP)
    };
    exec.enable_card_timing(ramdisk::set_card_timing);
    match omv_agent::serve_with(&mut link, exec, &INFO, diag) {
        Ok(()) => exit::exit(0),
        // The host closed QEMU's stdout: nobody is listening any more.
        Err(omv_agent::ServeError::Link(semihost::StdoutClosed)) => exit::exit(EXIT_LINK),
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
        8 => {
            let wraps = clock::on_timer0_interrupt();
            if wraps.wrapping_sub(uart::last_rx_wraps()) >= IDLE_EXIT_WRAPS {
                exit::exit(EXIT_IDLE);
            }
        }
        9 => clock::on_timer1_interrupt(),
        _ => {}
    }
}
