#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use crate::elf::test_elf;

fn section() -> DfuSection {
    DfuSection {
        vid: 0x37c5,
        pid: 0x9204,
        alt: "FIRMWARE".into(),
        start: 0x0804_0000,
        end: 0x081E_0000,
        wait_for_device_s: 0,
        transfer_timeout_s: 5,
    }
}

fn parsed(segments: &[(u32, &[u8])]) -> (Vec<u8>, ElfImage) {
    let bytes = test_elf(0x0804_0299, segments);
    let image = ElfImage::parse(&bytes, Path::new("agent")).unwrap();
    (bytes, image)
}

#[test]
fn the_binary_starts_at_the_partition_with_gaps_erased() {
    let (bytes, image) = parsed(&[(0x0804_0000, &[1, 2, 3, 4]), (0x0804_0010, &[9; 4])]);
    let bin = binary(&bytes, &image, &section()).unwrap();
    let mut expect = vec![1, 2, 3, 4];
    expect.extend([0xFF; 12]);
    expect.extend([9; 4]);
    assert_eq!(bin, expect);
    // An image starting above the partition start is padded in front,
    // because the bootloader writes block 0 at the partition start.
    let (bytes, image) = parsed(&[(0x0804_0008, &[7; 2])]);
    let bin = binary(&bytes, &image, &section()).unwrap();
    assert_eq!(bin, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 7, 7]);
}

#[test]
fn an_image_outside_the_partition_is_refused() {
    let (bytes, image) = parsed(&[(0x0800_0000, &[0; 16])]);
    let err = binary(&bytes, &image, &section()).unwrap_err();
    assert_eq!(
        err,
        DfuError::BelowPartition {
            lowest: 0x0800_0000,
            alt: "FIRMWARE".into(),
            start: 0x0804_0000,
        }
    );
    assert!(err.to_string().contains("FIRMWARE at 0x08040000"), "{err}");
    let (bytes, image) = parsed(&[(0x081D_FFF0, &[0; 32])]);
    assert_eq!(
        binary(&bytes, &image, &section()),
        Err(DfuError::PastPartition {
            image_end: 0x081E_0010,
            alt: "FIRMWARE".into(),
            end: 0x081E_0000,
        })
    );
}

#[test]
fn dfu_util_is_asked_for_the_firmware_partition_of_the_openmv_bootloader() {
    let mut s = section();
    let bin = Path::new("/tmp/agent-h7.bin");
    assert_eq!(
        arguments(&s, bin),
        [
            "-d",
            "37c5:9204",
            "-a",
            "FIRMWARE",
            "-D",
            "/tmp/agent-h7.bin",
            "-R"
        ]
    );
    // We wait for the device ourselves (not dfu-util -w): same command.
    let without_wait = arguments(&s, bin);
    s.wait_for_device_s = 30;
    assert_eq!(arguments(&s, bin), without_wait);
    assert_eq!(
        binary_path(Path::new("t/agent-h7")),
        Path::new("t/agent-h7.bin")
    );
}

#[test]
fn the_real_dfu_util_without_a_camera_gives_the_how_to_enter_message() {
    // pid.codes test id 1209:0002: never attached to this machine.
    let mut s = section();
    s.vid = 0x1209;
    s.pid = 0x0002;
    // dfu-util gives up at once; the deadline only stops a hang (5 s could
    // pass before a loaded host has run it, and read as a timeout).
    s.transfer_timeout_s = 60;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("a.bin");
    std::fs::write(&bin, [0u8; 64]).unwrap();
    let err = run("dfu-util", &arguments(&s, &bin), &s, &mut Seen(true)).unwrap_err();
    assert_eq!(
        err,
        DfuError::NoDevice {
            device: "1209:0002".into(),
            waited_s: 0
        },
        "is dfu-util installed? (sudo apt-get install dfu-util)"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("no camera in bootloader mode (USB 1209:0002)")
            && msg.contains("plug the camera in"),
        "{msg}"
    );
}

/// A bus where the bootloader is (or is not) attached.
struct Seen(bool);
impl UsbPresence for Seen {
    fn present(&mut self, _: u16, _: u16) -> bool {
        self.0
    }
}

#[test]
fn waiting_for_a_camera_that_never_comes_stops_at_the_deadline_without_running_dfu_util() {
    let mut s = section();
    s.wait_for_device_s = 1;
    // The program does not exist: running it would be NotInstalled.
    let err = run("dfu-util-not-installed-here", &[], &s, &mut Seen(false)).unwrap_err();
    assert_eq!(
        err,
        DfuError::NoDevice {
            device: "37c5:9204".into(),
            waited_s: 1
        }
    );
    assert!(err.to_string().contains("found within 1 s"), "{err}");
    // The host's own bus has no OpenMV bootloader attached either.
    assert!(!SystemUsb.present(0x1209, 0x0002));
}

#[test]
fn a_transfer_that_does_not_finish_is_stopped_at_its_deadline() {
    let mut s = section();
    s.transfer_timeout_s = 1;
    let err = run("sleep", &["30".into()], &s, &mut Seen(true)).unwrap_err();
    assert!(
        matches!(err, DfuError::Timeout { seconds: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn a_missing_dfu_util_says_how_to_install_it() {
    let err = run(
        "dfu-util-not-installed-here",
        &[],
        &section(),
        &mut Seen(true),
    )
    .unwrap_err();
    assert!(matches!(err, DfuError::NotInstalled { .. }), "{err:?}");
    assert!(
        err.to_string().contains("apt-get install dfu-util"),
        "{err}"
    );
}

#[test]
fn dfu_util_output_is_classified() {
    let s = section();
    let ok = classify(
        Some((true, "exit status: 0".into())),
        "Download done.".into(),
        &s,
        5,
    );
    assert_eq!(ok.unwrap(), "Download done.");
    let denied = classify(
        Some((false, "exit status: 74".into())),
        "Cannot open DFU device 37c5:9204 found on devnum 7 (LIBUSB_ERROR_ACCESS)".into(),
        &s,
        5,
    );
    assert!(
        matches!(denied, Err(DfuError::Permission { .. })),
        "{denied:?}"
    );
    let stuck = classify(
        None,
        "Opening DFU capable USB device...\nDownload\t[=====    ]".into(),
        &s,
        5,
    );
    assert!(
        matches!(stuck, Err(DfuError::Timeout { seconds: 5, .. })),
        "{stuck:?}"
    );
    let failed = classify(
        Some((false, "exit status: 74".into())),
        "Opening DFU capable USB device...\nError during download".into(),
        &s,
        5,
    );
    assert!(matches!(failed, Err(DfuError::Failed { .. })), "{failed:?}");
}
