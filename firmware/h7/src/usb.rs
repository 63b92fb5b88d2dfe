//! USB CDC-ACM serial on OTG_FS, bridged to a blocking byte link.
//!
//! The USB device and the CDC class run as embassy tasks on an
//! interrupt-mode executor (see `main.rs`), so they keep answering the host
//! while the agent's command loop blocks in thread mode. Two pipes join the
//! two worlds: bytes from the host go through [`RX`], bytes to the host
//! through [`TX`]. [`UsbSerial`] is the agent's end: embedded-io 0.7
//! `Read`/`Write`/`ReadReady` that spin on the pipes with bounded waits.
//!
//! Identity: VID:PID 1209:0001 (pid.codes test id, as `hil/boards/h7.toml`
//! expects), serial number = the chip's 96-bit unique id in hex, so the
//! harness can tell several boards on one host apart.

use embassy_executor::SendSpawner;
use embassy_futures::join::join;
use embassy_stm32::peripherals::{PA11, PA12, USB_OTG_FS};
use embassy_stm32::usb::Driver;
use embassy_stm32::{bind_interrupts, usb, Peri};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::pipe::Pipe;
use embassy_time::{Duration, Instant};
use embassy_usb::class::cdc_acm::{CdcAcmClass, Receiver, Sender, State};
use embassy_usb::driver::EndpointError;
use embassy_usb::Builder;
use static_cell::{ConstStaticCell, StaticCell};

bind_interrupts!(struct UsbIrqs {
    OTG_FS => usb::InterruptHandler<USB_OTG_FS>;
});

/// USB vendor id (pid.codes).
pub const VID: u16 = 0x1209;
/// USB product id (pid.codes test PID).
pub const PID: u16 = 0x0001;
/// Full-speed bulk packet size.
const PACKET: u16 = 64;
/// Host → agent buffer.
const RX_BYTES: usize = 4096;
/// Agent → host buffer.
const TX_BYTES: usize = 8192;

/// Bytes received from the host, not yet read by the agent.
static RX: Pipe<CriticalSectionRawMutex, RX_BYTES> = Pipe::new();
/// Bytes written by the agent, not yet sent to the host.
static TX: Pipe<CriticalSectionRawMutex, TX_BYTES> = Pipe::new();

type UsbDriver = Driver<'static, USB_OTG_FS>;

/// USB could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    /// A task could not be spawned (its pool is already in use).
    Spawn,
}

/// Spawn the USB task on `spawner` (an interrupt-mode executor).
pub fn start(
    spawner: SendSpawner,
    otg: Peri<'static, USB_OTG_FS>,
    dp: Peri<'static, PA12>,
    dm: Peri<'static, PA11>,
) -> Result<(), StartError> {
    spawner.spawn(run_usb(otg, dp, dm).map_err(|_| StartError::Spawn)?);
    Ok(())
}

/// Configure OTG_FS as a CDC-ACM device and run it for ever. Built inside
/// the task because the USB stack's types stay on the executor that runs
/// them.
#[embassy_executor::task]
async fn run_usb(otg: Peri<'static, USB_OTG_FS>, dp: Peri<'static, PA12>, dm: Peri<'static, PA11>) {
    static EP_OUT: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
    static CONFIG_DESC: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
    static BOS_DESC: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
    static CONTROL: ConstStaticCell<[u8; 64]> = ConstStaticCell::new([0; 64]);
    static STATE: StaticCell<State<'static>> = StaticCell::new();
    // The task is spawned once (pool size 1), so every cell is still free.
    let (Some(ep_out), Some(config_desc), Some(bos_desc), Some(control), Some(state)) = (
        EP_OUT.try_take(),
        CONFIG_DESC.try_take(),
        BOS_DESC.try_take(),
        CONTROL.try_take(),
        STATE.try_init(State::new()),
    ) else {
        return;
    };

    let mut otg_config = usb::Config::default();
    // PA9 carries VBUS on this board (MicroPython's OPENMV4 board config),
    // but the camera is bus-powered: whenever it runs, VBUS is there, so
    // sensing it would add nothing. Without sensing, a host that goes away
    // shows up as a suspended bus and `wait_connection` again.
    otg_config.vbus_detection = false;
    let driver = Driver::new_fs(otg, UsbIrqs, dp, dm, ep_out, otg_config);

    let mut config = embassy_usb::Config::new(VID, PID);
    config.manufacturer = Some("omv-imageio");
    config.product = Some("omv agent (OpenMV Cam H7)");
    config.serial_number = Some(embassy_stm32::uid::uid_hex());
    config.max_power = 100;
    config.max_packet_size_0 = 64;

    let mut builder = Builder::new(driver, config, config_desc, bos_desc, &mut [], control);
    let class = CdcAcmClass::new(&mut builder, state, PACKET);
    let mut device = builder.build();
    join(device.run(), run_serial(class)).await;
}

