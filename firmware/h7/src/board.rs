//! The OpenMV Cam H7 (OpenMV4, STM32H743VIT6 in LQFP100): pin map and clock
//! tree.
//!
//! # Sources
//!
//! Facts are taken from the OpenMV firmware's board files for this camera
//! (`src/omv/boards/OPENMV4/omv_boardconfig.h`, `omv_pins.h` and the
//! MicroPython board `OPENMV4/mpconfigboard.h` in the openmv/openmv
//! repository), from ST's RM0433 (STM32H742/743/750/753 reference manual)
//! and from the alternate-function tables that embassy-stm32 generates for
//! `stm32h743vi` (the build fails if a pin below cannot carry its signal).
//! None of it has been checked against a board from this repository.
//!
//! # Pin map
//!
//! | Signal | Pin | AF | Notes |
//! |---|---|---|---|
//! | USB OTG_FS D− / D+ | PA11 / PA12 | 10 | full-speed PHY on chip; VBUS on PA9 is not sensed (bus-powered) |
//! | SDMMC1 CK, CMD | PC12, PD2 | 12 | the only SDMMC1 mapping on LQFP100 |
//! | SDMMC1 D0–D3 | PC8, PC9, PC10, PC11 | 12 | 4-bit bus |
//! | microSD card detect | PD0 | input, pull-up | low = card present |
//! | DCMI D0, D1 | PC6, PC7 | 13 | |
//! | DCMI D2, D3, D4 | PE0, PE1, PE4 | 13 | |
//! | DCMI D5 | PB6 | 13 | |
//! | DCMI D6, D7 | PE5, PE6 | 13 | |
//! | DCMI HSYNC, VSYNC, PIXCLK | PA4, PB7, PA6 | 13 | |
//! | Sensor XCLK | PA8 | 0 (MCO1) | OpenMV drives it from TIM1 CH1 at 12 MHz; we output HSE (12 MHz) on MCO1, same pin, same frequency |
//! | Sensor SCCB (I²C1) SCL / SDA | PB8 / PB9 | 4 | OV7725 at 7-bit address 0x21 |
//! | Sensor RESET | PA10 | output | polarity probed, both tried as OpenMV does (`camera.rs`) |
//! | Sensor PWDN | PD7 | output | polarity probed likewise |
//! | LEDs red, green, blue | PC0, PC1, PC2 | output | active low |
//!
//! SWD (PA13 SWDIO, PA14 SWCLK, NRST) stays in its reset function: the
//! agent never reconfigures those pins, so probe-rs can always attach.
//!
//! # Clock tree
//!
//! ```text
//! HSE 12 MHz crystal ──/3 (DIVM1)──> 4 MHz ──×200 (DIVN1)──> VCO 800 MHz
//!     PLL1_P /2 ──> SYSCLK 400 MHz (VOS1; 480 MHz would need VOS0 and rev V silicon)
//!     PLL1_Q /8 ──> 100 MHz SDMMC1 kernel clock (card clock 25 MHz, 4-bit)
//! D1CPRE /1 → CPU 400 MHz; HPRE /2 → AHB/AXI 200 MHz;
//! D1PPRE, D2PPRE1, D2PPRE2, D3PPRE /2 → APB1..4 100 MHz; timers ×2 → 200 MHz
//! HSI48 (trimmed by CRS from USB SOF) ──> USB OTG_FS 48 MHz
//! HSE ──> MCO1 (PA8) 12 MHz sensor XCLK
//! TIM2 (200 MHz /200) ──> 1 MHz tick for embassy-time = the agent's clock
//! ```
//!
//! OpenMV itself runs PLL1 at 480 MHz (N = 240, Q = 20) with the same
//! 12 MHz crystal; we stay at 400 MHz so that every silicon revision works.
//!
//! # Memory
//!
//! Code and constants in OpenMV's firmware slot, flash 0x0804_0000 to
//! 0x081D_FFFF (`memory.x`): the OpenMV bootloader in sector 0 and its
//! filesystem in sector 1 are kept, so the camera can always go back to
//! stock OpenMV firmware over USB DFU. Statics (the frame
//! buffers, the memory-stream region, the card's cache and bounce buffer,
//! USB buffers) in the 512 KiB AXI SRAM at 0x2400_0000, which SDMMC1's IDMA
//! and the DMA1 stream feeding DCMI can reach; the stack alone in the
//! 128 KiB DTCM at 0x2000_0000, which no DMA reaches (so DMA buffers are
//! never locals). A stack overflow runs off the bottom of the DTCM into
//! reserved address space (RM0433 memory map), which should fault (the
//! board resets) instead of silently corrupting statics. The data cache stays off, so DMA buffers need no cache
//! maintenance. D2/D3 SRAMs (0x3000_0000, 0x3800_0000) are unused.

