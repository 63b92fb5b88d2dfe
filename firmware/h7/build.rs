//! Makes this board's `memory.x` visible to the cortex-m-rt linker script
//! (`link.x`, added by `firmware/.cargo/config.toml`).
use std::{env, fs, io, path::PathBuf};

fn main() -> io::Result<()> {
    let dir =
        env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("cargo did not set OUT_DIR"))?;
    let dir = PathBuf::from(dir);
    fs::write(dir.join("memory.x"), include_bytes!("memory.x"))?;
    println!("cargo:rustc-link-search={}", dir.display());
    println!("cargo:rerun-if-changed=memory.x");
    Ok(())
}