async fn run_serial(class: CdcAcmClass<'static, UsbDriver>) -> ! {
    let (mut tx, mut rx) = class.split();
    loop {
        rx.wait_connection().await;
        // Whatever was queued for a previous host session is stale.
        TX.clear();
        let _ = join(host_to_agent(&mut rx), agent_to_host(&mut tx)).await;
    }
}

/// Copy packets from the host into [`RX`] until the host goes away. A full
/// pipe stops reading, so USB NAKs and the host waits: nothing is lost.
async fn host_to_agent(rx: &mut Receiver<'static, UsbDriver>) -> EndpointError {
    let mut packet = [0u8; PACKET as usize];
    loop {
        match rx.read_packet(&mut packet).await {
            Ok(n) => {
                let mut rest = packet.get(..n).unwrap_or_default();
                while !rest.is_empty() {
                    let written = RX.write(rest).await;
                    rest = rest.get(written..).unwrap_or_default();
                }
            }
            Err(e) => return e,
        }
    }
}

/// Send [`TX`] to the host in packets; a zero-length packet ends a transfer
/// that filled its last packet, so the host sees the data at once.
async fn agent_to_host(tx: &mut Sender<'static, UsbDriver>) -> EndpointError {
    let mut packet = [0u8; PACKET as usize];
    loop {
        let n = TX.read(&mut packet).await;
        if let Err(e) = tx.write_packet(packet.get(..n).unwrap_or_default()).await {
            return e;
        }
        if n == usize::from(PACKET) && TX.is_empty() {
            if let Err(e) = tx.write_packet(&[]).await {
                return e;
            }
        }
    }
}

/// Bytes from the host are waiting to be read.
pub fn host_bytes_waiting() -> bool {
    !RX.is_empty()
}

/// [`UsbSerial`]'s errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbSerialError {
    /// The host did not take our bytes within [`UsbSerial::write_timeout`]
    /// (no host attached, or it stopped reading).
    WriteTimeout,
}

impl core::fmt::Display for UsbSerialError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            UsbSerialError::WriteTimeout => f.write_str("USB host is not reading"),
        }
    }
}

impl core::error::Error for UsbSerialError {}

impl embedded_io::Error for UsbSerialError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::TimedOut
    }
}

/// The agent's end of the USB serial link.
#[derive(Debug)]
pub struct UsbSerial {
    /// How long a write may wait for room in the transmit buffer.
    pub write_timeout: Duration,
}

impl Default for UsbSerial {
    fn default() -> Self {
        UsbSerial {
            write_timeout: Duration::from_secs(2),
        }
    }
}

impl embedded_io::ErrorType for UsbSerial {
    type Error = UsbSerialError;
}

impl embedded_io::Read for UsbSerial {
    /// Blocks until at least one byte arrived (the agent's command loop has
    /// nothing else to do; `ReadReady` lets it poll instead).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, UsbSerialError> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Ok(n) = RX.try_read(buf) {
                return Ok(n);
            }
            // Waiting for the host is not a hang.
            crate::fault::feed();
            core::hint::spin_loop();
        }
    }
}

impl embedded_io::ReadReady for UsbSerial {
    fn read_ready(&mut self) -> Result<bool, UsbSerialError> {
        Ok(!RX.is_empty())
    }
}

impl embedded_io::Write for UsbSerial {
    fn write(&mut self, buf: &[u8]) -> Result<usize, UsbSerialError> {
        if buf.is_empty() {
            return Ok(0);
        }
        let deadline = Instant::now().checked_add(self.write_timeout);
        loop {
            if let Ok(n) = TX.try_write(buf) {
                return Ok(n);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(UsbSerialError::WriteTimeout);
            }
            core::hint::spin_loop();
        }
    }

    /// Waits (bounded) until the USB task has taken every byte.
    fn flush(&mut self) -> Result<(), UsbSerialError> {
        let deadline = Instant::now().checked_add(self.write_timeout);
        while !TX.is_empty() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(UsbSerialError::WriteTimeout);
            }
            core::hint::spin_loop();
        }
        Ok(())
    }
}
