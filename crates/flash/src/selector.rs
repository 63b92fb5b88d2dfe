//! `VID:PID[:SERIAL]`: how a user names one USB device (a debug probe or
//! the agent's serial port) is probe-rs' own [`DebugProbeSelector`], the
//! syntax probe-rs users already know (`--probe 0483:374f`). Probes are
//! matched by probe-rs itself; this module matches serial ports with the
//! same rule.

pub use probe_rs::probe::DebugProbeSelector;

/// A selector for the USB device with this VID:PID and, when given, this
/// serial number (any USB interface).
pub const fn device(vid: u16, pid: u16, serial: Option<String>) -> DebugProbeSelector {
    DebugProbeSelector {
        vendor_id: vid,
        product_id: pid,
        interface: None,
        serial_number: serial,
    }
}

/// A selector for any device with this VID:PID.
pub const fn usb(vid: u16, pid: u16) -> DebugProbeSelector {
    device(vid, pid, None)
}

/// Whether a USB device with these ids matches `sel`. Serial numbers
/// compare exactly (USB serials are case-sensitive strings); a selector
/// without one matches any serial.
pub fn matches(sel: &DebugProbeSelector, vid: u16, pid: u16, serial: Option<&str>) -> bool {
    sel.vendor_id == vid
        && sel.product_id == pid
        && match &sel.serial_number {
            None => true,
            Some(want) => serial == Some(want.as_str()),
        }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn matching_respects_serial_only_when_given() {
        let any = usb(0x0483, 0x374f);
        assert!(matches(&any, 0x0483, 0x374f, Some("X")));
        assert!(matches(&any, 0x0483, 0x374f, None));
        assert!(!matches(&any, 0x0483, 0x374b, None));
        let one: DebugProbeSelector = "0483:374f:X".parse().unwrap();
        assert!(matches(&one, 0x0483, 0x374f, Some("X")));
        assert!(!matches(&one, 0x0483, 0x374f, Some("x")));
        assert!(!matches(&one, 0x0483, 0x374f, None));
        assert_eq!(one.to_string(), "0483:374f:X");
    }
}
