//! What the firmware does once the board is up: the agent's command loop
//! (`omv_agent::serve`, the same executor the `sim` and `qemu` boards run)
//! over the USB link, with the SD card, the sensor and the clock.

use embassy_stm32::gpio::{Level, Output, Speed};
use embassy_stm32::peripherals::{PC0, PC1, PC2};
use embassy_stm32::Peri;
use omv_agent::{BoardInfo, Diag, Executor, FatCard, ServeError};
use omv_imageio::Clock;
use static_cell::StaticCell;

use crate::camera::Camera;
use crate::clock::BoardClock;
use crate::log;
use crate::sdcard::{SdCard, SdError};
use crate::sensor::H7Sensor;
use crate::usb::{StartError, UsbSerial};
use agent_common::buffers;

/// Who we are in the handshake.
const INFO: BoardInfo<'static> = BoardInfo {
    board: "h7",
    firmware: concat!("agent-h7 ", env!("CARGO_PKG_VERSION")),
};

/// The executor: a static, so neither it nor its stream lives on the
/// stack (the trace it keeps is [`buffers::take`]'s, also a static).
type Exec = Executor<'static, SdCard, BoardClock, H7Sensor, 0>;

/// The RGB LED (active low).
pub struct Leds {
    red: Output<'static>,
    green: Output<'static>,
    blue: Output<'static>,
}

impl Leds {
    /// All off.
    pub fn new(
        red: Peri<'static, PC0>,
        green: Peri<'static, PC1>,
        blue: Peri<'static, PC2>,
    ) -> Self {
        Leds {
            red: Output::new(red, Level::High, Speed::Low),
            green: Output::new(green, Level::High, Speed::Low),
            blue: Output::new(blue, Level::High, Speed::Low),
        }
    }

    /// Set each colour on (`true`) or off.
    pub fn set(&mut self, red: bool, green: bool, blue: bool) {
        self.red.set_level(Level::from(!red));
        self.green.set_level(Level::from(!green));
        self.blue.set_level(Level::from(!blue));
    }
}

/// Everything the agent runs on.
pub struct Platform {
    /// Whether USB came up.
    pub usb: Result<(), StartError>,
    /// The serial link to the host.
    pub link: UsbSerial,
    /// Microseconds since boot.
    pub clock: BoardClock,
    /// The microSD card, if one is in the slot and answered.
    pub card: Result<SdCard, SdError>,
    /// The OV7725, or why there is none.
    pub camera: Camera,
    /// Status LEDs.
    pub leds: Leds,
    /// Why the last run ended (fault, panic, watchdog), if known.
    pub reset: Option<omv_proto::ResetReport>,
}

/// Mount the card's FAT volume; `None` without a card or without a FAT
/// volume 0 (the handshake's capabilities then say "no files").
fn mount(card: Result<SdCard, SdError>) -> Option<&'static FatCard<SdCard>> {
    static CARD: StaticCell<FatCard<SdCard>> = StaticCell::new();
    let mounted = FatCard::mount(card.ok()?).ok()?;
    CARD.try_init(mounted).map(|c| &*c)
}

/// The buffers or the executor were already taken (a bug): red LED, halt.
fn setup_failed(leds: &mut Leds) -> ! {
    leds.set(true, false, false);
    loop {
        cortex_m::asm::wfi();
    }
}

/// Serve the host for ever. LEDs (steady): green = card mounted, blue =
/// no sensor (software patterns), red = USB or memory setup failed.
pub fn run(mut p: Platform) -> ! {
    let card = mount(p.card);
    let sensor = H7Sensor::new(p.camera);
    let has_sensor = sensor.has_camera();
    static EXEC: StaticCell<Exec> = StaticCell::new();
    let Some(mem) = buffers::take() else {
        setup_failed(&mut p.leds)
    };
    let clock = p.clock;
    let Some(exec) = EXEC
        .try_init_with(move || Executor::with_trace(clock, sensor, card, mem.buffers, mem.trace))
    else {
        setup_failed(&mut p.leds)
    };
    p.leds.set(p.usb.is_err(), card.is_some(), !has_sensor);
    static DIAG: StaticCell<Diag> = StaticCell::new();
    let had_reset = p.reset.is_some();
    let diag = DIAG.init(Diag::new(p.reset));
    let mut clock = p.clock;
    log::line!(
        diag,
        clock.now_us(),
        "agent-h7 up: usb {}, card mounted {}, sensor {}, reset report {}",
        p.usb.is_ok(),
        card.is_some(),
        has_sensor,
        had_reset,
    );
    loop {
        log::line!(diag, clock.now_us(), "serving the host");
        // A host that stops reading does not end `serve` (a write that
        // times out drops that answer); it returns only if the link ends
        // or fails otherwise, and the next session resynchronises on frame
        // delimiters.
        match omv_agent::serve_with(&mut p.link, exec, &INFO, diag) {
            Ok(()) | Err(ServeError::Link(_)) => {
                log::line!(diag, clock.now_us(), "host session ended; serving again");
            }
        }
    }
}
