//! The deadline on the card's power-up.
//!
//! embassy-stm32 0.6 runs the SD power-up (CMD55 + ACMD41 until the card
//! reports ready, `StorageDevice::acquire` in `src/sdmmc/sd.rs`) as a loop
//! of blocking commands with no await point and no bound: a card that keeps
//! answering "busy" would hang the agent there for ever, and a
//! `with_timeout` around the future cannot fire because the future is never
//! suspended. The SD Physical Layer Simplified Specification (§4.2.3, card
//! initialisation and identification) gives a card 1 s from the first
//! ACMD41 to finish.
//!
//! So the deadline runs beside the loop: a task on its own interrupt-mode
//! executor (UART5's vector; UART5 is never enabled on this board) sleeps
//! until the deadline and then takes the CMD line (PD2) away from SDMMC1,
//! making it a pulled-up input. From then on no response reaches the
//! controller, so the next command ends in the controller's own response
//! timeout (CTIMEOUT, 64 SDMMC_CK cycles, RM0433 SDMMC chapter) and the HAL
//! returns an error, which the caller reports as
//! [`super::SdError::PowerUpTimeout`].

use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use embassy_executor::InterruptExecutor;
use embassy_stm32::interrupt;
use embassy_stm32::interrupt::{InterruptExt, Priority};
use embassy_stm32::pac;
use embassy_stm32::pac::gpio::vals::{Moder, Pupdr};
use embassy_time::{Duration, Instant, Timer};

/// The spec's power-up limit (1 s), plus 100 ms for the few identification
/// commands at 400 kHz around it (CMD0, CMD8, CID, CSD, SCR: well under
/// 10 ms together).
pub const POWER_UP_TIMEOUT: Duration = Duration::from_millis(1_100);

/// PD2 = SDMMC1_CMD (the only CMD pin on LQFP100; `SdPins::cmd` is typed PD2).
const CMD_PIN: usize = 2;

const IDLE: u8 = 0;
const ARMED: u8 = 1;
const FIRED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(IDLE);
static STARTED: AtomicBool = AtomicBool::new(false);
static WATCH: InterruptExecutor = InterruptExecutor::new();

#[interrupt]
#[allow(unsafe_code)]
unsafe fn UART5() {
    // SAFETY: UART5's vector is dedicated to this executor: the UART5
    // peripheral is never enabled, so nothing else raises or handles it.
    unsafe { WATCH.on_interrupt() }
}

/// The deadline could not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmError;

/// An armed deadline; [`Deadline::disarm`] it when the power-up returns.
pub struct Deadline(());

/// Start the deadline (once per boot).
pub fn arm() -> Result<Deadline, ArmError> {
    if STARTED.swap(true, Ordering::AcqRel) {
        return Err(ArmError);
    }
    interrupt::UART5.set_priority(Priority::P7);
    let spawner = WATCH.start(interrupt::UART5);
    STATE.store(ARMED, Ordering::Release);
    let token = expire(Instant::now() + POWER_UP_TIMEOUT).map_err(|_| ArmError)?;
    spawner.spawn(token);
    Ok(Deadline(()))
}

impl Deadline {
    /// Stop the deadline; `false` if it had already fired (the power-up
    /// then failed because of it). The CMD line is given back either way.
    pub fn disarm(self) -> bool {
        let in_time = STATE
            .compare_exchange(ARMED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !in_time {
            pac::GPIOD
                .moder()
                .modify(|w| w.set_moder(CMD_PIN, Moder::ALTERNATE));
        }
        in_time
    }
}

#[embassy_executor::task]
async fn expire(at: Instant) {
    Timer::at(at).await;
    if STATE
        .compare_exchange(ARMED, FIRED, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
    {
        pac::GPIOD
            .pupdr()
            .modify(|w| w.set_pupdr(CMD_PIN, Pupdr::PULL_UP));
        pac::GPIOD
            .moder()
            .modify(|w| w.set_moder(CMD_PIN, Moder::INPUT));
    }
}
