//! The camera: the OV7725 over DCMI with its colour-bar test pattern. When
//! no sensor answers, [`Camera`] says so and the agent's sensor
//! (`sensor.rs`) uses the software pattern generator instead.
//!
//! The OV7725 is brought up as OpenMV's driver does (register facts and
//! sources in [`regs`]): both power-down and reset polarities are probed in
//! OpenMV's order until the sensor answers on SCCB, its product id
//! (PID/VER) is checked, a soft reset is followed by 2 ms of settling, the
//! QVGA RGB565 set-up is written (window registers HSTART/HSIZE/VSTART/
//! VSIZE/HREF, output size, DSPAUTO), the colour bar is enabled in both
//! COM3 bit 0 and DSP_CTRL3 bit 5 (OpenMV's `set_colorbar`), and the
//! sensor settles for 300 ms before the first frame.
//!
//! One deliberate difference: OpenMV leaves AGC/AWB/AEC on (COM8 = 0xFF);
//! we switch them off so the bars are the same bytes frame to frame.
//! Whether they are byte-identical across boards has NOT been checked on
//! hardware; golden/h7 keeps their hashes only after a run on a real board
//! has been reviewed.

mod regs;

use embassy_futures::block_on;
use embassy_stm32::dcmi::{self, Dcmi};
use embassy_stm32::gpio::{Level, Output, Speed};
use embassy_stm32::i2c::{self, I2c};
use embassy_stm32::mode::Blocking;
use embassy_stm32::peripherals::{
    DCMI, DMA1_CH0, I2C1, MCO1, PA10, PA4, PA6, PA8, PB6, PB7, PB8, PB9, PC6, PC7, PD7, PE0, PE1,
    PE4, PE5, PE6,
};
use embassy_stm32::rcc::{Mco, Mco1Source, McoConfig, McoPrescaler};
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, dma, Peri};
use embassy_time::{block_for, with_timeout, Duration};

bind_interrupts!(struct CamIrqs {
    DCMI => dcmi::InterruptHandler<DCMI>;
    DMA1_STREAM0 => dma::InterruptHandler<DMA1_CH0>;
});

/// The sensor's frame: QVGA.
pub const WIDTH: u16 = 320;
/// The sensor's frame: QVGA.
pub const HEIGHT: u16 = 240;
/// Bytes in one sensor frame.
pub const FRAME_BYTES: usize = WIDTH as usize * HEIGHT as usize * 2;
// The executor's frame buffers (shared with agent-qemu) hold one such frame.
const _: () = assert!(FRAME_BYTES == agent_common::buffers::FRAME_BYTES);
/// Longest wait for one frame (two frame times at the slowest rate we set,
/// plus margin).
pub const FRAME_TIMEOUT: Duration = Duration::from_millis(500);

/// Why the camera could not deliver a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraError {
    /// No sensor answered on SCCB with any power-down/reset polarity.
    NoSensor(i2c::Error),
    /// A sensor answered with another product id.
    WrongSensor {
        /// PID register.
        pid: u8,
        /// VER register.
        ver: u8,
    },
    /// A register write failed.
    Sccb {
        /// The register.
        reg: u8,
        /// The bus error.
        error: i2c::Error,
    },
    /// No complete frame within [`FRAME_TIMEOUT`].
    FrameTimeout,
    /// DCMI reported an overrun or a synchronisation error.
    Capture(dcmi::Error),
    /// The caller's buffer is not word-aligned (DMA writes 32-bit words).
    Unaligned,
    /// There is no sensor; the reason it did not come up.
    Absent,
    /// The caller's buffer cannot hold a sensor frame.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        available: usize,
    },
}

impl core::fmt::Display for CameraError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CameraError::NoSensor(e) => {
                write!(f, "no OV7725 on SCCB with either reset polarity: {e:?}")
            }
            CameraError::WrongSensor { pid, ver } => write!(
                f,
                "sensor id {pid:#04x}/{ver:#04x} is not an OV7725 ({:#04x}/{:#04x})",
                regs::PID_OV7725,
                regs::VER_OV7725
            ),
            CameraError::Sccb { reg, error } => write!(f, "SCCB write to {reg:#04x}: {error:?}"),
            CameraError::FrameTimeout => f.write_str("no frame from the sensor within 500 ms"),
            CameraError::Capture(e) => write!(f, "DCMI capture failed: {e:?}"),
            CameraError::Unaligned => f.write_str("frame buffer is not 4-byte aligned"),
            CameraError::Absent => f.write_str("no camera sensor"),
            CameraError::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "frame buffer too small: need {needed} bytes, have {available}"
                )
            }
        }
    }
}

