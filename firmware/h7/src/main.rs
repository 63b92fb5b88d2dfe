//! Agent firmware for the OpenMV Cam H7 (STM32H743VI).
//!
//! Thread mode runs the agent's blocking command loop; USB runs as embassy
//! tasks on an interrupt-mode executor (UART4's vector, unused on this
//! board), so the host link keeps moving while the loop blocks on the SD
//! card or the camera. See [`board`] for the pin map and clock tree.
#![no_std]
#![no_main]

mod board;
mod camera;
mod clock;
mod fault;
mod log;
mod run;
mod sdcard;
mod sensor;
mod usb;

use cortex_m_rt::entry;
use embassy_executor::InterruptExecutor;
use embassy_stm32::interrupt;
use embassy_stm32::interrupt::{InterruptExt, Priority};

static USB_EXECUTOR: InterruptExecutor = InterruptExecutor::new();

#[interrupt]
#[allow(unsafe_code)]
unsafe fn UART4() {
    // SAFETY: UART4's vector is dedicated to this executor: the UART4
    // peripheral is never enabled, so nothing else raises or handles it.
    unsafe { USB_EXECUTOR.on_interrupt() }
}

#[entry]
fn main() -> ! {
    // Why the last run ended, before anything else touches RCC or RAM.
    let reset = fault::take_report();
    let p = board::init();
    fault::start_watchdog(p.IWDG1);

    interrupt::UART4.set_priority(Priority::P6);
    let spawner = USB_EXECUTOR.start(interrupt::UART4);
    let usb = usb::start(spawner, p.USB_OTG_FS, p.PA12, p.PA11);

    let card = sdcard::SdCard::init(sdcard::SdPins {
        sdmmc: p.SDMMC1,
        clk: p.PC12,
        cmd: p.PD2,
        d0: p.PC8,
        d1: p.PC9,
        d2: p.PC10,
        d3: p.PC11,
        detect: p.PD0,
    });
    let camera = camera::Camera::new(camera::CameraPins {
        mco: p.MCO1,
        xclk: p.PA8,
        i2c: p.I2C1,
        scl: p.PB8,
        sda: p.PB9,
        reset: p.PA10,
        pwdn: p.PD7,
        dcmi: p.DCMI,
        dma: p.DMA1_CH0,
        d: (p.PC6, p.PC7, p.PE0, p.PE1, p.PE4, p.PB6, p.PE5, p.PE6),
        vsync: p.PB7,
        hsync: p.PA4,
        pixclk: p.PA6,
    });
    let leds = run::Leds::new(p.PC0, p.PC1, p.PC2);
    run::run(run::Platform {
        usb,
        link: usb::UsbSerial::default(),
        clock: clock::BoardClock,
        card,
        camera,
        leds,
        reset,
    })
}

/// On a panic the board records message and location (`fault.rs`) and
/// resets; the agent reports it in its next hello. The message is kept
/// only if it is a plain string: formatting one (`core::fmt`, indirect
/// calls that may panic again) would put the worst-case stack over the
/// 64 KiB budget `cargo xtask stack` checks.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
    let message = info
        .message()
        .as_str()
        .unwrap_or("(a formatted message, not kept: see the source line)");
    fault::record_and_reset(&omv_agent::ResetRecord::panic_str(message, file, line))
}
