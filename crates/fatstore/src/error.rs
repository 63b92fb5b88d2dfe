//! Errors: a file system error carried through `embedded-io`, and what
//! mounting or opening can fail with.

use core::fmt;

/// An `embedded-sdmmc` error as an `embedded-io` error, with a more useful
/// [`kind`](embedded_io::Error::kind) than the crate's own: a full card is
/// `OutOfMemory` (as `std` maps `StorageFull`), a device error `Other`.
#[derive(Debug)]
pub struct FsError<E: core::error::Error>(pub embedded_sdmmc::Error<E>);

impl<E: core::error::Error> From<embedded_sdmmc::Error<E>> for FsError<E> {
    fn from(e: embedded_sdmmc::Error<E>) -> Self {
        FsError(e)
    }
}

impl<E: core::error::Error + 'static> embedded_io::Error for FsError<E> {
    fn kind(&self) -> embedded_io::ErrorKind {
        fs_kind(&self.0)
    }
}

/// The `embedded-io` kind of a file system error: `embedded-sdmmc`'s own
/// mapping, except that a full card is `OutOfMemory`.
pub(crate) fn fs_kind<E: core::error::Error + 'static>(
    e: &embedded_sdmmc::Error<E>,
) -> embedded_io::ErrorKind {
    use embedded_sdmmc::Error as S;
    match e {
        S::DiskFull | S::NotEnoughSpace => embedded_io::ErrorKind::OutOfMemory,
        other => embedded_io::Error::kind(other),
    }
}

impl<E: core::error::Error> fmt::Display for FsError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl<E: core::error::Error> core::error::Error for FsError<E> {}

/// Why mounting, opening or a whole-file operation failed.
#[derive(Debug)]
pub enum StoreError<E: core::error::Error> {
    /// The file system (or the device under it) failed.
    Fs(embedded_sdmmc::Error<E>),
    /// The path cannot name a file here.
    BadPath {
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl<E: core::error::Error> From<embedded_sdmmc::Error<E>> for StoreError<E> {
    fn from(e: embedded_sdmmc::Error<E>) -> Self {
        StoreError::Fs(e)
    }
}

impl<E: core::error::Error> From<crate::path::PathError> for StoreError<E> {
    fn from(e: crate::path::PathError) -> Self {
        StoreError::BadPath { reason: e.reason }
    }
}

impl<E: core::error::Error> From<FsError<E>> for StoreError<E> {
    fn from(e: FsError<E>) -> Self {
        StoreError::Fs(e.0)
    }
}

impl<E: core::error::Error + 'static> StoreError<E> {
    /// The `embedded-io` kind of this error (`InvalidInput` for a bad path).
    pub fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            StoreError::Fs(e) => fs_kind(e),
            StoreError::BadPath { .. } => embedded_io::ErrorKind::InvalidInput,
        }
    }
}

impl<E: core::error::Error> fmt::Display for StoreError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Fs(e) => write!(f, "file system: {e}"),
            StoreError::BadPath { reason } => write!(f, "bad path: {reason}"),
        }
    }
}

impl<E: core::error::Error> core::error::Error for StoreError<E> {}
