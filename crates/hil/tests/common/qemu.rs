//! What the qemu-board test files share: the repository's root, its qemu
//! board file and the agent-qemu ELF built from it once per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use omv_hil::boards::firmware;
use omv_hil::boards::qemu::QemuConfig;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// `hil/boards/qemu.toml`.
pub fn config() -> QemuConfig {
    QemuConfig::load(&root().join("hil/boards/qemu.toml")).unwrap()
}

/// The firmware ELF, built once (cargo makes it a no-op when fresh).
pub fn elf() -> PathBuf {
    static ELF: OnceLock<PathBuf> = OnceLock::new();
    ELF.get_or_init(|| {
        firmware::build(&config().firmware_build(&root()))
            .unwrap_or_else(|e| panic!("the qemu firmware must build: {e}"))
    })
    .clone()
}
