//! `VID:PID[:SERIAL]`: how a user names one USB device (a debug probe or the
//! agent's serial port).
//!
//! The syntax is the one `probe-rs` users already know (`--probe 0483:374f`),
//! without its rarely used `-INTERFACE` part. VID and PID are hexadecimal
//! (an optional `0x` prefix is accepted); everything after the second colon is
//! the serial number, so serials that contain colons work.

use std::fmt;
use std::str::FromStr;

/// One USB device, by vendor id, product id and optionally serial number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsbSelector {
    /// USB vendor id.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// USB serial number; `None` matches any device with this VID:PID.
    pub serial: Option<String>,
}

/// Which part of a `VID:PID[:SERIAL]` selector is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The text has no `:` between VID and PID.
    #[error("`{input}` is not VID:PID[:SERIAL] (hexadecimal ids, e.g. `0483:374f` or `0483:374f:0671FF3833554B3043164817`)")]
    Format {
        /// The text given.
        input: String,
    },
    /// VID or PID is not a 16-bit hexadecimal number.
    #[error("`{input}`: the {field} `{value}` is not a 16-bit hexadecimal number (e.g. `0483`)")]
    Id {
        /// The text given.
        input: String,
        /// `"vendor id"` or `"product id"`.
        field: &'static str,
        /// The part that failed to parse.
        value: String,
    },
    /// The serial part is present but empty (`VID:PID:`).
    #[error("`{input}`: the serial number after the second `:` is empty; drop the trailing `:` to match any serial")]
    EmptySerial {
        /// The text given.
        input: String,
    },
}

impl UsbSelector {
    /// A selector for any device with this VID:PID.
    pub const fn new(vid: u16, pid: u16) -> Self {
        UsbSelector {
            vid,
            pid,
            serial: None,
        }
    }

    /// Whether a device with these ids matches. Serial numbers compare
    /// exactly (USB serials are case-sensitive strings).
    pub fn matches(&self, vid: u16, pid: u16, serial: Option<&str>) -> bool {
        self.vid == vid
            && self.pid == pid
            && match &self.serial {
                None => true,
                Some(want) => serial == Some(want.as_str()),
            }
    }

    /// The equivalent `probe-rs` selector.
    pub fn to_probe_rs(&self) -> probe_rs::probe::DebugProbeSelector {
        probe_rs::probe::DebugProbeSelector {
            vendor_id: self.vid,
            product_id: self.pid,
            interface: None,
            serial_number: self.serial.clone(),
        }
    }
}

fn parse_id(input: &str, field: &'static str, value: &str) -> Result<u16, SelectorError> {
    let digits = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .unwrap_or(value);
    let bad = || SelectorError::Id {
        input: input.to_owned(),
        field,
        value: value.to_owned(),
    };
    if digits.is_empty() || digits.len() > 4 {
        return Err(bad());
    }
    u16::from_str_radix(digits, 16).map_err(|_| bad())
}

impl FromStr for UsbSelector {
    type Err = SelectorError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        let mut parts = trimmed.splitn(3, ':');
        let (Some(vid), Some(pid)) = (parts.next(), parts.next()) else {
            return Err(SelectorError::Format {
                input: input.to_owned(),
            });
        };
        let vid = parse_id(input, "vendor id", vid)?;
        let pid = parse_id(input, "product id", pid)?;
        let serial = match parts.next() {
            None => None,
            Some("") => {
                return Err(SelectorError::EmptySerial {
                    input: input.to_owned(),
                })
            }
            Some(s) => Some(s.to_owned()),
        };
        Ok(UsbSelector { vid, pid, serial })
    }
}

impl fmt::Display for UsbSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)?;
        if let Some(serial) = &self.serial {
            write!(f, ":{serial}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("0483:374f", 0x0483, 0x374f, None)]
    #[case("0x0483:0X374F", 0x0483, 0x374f, None)]
    #[case(" 1366:1015:000683123456 ", 0x1366, 0x1015, Some("000683123456"))]
    #[case("303a:1001:DC:DA:0C:D3", 0x303a, 0x1001, Some("DC:DA:0C:D3"))]
    #[case("1:2", 1, 2, None)]
    fn parses(
        #[case] text: &str,
        #[case] vid: u16,
        #[case] pid: u16,
        #[case] serial: Option<&str>,
    ) {
        let sel: UsbSelector = text.parse().unwrap();
        assert_eq!(sel.vid, vid);
        assert_eq!(sel.pid, pid);
        assert_eq!(sel.serial.as_deref(), serial);
    }

    #[rstest]
    #[case("0483", "not VID:PID")]
    #[case("", "not VID:PID")]
    #[case("0483-374f", "not VID:PID")]
    #[case("zz83:374f", "vendor id `zz83`")]
    #[case("0483:", "product id ``")]
    #[case("0483:12345", "product id `12345`")]
    #[case("0483:374f:", "serial number after the second `:` is empty")]
    fn rejects_with_the_part_that_is_wrong(#[case] text: &str, #[case] needle: &str) {
        let err = text.parse::<UsbSelector>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        assert!(
            msg.contains(&format!("`{text}`")),
            "{msg:?} lacks the input"
        );
    }

    #[test]
    fn display_round_trips() {
        for text in ["0483:374f", "1366:1015:ABC:def"] {
            let sel: UsbSelector = text.parse().unwrap();
            assert_eq!(sel.to_string(), text);
            assert_eq!(sel.to_string().parse::<UsbSelector>().unwrap(), sel);
        }
    }

    #[test]
    fn matching_respects_serial_only_when_given() {
        let any: UsbSelector = "0483:374f".parse().unwrap();
        let one: UsbSelector = "0483:374f:A1".parse().unwrap();
        assert!(any.matches(0x0483, 0x374f, None));
        assert!(any.matches(0x0483, 0x374f, Some("B2")));
        assert!(!any.matches(0x0483, 0x3748, None));
        assert!(one.matches(0x0483, 0x374f, Some("A1")));
        assert!(!one.matches(0x0483, 0x374f, Some("a1")));
        assert!(!one.matches(0x0483, 0x374f, None));
    }

    #[test]
    fn converts_to_the_probe_rs_selector_that_matches_the_same_probe() {
        let sel: UsbSelector = "0483:374f:A1".parse().unwrap();
        let p = sel.to_probe_rs();
        assert_eq!(
            (p.vendor_id, p.product_id, p.serial_number.as_deref()),
            (0x0483, 0x374f, Some("A1"))
        );
        assert_eq!(p.interface, None);
    }
}
