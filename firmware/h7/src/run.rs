//! What the firmware does once the board is up: the agent's command loop
//! over the USB link, with the SD card, the camera and the clock.
//!
//! Until `omv-agent` (its `Executor` and `serve()`) is wired in here, the
//! firmware runs a boot self-test (read the card's block 0, take one frame)
//! and then only shows the result on the LEDs and discards host bytes.

use embassy_stm32::gpio::{Level, Output, Speed};
use embassy_stm32::peripherals::{PC0, PC1, PC2};
use embassy_stm32::Peri;
use embedded_io::{Read, ReadReady};
use embedded_sdmmc::{Block, BlockDevice, BlockIdx};
use omv_imageio::{Clock, PixFormat};
use omv_pattern::Content;
use static_cell::ConstStaticCell;

use crate::camera::{Camera, FRAME_BYTES, HEIGHT, WIDTH};
use crate::clock::BoardClock;
use crate::sdcard::{SdCard, SdError};
use crate::usb::{StartError, UsbSerial};

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
    /// The OV7725 or the pattern fallback.
    pub camera: Camera,
    /// Status LEDs.
    pub leds: Leds,
}

/// What the boot self-test found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfTest {
    /// USB tasks running.
    pub usb: bool,
    /// The card's block 0 read back with an MBR signature (0x55AA).
    pub card: bool,
    /// Frames come from the OV7725.
    pub sensor: bool,
    /// One QVGA RGB565 colour-bar frame was delivered (sensor or pattern).
    pub frame: bool,
}

/// The one frame buffer (QVGA RGB565) the firmware owns.
static PAYLOAD: ConstStaticCell<[u8; FRAME_BYTES]> = ConstStaticCell::new([0; FRAME_BYTES]);

/// Check each part once.
pub fn self_test(p: &mut Platform) -> SelfTest {
    let card = p.card.as_ref().is_ok_and(|card| {
        let mut block = [Block::new()];
        card.read(&mut block, BlockIdx(0)).is_ok()
            && block[0].contents.get(510..512) == Some(&[0x55, 0xAA][..])
    });
    let frame = PAYLOAD.try_take().is_some_and(|buf| {
        p.camera
            .frame(
                Content::ColorBars,
                0,
                0,
                WIDTH,
                HEIGHT,
                PixFormat::Rgb565,
                buf,
            )
            .is_ok()
    });
    SelfTest {
        usb: p.usb.is_ok(),
        card,
        sensor: p.camera.has_sensor(),
        frame,
    }
}

/// Run for ever.
pub fn run(mut p: Platform) -> ! {
    // Blinking: red = USB failed or no frame; green = card ok; blue = no
    // sensor (pattern fallback).
    let t = self_test(&mut p);
    let ok_usb = t.usb && t.frame;
    let ok_card = t.card;
    let sensor = t.sensor;
    let mut scratch = [0u8; 64];
    let mut next_blink = p.clock.now_us();
    let mut on = false;
    loop {
        if matches!(p.link.read_ready(), Ok(true)) {
            let _ = p.link.read(&mut scratch);
        }
        let now = p.clock.now_us();
        if now >= next_blink {
            on = !on;
            next_blink = now.saturating_add(500_000);
            p.leds.set(!ok_usb && on, ok_card && on, !sensor && on);
        }
    }
}
