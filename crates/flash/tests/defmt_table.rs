//! The built agent-h7 ELF carries a defmt table that `defmt-decoder`
//! loads, with the log lines the firmware emits (firmware/h7/src/run.rs).
//! Ignored in the plain host test run (the firmware is built later);
//! `cargo xtask test` runs it with `--ignored` right after building
//! agent-h7, and it fails if that ELF is missing.

use std::path::PathBuf;

use hil_flash::DefmtTable;

fn agent_h7() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/target/thumbv7em-none-eabihf/release/agent-h7")
}

#[test]
#[ignore = "needs the built agent-h7 ELF; cargo xtask test runs it after the firmware build"]
fn the_agent_h7_elf_has_a_defmt_table_with_its_log_lines() {
    let path = agent_h7();
    let defmt = DefmtTable::load(&path).unwrap_or_else(|e| panic!("{e}"));
    // defmt-rtt's control block: a static in the AXI SRAM (RAM in
    // firmware/h7/memory.x), not in the DTCM stack region that holds the
    // OpenMV bootloader's word at 0x2001_FFFC.
    assert!(
        (0x2400_0000..0x2408_0000).contains(&defmt.control_block),
        "_SEGGER_RTT at {:#x}",
        defmt.control_block
    );
    // A hand-built frame: the line's 16-bit table index (little endian),
    // no timestamp (the firmware defines none) and no arguments.
    let wanted = "serving the host";
    let found: Vec<usize> = defmt
        .table
        .indices()
        .filter(|&i| {
            let frame = u16::try_from(i).unwrap().to_le_bytes();
            defmt.decode_raw(&frame).ok().as_deref() == Some(&[wanted.to_owned()][..])
        })
        .collect();
    assert_eq!(found.len(), 1, "{wanted:?} in the table once: {found:?}");
    // An index the table does not have is an error, not a line.
    let unknown = u16::MAX.to_le_bytes();
    assert!(defmt.decode_raw(&unknown).is_err());
}