use embassy_stm32::pac;
use embassy_stm32::pac::rcc::vals::Sw;
use embassy_stm32::rcc::{
    mux, AHBPrescaler, APBPrescaler, Hse, HseMode, Hsi48Config, Pll, PllDiv, PllMul, PllPreDiv,
    PllSource, Sysclk, VoltageScale,
};
use embassy_stm32::time::Hertz;

/// The crystal on the board.
pub const HSE_HZ: u32 = 12_000_000;
/// The SD card clock asked for after initialisation (SDMMC1 kernel clock
/// PLL1_Q = 100 MHz, divided by 4).
pub const SD_CARD_HZ: u32 = 25_000_000;

/// The HAL configuration implementing the clock tree above.
pub fn config() -> embassy_stm32::Config {
    let mut config = embassy_stm32::Config::default();
    let rcc = &mut config.rcc;
    rcc.hse = Some(Hse {
        freq: Hertz(HSE_HZ),
        mode: HseMode::Oscillator,
    });
    rcc.hsi48 = Some(Hsi48Config {
        sync_from_usb: true,
    });
    rcc.pll1 = Some(Pll {
        source: PllSource::HSE,
        prediv: PllPreDiv::DIV3,
        mul: PllMul::MUL200,
        fracn: None,
        divp: Some(PllDiv::DIV2),
        divq: Some(PllDiv::DIV8),
        divr: None,
    });
    rcc.sys = Sysclk::PLL1_P;
    rcc.d1c_pre = AHBPrescaler::DIV1;
    rcc.ahb_pre = AHBPrescaler::DIV2;
    rcc.apb1_pre = APBPrescaler::DIV2;
    rcc.apb2_pre = APBPrescaler::DIV2;
    rcc.apb3_pre = APBPrescaler::DIV2;
    rcc.apb4_pre = APBPrescaler::DIV2;
    rcc.voltage_scale = VoltageScale::Scale1;
    rcc.mux.usbsel = mux::Usbsel::HSI48;
    rcc.mux.sdmmcsel = mux::Sdmmcsel::PLL1_Q;
    config
}

/// The clocks could not be brought back to their reset state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmStartError {
    /// HSI did not report ready.
    HsiNotReady,
    /// The system clock switch to HSI was not acknowledged (RCC_CFGR.SWS).
    SysclkNotHsi,
    /// A PLL (0 = PLL1) still reported ready after being switched off.
    PllStillOn(usize),
    /// VOSRDY did not come back after leaving VOS0 (SYSCFG_PWRCR.ODEN).
    VoltageNotReady,
}

impl core::fmt::Display for WarmStartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WarmStartError::HsiNotReady => f.write_str("warm start: HSI not ready"),
            WarmStartError::SysclkNotHsi => f.write_str("warm start: SYSCLK did not switch to HSI"),
            WarmStartError::PllStillOn(n) => write!(f, "warm start: PLL{} did not stop", n + 1),
            WarmStartError::VoltageNotReady => {
                f.write_str("warm start: VOS not ready after clearing ODEN")
            }
        }
    }
}

