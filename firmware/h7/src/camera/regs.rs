//! OV7725 registers and the set-up sequence OpenMV's driver uses for QVGA
//! RGB565 on the OpenMV Cam H7.
//!
//! Sources (values re-typed from these, checked against each other):
//! - OmniVision OV7725 datasheet, register table: SCCB address 0x42/0x43
//!   (7-bit 0x21); PID 0x0A reads 0x77 and VER 0x0B reads 0x21.
//! - openmv/openmv `drivers/sensors/ov7725.h` (register names and bits),
//!   `drivers/sensors/ov7725.c` (`default_regs`, `reset`, `set_pixformat`,
//!   `set_framesize`, `set_colorbar`), `common/omv_csi.c` (`omv_csi_probe`)
//!   and `boards/OPENMV4/board_config.h` (`OMV_OV7725_PLL_CONFIG` 0x41).

/// 7-bit SCCB address.
pub const ADDR: u8 = 0x21;

/// Product ID MSB; reads [`PID_OV7725`].
pub const PID: u8 = 0x0A;
/// Product ID LSB; reads [`VER_OV7725`].
pub const VER: u8 = 0x0B;
/// Datasheet default of PID (also OpenMV's `OV7725_ID`).
pub const PID_OV7725: u8 = 0x77;
/// Datasheet default of VER.
pub const VER_OV7725: u8 = 0x21;

/// COM3: bit 0 = sensor colour-bar test pattern (`COM3_COLOR_BAR`).
pub const COM3: u8 = 0x0C;
/// COM3 colour-bar bit.
pub const COM3_COLOR_BAR: u8 = 0x01;
/// COM7: bit 7 = SCCB register reset.
pub const COM7: u8 = 0x12;
/// COM7 reset bit.
pub const COM7_RESET: u8 = 0x80;
/// COM8: bits 2:0 = AGC, AWB, AEC enable.
pub const COM8: u8 = 0x13;
/// COM8's automatic gain, white balance and exposure bits.
pub const COM8_AUTO: u8 = 0x07;
/// DSP_CTRL3: bit 5 = DSP colour bar (`DSP_CTRL3_CBAR_EN`).
pub const DSP_CTRL3: u8 = 0x66;
/// DSP_CTRL3 colour-bar bit.
pub const DSP_CTRL3_CBAR: u8 = 0x20;

/// Wait after the COM7 soft reset before writing registers (OpenMV's
/// `reset`: 2 ms).
pub const RESET_SETTLE_MS: u64 = 2;
/// Wait after the register set-up before the first frame (OpenMV's
/// `reset`: 300 ms, for the sensor's PLL and exposure to settle).
pub const INIT_SETTLE_MS: u64 = 300;
/// Each half of a power-down or reset pulse while probing (OpenMV's
/// `omv_csi_probe`: 10 ms asserted, then `OMV_CSI_POWER_DELAY` /
/// `OMV_CSI_RESET_DELAY` = 10 ms released).
pub const PULSE_MS: u64 = 10;

/// `(register, value)` in the order written after the soft reset: the
/// parts of OpenMV's `default_regs` that shape the picture, then what its
/// `set_pixformat(RGB565)` and `set_framesize(QVGA)` write.
pub const INIT: &[(u8, u8)] = &[
    (0x3D, 0x03), // COM12: DC offset compensation (app note value)
    (0x11, 0xC0), // CLKRC: bit 6 = XCLK used directly (OpenMV writes 0xC0)
    (0x65, 0x2F), // DSP_CTRL2: 0x20 | VDCW | HDCW | VZOOM | HZOOM enable
    (0x66, 0x00), // DSP_CTRL3: (colour bar bit set below)
    (0x0D, 0x41), // COM4: PLL ×4 on the 12 MHz XCLK (OMV_OV7725_PLL_CONFIG)
    (0x12, 0x06), // COM7: RGB565 (0x04) | RGB output (0x02); set_pixformat
    // set_framesize(QVGA):
    (0x29, (super::WIDTH >> 2) as u8),  // HOUTSIZE: 320 >> 2 = 0x50
    (0x2C, (super::HEIGHT >> 1) as u8), // VOUTSIZE: 240 >> 1 = 0x78
    // EXHCH: the output size LSBs (320 & 3, 240 & 1), both 0.
    (
        0x2A,
        ((super::WIDTH & 3) | ((super::HEIGHT & 1) << 2)) as u8,
    ),
    (0x32, 0x00), // HREF: window LSBs 0, no vertical flip
    (0x12, 0x46), // COM7: | QVGA (0x40)
    (0x17, 0x3F), // HSTART
    (0x18, 0x50), // HSIZE
    (0x19, 0x03), // VSTART (0x03 - vflip, vflip off)
    (0x1A, 0x78), // VSIZE
    (0xAC, 0xFF), // DSPAUTO: auto scaling/zoom factors on (QVGA)
];
