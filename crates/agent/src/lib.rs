//! The ImageIO agent: the one executor of scenario steps, shared by the
//! simulator board (in-process) and the firmware (over a serial line).
//!
//! `no_std`, no allocator: every buffer is given by the platform.
//!
//! * [`Executor`] runs [`omv_proto::Op`]s with `omv-imageio` over platform
//!   parts: a clock (`omv_imageio::Wait + Clone`), a [`Sensor`] (default:
//!   [`PatternSensor`], frames from `omv-pattern` paced on the clock by the
//!   one sensor model, [`sensor::FrameTimer`]), an
//!   optional [`FatCard`] (a FAT volume through `omv-fatstore` on any
//!   `embedded_sdmmc::BlockDevice`, with power-cut and write-limit faults)
//!   and [`Buffers`] (frame buffer, diff buffer, memory-stream region).
//! * [`serve()`] is the command loop over any `embedded-io` byte link;
//!   [`serve_with`] adds the board's [`Diag`]: the reset report its
//!   firmware recorded (fault, panic, watchdog) and a ring of log lines.
//!
//! ```
//! use omv_agent::{Buffers, FatCard, Executor, NoCard, PatternSensor};
//! use omv_proto::{Op, Outcome, PixFormat, Query, Value};
//! # #[derive(Clone, Default)]
//! # struct Clock(std::rc::Rc<std::cell::RefCell<omv_imageio::ManualClock>>);
//! # impl omv_imageio::Clock for Clock { fn now_us(&mut self) -> u64 { self.0.borrow_mut().now_us() } }
//! # impl omv_imageio::Wait for Clock {
//! #     fn wait_until(&mut self, d: u64) -> Result<(), omv_imageio::Cancelled> { self.0.borrow_mut().wait_until(d) }
//! # }
//! let (mut frame, mut aux, mut mem) = (vec![0; 320 * 240 * 2], vec![], vec![0; 1 << 20]);
//! let bufs = Buffers { frame: &mut frame, aux: &mut aux, memory: &mut mem };
//! let mut ex: Executor<NoCard, _, _> = Executor::new(Clock::default(), PatternSensor::new(), None, bufs);
//! let open = Op::OpenMemory { width: 320, height: 240, pixformat: PixFormat::Rgb565, count: 4 };
//! assert_eq!(ex.run(0, &open), Outcome::Ok(Value::Unit));
//! assert!(ex.run(1, &Op::Write).is_ok());
//! assert_eq!(ex.run(2, &Op::Query(Query::Offset)), Outcome::Ok(Value::Number(1)));
//! ```
#![no_std]
// No heap: errors carry a bounded message inline (128 bytes) and the card
// state holds the mounted store by value.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod card;
pub mod diag;
pub mod events;
pub mod executor;
#[cfg(feature = "test-util")]
mod host_rig;
pub mod record;
pub mod sensor;
pub mod serve;

pub use card::{
    CardFile, CardOpenError, FatCard, FatCardError, FaultDevice, FaultError, NoCard, Store,
};
pub use diag::{CrashHook, Diag, DEFAULT_LOG_LINES};
pub use events::{EventLog, EMPTY_EVENT};
pub use executor::{Buffers, Executor, Stream, DEFAULT_EVENTS, MAX_SLEEP_US};
#[cfg(feature = "test-util")]
pub use host_rig::HostRig;
pub use record::ResetRecord;
pub use sensor::{
    check_config, Pattern, PatternSensor, Render, Sensor, SensorConfig, SensorModel, SensorStats,
    Snapshot, SoftSensor,
};
pub use serve::{serve, serve_with, BoardInfo, ServeError};
