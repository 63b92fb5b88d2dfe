//! Card timing profiles: the `no_std` model of `omv-sdtiming`, shared with
//! the qemu agent's RAM disk. The figures, their meaning and their sources
//! are documented there ([`omv_sdtiming::profile`]).

pub use omv_sdtiming::profile::{
    CardProfile, Stall, NAMED, SD_FAT_WRITE_MAX_US, SD_WRITE_TIMEOUT_US,
};
pub use omv_sdtiming::CardModel;