impl core::error::Error for CameraError {}

/// DCMI D0..D7 (PC6, PC7, PE0, PE1, PE4, PB6, PE5, PE6).
pub type DataPins = (
    Peri<'static, PC6>,
    Peri<'static, PC7>,
    Peri<'static, PE0>,
    Peri<'static, PE1>,
    Peri<'static, PE4>,
    Peri<'static, PB6>,
    Peri<'static, PE5>,
    Peri<'static, PE6>,
);

/// Everything the camera uses.
pub struct CameraPins {
    /// Sensor clock output.
    pub mco: Peri<'static, MCO1>,
    /// XCLK pin.
    pub xclk: Peri<'static, PA8>,
    /// SCCB controller.
    pub i2c: Peri<'static, I2C1>,
    /// SCCB clock.
    pub scl: Peri<'static, PB8>,
    /// SCCB data.
    pub sda: Peri<'static, PB9>,
    /// Sensor reset, active low.
    pub reset: Peri<'static, PA10>,
    /// Sensor power-down, active high.
    pub pwdn: Peri<'static, PD7>,
    /// Camera interface.
    pub dcmi: Peri<'static, DCMI>,
    /// The DMA stream feeding DCMI's data register into memory.
    pub dma: Peri<'static, DMA1_CH0>,
    /// Data lines D0..D7.
    pub d: DataPins,
    /// VSYNC.
    pub vsync: Peri<'static, PB7>,
    /// HSYNC.
    pub hsync: Peri<'static, PA4>,
    /// PIXCLK.
    pub pixclk: Peri<'static, PA6>,
}

/// The OV7725 in colour-bar mode, with DCMI.
pub struct Ov7725 {
    dcmi: Dcmi<'static, DCMI>,
    _i2c: I2c<'static, Blocking, i2c::Master>,
    _xclk: Mco<'static, MCO1>,
    _reset: Output<'static>,
    _pwdn: Output<'static>,
}

fn write_reg(
    bus: &mut I2c<'static, Blocking, i2c::Master>,
    reg: u8,
    value: u8,
) -> Result<(), CameraError> {
    bus.blocking_write(regs::ADDR, &[reg, value])
        .map_err(|error| CameraError::Sccb { reg, error })
}

/// SCCB reads are a write of the register address, a stop, then a read
/// (no repeated start).
fn read_reg(bus: &mut I2c<'static, Blocking, i2c::Master>, reg: u8) -> Result<u8, i2c::Error> {
    bus.blocking_write(regs::ADDR, &[reg])?;
    let mut v = [0u8];
    bus.blocking_read(regs::ADDR, &mut v)?;
    Ok(v[0])
}

fn read_for_write(
    bus: &mut I2c<'static, Blocking, i2c::Master>,
    reg: u8,
) -> Result<u8, CameraError> {
    read_reg(bus, reg).map_err(|error| CameraError::Sccb { reg, error })
}

fn ms(n: u64) {
    block_for(Duration::from_millis(n));
}

/// OpenMV's `omv_csi_probe` order of (power-down, reset) active levels.
const POLARITIES: [(Level, Level); 4] = [
    (Level::High, Level::High),
    (Level::High, Level::Low),
    (Level::Low, Level::High),
    (Level::Low, Level::Low),
];

fn inverse(l: Level) -> Level {
    match l {
        Level::High => Level::Low,
        Level::Low => Level::High,
    }
}

/// Pulse power-down, then reset, with each polarity in turn until the
/// sensor answers; returns its (PID, VER). The pins are left released.
fn probe(
    bus: &mut I2c<'static, Blocking, i2c::Master>,
    pwdn: &mut Output<'static>,
    reset: &mut Output<'static>,
) -> Result<(u8, u8), CameraError> {
    let mut last = i2c::Error::Timeout;
    for (pwdn_active, reset_active) in POLARITIES {
        pwdn.set_level(pwdn_active);
        ms(regs::PULSE_MS);
        pwdn.set_level(inverse(pwdn_active));
        ms(regs::PULSE_MS);
        reset.set_level(reset_active);
        ms(regs::PULSE_MS);
        reset.set_level(inverse(reset_active));
        ms(regs::PULSE_MS);
        match read_reg(bus, regs::PID).and_then(|pid| Ok((pid, read_reg(bus, regs::VER)?))) {
            Ok(id) => return Ok(id),
            Err(e) => last = e,
        }
    }
    Err(CameraError::NoSensor(last))
}

