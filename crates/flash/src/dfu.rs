//! Flashing without a probe: `dfu-util` through the OpenMV bootloader.
//!
//! Facts from the openmv/openmv repository (`boards/OPENMV4/boot_config.h`,
//! `boot/src/common/{main,dfu,desc}.c`, bootloader 1.0.x): the bootloader
//! enumerates as USB 37c5:9204 ("OpenMV Camera (DFU Mode)") with one DFU
//! 1.1 interface (not ST's DfuSe) whose alt settings are its partitions,
//! "BOOTLOADER" (read-only), "FILESYSTEM", "FIRMWARE" = 0x0804_0000 to
//! 0x081E_0000 and "ROMFS0". A download to an alt setting is written from
//! the partition's start, block by block, erasing each sector as the first
//! block reaches it; it refuses to write past the partition's end. So the
//! file we send is the image as a flat binary starting exactly at the
//! partition start (gaps filled with 0xFF, the erased value).
//!
//! The bootloader listens for 1.5 s after it has enumerated
//! (`OMV_BOOT_DFU_TIMEOUT`), then jumps to the firmware; a DFU request keeps
//! it. So the user starts the command and then plugs the camera in: we poll
//! the USB bus (nusb, every 100 ms) for the bootloader's id until
//! `wait_for_device_s`, then start `dfu-util` at once, bounded by
//! `transfer_timeout_s` (the child is killed at the deadline). Polling
//! ourselves rather than `dfu-util -w` tells "no camera" from "stuck
//! transfer" without relying on dfu-util's buffered stdout.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::elf::ElfImage;

/// `[dfu]` of the board file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DfuSection {
    /// The bootloader's USB vendor id.
    pub vid: u16,
    /// The bootloader's USB product id.
    pub pid: u16,
    /// The DFU alt setting (name) of the firmware partition.
    pub alt: String,
    /// The partition's first address.
    pub start: u64,
    /// One past its last address.
    pub end: u64,
    /// How long to wait for a camera in bootloader mode (0 = do not wait).
    pub wait_for_device_s: u64,
    /// How long the transfer may take once the camera is found.
    pub transfer_timeout_s: u64,
}

impl DfuSection {
    /// `VID:PID` as dfu-util takes it.
    pub fn device(&self) -> String {
        format!("{:04x}:{:04x}", self.vid, self.pid)
    }
}

/// The DFU path failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DfuError {
    /// The board file has no `[dfu]` section.
    #[error("board `{board}` has no [dfu] section: it cannot be flashed without a probe")]
    NotSupported {
        /// Board name.
        board: String,
    },
    /// The image starts below the partition (DFU writes from its start).
    #[error("the image loads at {lowest:#010x}, below the DFU partition {alt} at {start:#010x}: the OpenMV bootloader writes only from {start:#010x} (link the agent there, firmware/h7/memory.x)")]
    BelowPartition {
        /// Lowest load address.
        lowest: u64,
        /// Partition name.
        alt: String,
        /// Partition start.
        start: u64,
    },
    /// The image ends past the partition.
    #[error("the image ends at {image_end:#010x}, past the DFU partition {alt} (ends {end:#010x}): too big for OpenMV's firmware slot")]
    PastPartition {
        /// One past the image's last byte.
        image_end: u64,
        /// Partition name.
        alt: String,
        /// Partition end.
        end: u64,
    },
    /// The ELF's bytes could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// dfu-util is not installed.
    #[error("cannot run `{program}`: {reason}. Install it: sudo apt-get install dfu-util")]
    NotInstalled {
        /// The program.
        program: String,
        /// Why.
        reason: String,
    },
    /// No camera in bootloader mode.
    #[error("no camera in bootloader mode (USB {device}) was found{}. To enter it: unplug the camera, run this command again, then plug the camera in; the OpenMV bootloader listens for 1.5 s after it enumerates (its LED blinks), then starts the firmware. A bootloader older than OpenMV's DFU bootloader does not show up as {device}: update it once with OpenMV IDE", waited_text(*.waited_s))]
    NoDevice {
        /// `VID:PID`.
        device: String,
        /// How long we waited.
        waited_s: u64,
    },
    /// The device is there but we may not open it.
    #[error("USB {device} is there but cannot be opened (permission): install OpenMV IDE's udev rules or add a rule for {device}, then replug\n{output}")]
    Permission {
        /// `VID:PID`.
        device: String,
        /// dfu-util's output.
        output: String,
    },
    /// The transfer did not finish in time.
    #[error("dfu-util did not finish within {seconds} s and was stopped; power-cycle the camera and retry\n{output}")]
    Timeout {
        /// The deadline.
        seconds: u64,
        /// dfu-util's output.
        output: String,
    },
    /// dfu-util failed.
    #[error("dfu-util failed ({status})\n{output}")]
    Failed {
        /// Exit status.
        status: String,
        /// dfu-util's output.
        output: String,
    },
}

fn waited_text(s: u64) -> String {
    if s == 0 {
        String::new()
    } else {
        format!(" within {s} s")
    }
}

