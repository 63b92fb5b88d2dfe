//! Makes this board's `memory.x` visible to the cortex-m-rt linker script
//! (`link.x`, added by `firmware/.cargo/config.toml`) and links defmt's
//! table (`defmt.x`) into agent-h7 only.
use std::{env, fs, io, path::PathBuf};

fn main() -> io::Result<()> {
    let dir =
        env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("cargo did not set OUT_DIR"))?;
    let dir = PathBuf::from(dir);
    fs::write(dir.join("memory.x"), include_bytes!("memory.x"))?;
    println!("cargo:rustc-link-search={}", dir.display());
    println!("cargo:rerun-if-changed=memory.x");
    // defmt's table of format strings (its linker script comes from the
    // defmt crate's own build script); only this board links it.
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    Ok(())
}