impl Ov7725 {
    /// Power the sensor up (probing both polarities), check its id, put
    /// it in QVGA RGB565 colour-bar mode with automatic exposure, gain and
    /// white balance off, and let it settle.
    pub fn init(pins: CameraPins) -> Result<Ov7725, CameraError> {
        // XCLK first: the sensor answers SCCB only with its clock running.
        let mut mco_config = McoConfig::default();
        mco_config.prescaler = McoPrescaler::DIV1;
        let xclk = Mco::new(pins.mco, pins.xclk, Mco1Source::HSE, mco_config);
        let mut pwdn = Output::new(pins.pwdn, Level::Low, Speed::Low);
        let mut reset = Output::new(pins.reset, Level::High, Speed::Low);

        let mut i2c_config = i2c::Config::default();
        i2c_config.frequency = Hertz::khz(100);
        i2c_config.timeout = Duration::from_millis(20);
        let mut bus = I2c::new_blocking(pins.i2c, pins.scl, pins.sda, i2c_config);

        let (pid, ver) = probe(&mut bus, &mut pwdn, &mut reset)?;
        if (pid, ver) != (regs::PID_OV7725, regs::VER_OV7725) {
            return Err(CameraError::WrongSensor { pid, ver });
        }
        write_reg(&mut bus, regs::COM7, regs::COM7_RESET)?;
        ms(regs::RESET_SETTLE_MS);
        for &(reg, value) in regs::INIT {
            write_reg(&mut bus, reg, value)?;
        }
        let com3 = read_for_write(&mut bus, regs::COM3)?;
        write_reg(&mut bus, regs::COM3, com3 | regs::COM3_COLOR_BAR)?;
        let dsp3 = read_for_write(&mut bus, regs::DSP_CTRL3)?;
        write_reg(&mut bus, regs::DSP_CTRL3, dsp3 | regs::DSP_CTRL3_CBAR)?;
        let com8 = read_for_write(&mut bus, regs::COM8)?;
        write_reg(&mut bus, regs::COM8, com8 & !regs::COM8_AUTO)?;
        ms(regs::INIT_SETTLE_MS);

        let (d0, d1, d2, d3, d4, d5, d6, d7) = pins.d;
        let dcmi = Dcmi::new_8bit(
            pins.dcmi,
            pins.dma,
            CamIrqs,
            d0,
            d1,
            d2,
            d3,
            d4,
            d5,
            d6,
            d7,
            pins.vsync,
            pins.hsync,
            pins.pixclk,
            dcmi::Config::default(),
        );
        Ok(Ov7725 {
            dcmi,
            _i2c: bus,
            _xclk: xclk,
            _reset: reset,
            _pwdn: pwdn,
        })
    }

    /// Capture one frame straight into `out` by DMA (bytes in the order
    /// the sensor sent them); returns [`FRAME_BYTES`]. `out` must be
    /// word-aligned and in DMA-reachable memory (AXI SRAM, not the stack).
    pub fn capture(&mut self, out: &mut [u8]) -> Result<usize, CameraError> {
        let available = out.len();
        let dst = out
            .get_mut(..FRAME_BYTES)
            .ok_or(CameraError::BufferTooSmall {
                needed: FRAME_BYTES,
                available,
            })?;
        let words: &mut [u32] =
            bytemuck::try_cast_slice_mut(dst).map_err(|_| CameraError::Unaligned)?;
        block_on(with_timeout(FRAME_TIMEOUT, self.dcmi.capture(words)))
            .map_err(|_| CameraError::FrameTimeout)?
            .map_err(CameraError::Capture)?;
        Ok(FRAME_BYTES)
    }
}

/// The camera the agent records from: the OV7725, or the reason there is none.
pub struct Camera {
    sensor: Result<Ov7725, CameraError>,
}

impl Camera {
    /// Bring the sensor up; on failure keep the reason (frames then come
    /// from the software pattern generator).
    pub fn new(pins: CameraPins) -> Camera {
        Camera {
            sensor: Ov7725::init(pins),
        }
    }

    /// `true` when frames can come from the OV7725.
    pub fn has_sensor(&self) -> bool {
        self.sensor.is_ok()
    }

    /// One colour-bar frame from the OV7725 into `out`.
    pub fn capture(&mut self, out: &mut [u8]) -> Result<usize, CameraError> {
        match &mut self.sensor {
            Ok(s) => s.capture(out),
            Err(_) => Err(CameraError::Absent),
        }
    }
}