/// The flat binary for the partition starting at `start`, from the ELF
/// bytes: every loadable segment at `address - start`, gaps 0xFF.
pub fn binary(bytes: &[u8], image: &ElfImage, dfu: &DfuSection) -> Result<Vec<u8>, DfuError> {
    let lowest = image.lowest_address();
    if lowest < dfu.start {
        return Err(DfuError::BelowPartition {
            lowest,
            alt: dfu.alt.clone(),
            start: dfu.start,
        });
    }
    let image_end = image.end_address();
    if image_end > dfu.end {
        return Err(DfuError::PastPartition {
            image_end,
            alt: dfu.alt.clone(),
            end: dfu.end,
        });
    }
    let len = usize::try_from(image_end - dfu.start).unwrap_or(usize::MAX);
    let mut out = vec![0xFF; len];
    for seg in &image.segments {
        let src = usize::try_from(seg.offset)
            .ok()
            .zip(usize::try_from(seg.offset + seg.size).ok())
            .and_then(|(a, b)| bytes.get(a..b))
            .ok_or_else(|| DfuError::Io {
                path: image.path.clone(),
                reason: format!("segment at {:#010x} is not in the file", seg.address),
            })?;
        let at = (seg.address - dfu.start) as usize;
        out[at..at + src.len()].copy_from_slice(src);
    }
    Ok(out)
}

/// Where the binary for `elf` is written: beside it, `.bin` added.
pub fn binary_path(elf: &Path) -> PathBuf {
    let mut name = elf.file_name().unwrap_or_default().to_owned();
    name.push(".bin");
    elf.with_file_name(name)
}

/// Is a USB device with this id attached?
pub trait UsbPresence {
    /// `true` when `vid:pid` is on the bus now.
    fn present(&mut self, vid: u16, pid: u16) -> bool;
}

/// The host's USB bus, listed through nusb (sysfs on Linux: no device
/// permissions needed).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemUsb;

impl UsbPresence for SystemUsb {
    fn present(&mut self, vid: u16, pid: u16) -> bool {
        use nusb::MaybeFuture;
        nusb::list_devices()
            .wait()
            .map(|mut list| list.any(|d| d.vendor_id() == vid && d.product_id() == pid))
            .unwrap_or(false)
    }
}

/// Poll `usb` for the bootloader until `dfu.wait_for_device_s`.
pub fn wait_for_device(dfu: &DfuSection, usb: &mut dyn UsbPresence) -> Result<(), DfuError> {
    let deadline = Instant::now() + Duration::from_secs(dfu.wait_for_device_s);
    loop {
        if usb.present(dfu.vid, dfu.pid) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(DfuError::NoDevice {
                device: dfu.device(),
                waited_s: dfu.wait_for_device_s,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// dfu-util's arguments: the device, the partition by name, the file, and
/// a USB reset afterwards (the bootloader leaves DFU when the bus resets,
/// and jumps to the firmware).
pub fn arguments(dfu: &DfuSection, bin: &Path) -> Vec<String> {
    let mut args = Vec::new();
    args.extend([
        "-d".to_owned(),
        dfu.device(),
        "-a".to_owned(),
        dfu.alt.clone(),
        "-D".to_owned(),
        bin.display().to_string(),
        "-R".to_owned(),
    ]);
    args
}

/// Wait for the bootloader ([`wait_for_device`], skipped when
/// `wait_for_device_s` is 0), then run `program` (dfu-util) with `args`,
/// bounded by `transfer_timeout_s`, and turn what it says into our error.
pub fn run(
    program: &str,
    args: &[String],
    dfu: &DfuSection,
    usb: &mut dyn UsbPresence,
) -> Result<String, DfuError> {
    if dfu.wait_for_device_s > 0 {
        wait_for_device(dfu, usb)?;
    }
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DfuError::NotInstalled {
            program: program.to_owned(),
            reason: e.to_string(),
        })?;
    let output = Arc::new(Mutex::new(String::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        let out = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if let Ok(mut o) = out.lock() {
                    o.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        })
    })
    .collect();
    let seconds = dfu.transfer_timeout_s;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    for r in readers {
        let _ = r.join();
    }
    let output = output.lock().map(|o| o.clone()).unwrap_or_default();
    classify(
        status.map(|s| (s.success(), s.to_string())),
        output,
        dfu,
        seconds,
    )
}

/// What dfu-util's exit (`None` = stopped at the deadline) and output mean.
pub fn classify(
    exit: Option<(bool, String)>,
    output: String,
    dfu: &DfuSection,
    seconds: u64,
) -> Result<String, DfuError> {
    let device = dfu.device();
    match exit {
        Some((true, _)) => Ok(output),
        _ if output.contains("LIBUSB_ERROR_ACCESS") => Err(DfuError::Permission { device, output }),
        Some(_) if output.contains("No DFU capable USB device available") => {
            Err(DfuError::NoDevice {
                device,
                waited_s: 0,
            })
        }
        None => Err(DfuError::Timeout { seconds, output }),
        Some((false, status)) => Err(DfuError::Failed { status, output }),
    }
}

#[cfg(test)]
#[path = "dfu_tests.rs"]
mod tests;