/// Polls of a ready flag before giving up. Each poll is at least one
/// peripheral read (≥ 15 ns at the 64 MHz HSI); the oscillator, switch and
/// PLL flags waited on here settle in microseconds, so 1 M polls (≥ 15 ms)
/// is a generous deadline that still never hangs.
const READY_POLLS: u32 = 1_000_000;

fn wait_until(mut done: impl FnMut() -> bool, error: WarmStartError) -> Result<(), WarmStartError> {
    for _ in 0..READY_POLLS {
        if done() {
            return Ok(());
        }
    }
    Err(error)
}

/// Put the clock tree back into its reset state after OpenMV's bootloader.
///
/// The bootloader (openmv/openmv `boot/src/common/main.c`, `port_init` in
/// `boot/src/ports/stm32/stm32_port.c`, `SystemClock_Config` in
/// `lib/cmsis/src/st/system_stm32.c` with `boards/OPENMV4/board_config.h`)
/// runs SYSCLK from PLL1 at 480 MHz (VOS0 on rev V silicon, i.e. VOS1 plus
/// SYSCFG_PWRCR.ODEN), PLL2 at 200 MHz and PLL3 at 160 MHz, and jumps to us
/// with all of them still on; it only turns off USB, SysTick and its pins.
///
/// embassy-stm32 0.6's H7 RCC init (`src/rcc/h.rs`) does switch SYSCLK to
/// HSI before touching the PLLs, but then writes PLL1's dividers with the
/// PLL still running (it only calls `disable_pll` for PLLs left out of the
/// config). RM0433 (RCC_PLLCKSELR, RCC_PLLCFGR, RCC_PLL1DIVR): DIVMx,
/// PLLSRC and the PLL dividers can be written only while the PLL is off,
/// so those writes would be ignored
/// and PLL1 would keep the bootloader's 480 MHz / Q = 48 MHz while embassy
/// believes it is 400 / 100 MHz. It also sets VOS to Scale 1 without
/// clearing ODEN, which leaves the chip in VOS0. So before
/// `embassy_stm32::init` we: turn HSI on, switch SYSCLK to it, stop PLL1-3,
/// and leave VOS0. After a cold reset every step is already true and costs
/// a register read.
pub fn leave_bootloader_clocks() -> Result<(), WarmStartError> {
    let rcc = pac::RCC;
    rcc.cr().modify(|w| w.set_hsion(true));
    wait_until(|| rcc.cr().read().hsirdy(), WarmStartError::HsiNotReady)?;
    rcc.cfgr().modify(|w| w.set_sw(Sw::HSI));
    wait_until(
        || rcc.cfgr().read().sws() == Sw::HSI,
        WarmStartError::SysclkNotHsi,
    )?;
    for n in 0..3 {
        rcc.cr().modify(|w| w.set_pllon(n, false));
        wait_until(|| !rcc.cr().read().pllrdy(n), WarmStartError::PllStillOn(n))?;
    }
    // RM0433 (PWR voltage scaling, SYSCFG_PWRCR): VOS0 is VOS1 plus ODEN;
    // it is left by clearing ODEN (SYSCFG's clock must be on to write it),
    // then waiting for VOSRDY.
    rcc.apb4enr().modify(|w| w.set_syscfgen(true));
    if pac::SYSCFG.pwrcr().read().oden() != 0 {
        pac::SYSCFG.pwrcr().modify(|w| w.set_oden(0));
        wait_until(
            || pac::PWR.d3cr().read().vosrdy(),
            WarmStartError::VoltageNotReady,
        )?;
    }
    Ok(())
}

/// Bring the chip up from a cold or a warm (bootloader) start: reset the
/// clock tree ([`leave_bootloader_clocks`]), then let embassy-stm32 set up
/// the tree above.
pub fn init() -> embassy_stm32::Peripherals {
    if let Err(e) = leave_bootloader_clocks() {
        // Recorded by the panic handler and reported in the next `hello`.
        panic!("{e}");
    }
    embassy_stm32::init(config())
}
