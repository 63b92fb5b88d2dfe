//! Flash progress: probe-rs' events as our own small enum, told to a
//! [`FlashObserver`] (the CLI draws them as progress bars).

use probe_rs::flashing::{ProgressEvent, ProgressOperation};

/// A phase of flashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Reading back sector contents that must be preserved.
    Fill,
    /// Erasing sectors.
    Erase,
    /// Writing pages.
    Program,
    /// Reading back and comparing.
    Verify,
}

impl Operation {
    /// Every operation, in [`Operation::index`] order.
    pub const ALL: [Operation; 4] = [
        Operation::Fill,
        Operation::Erase,
        Operation::Program,
        Operation::Verify,
    ];

    /// Its position in [`Operation::ALL`] (for a table per operation).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its label on the progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Operation::Fill => "Reading",
            Operation::Erase => "Erasing",
            Operation::Program => "Writing",
            Operation::Verify => "Verifying",
        }
    }
}

impl From<ProgressOperation> for Operation {
    fn from(op: ProgressOperation) -> Self {
        match op {
            ProgressOperation::Fill => Operation::Fill,
            ProgressOperation::Erase => Operation::Erase,
            ProgressOperation::Program => Operation::Program,
            ProgressOperation::Verify => Operation::Verify,
        }
    }
}

/// What happened while flashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashEvent {
    /// An operation will run, over `total` bytes when known.
    Planned {
        /// The operation.
        op: Operation,
        /// Its size in bytes.
        total: Option<u64>,
    },
    /// An operation started.
    Started(Operation),
    /// `bytes` more were processed.
    Progress {
        /// The operation.
        op: Operation,
        /// Bytes done in this step.
        bytes: u64,
    },
    /// An operation completed.
    Finished(Operation),
    /// An operation failed.
    Failed(Operation),
    /// A message from the flash algorithm, or a step outside probe-rs'
    /// download (attach, checks, reset).
    Message(String),
}

impl FlashEvent {
    /// The event for a probe-rs event (`None` for the layout announcement).
    pub fn from_probe_rs(ev: &ProgressEvent) -> Option<Self> {
        Some(match ev {
            ProgressEvent::FlashLayoutReady { .. } => return None,
            ProgressEvent::AddProgressBar { operation, total } => FlashEvent::Planned {
                op: (*operation).into(),
                total: *total,
            },
            ProgressEvent::Started(op) => FlashEvent::Started((*op).into()),
            ProgressEvent::Progress {
                operation, size, ..
            } => FlashEvent::Progress {
                op: (*operation).into(),
                bytes: *size,
            },
            ProgressEvent::Failed(op) => FlashEvent::Failed((*op).into()),
            ProgressEvent::Finished(op) => FlashEvent::Finished((*op).into()),
            ProgressEvent::DiagnosticMessage { message } => FlashEvent::Message(message.clone()),
        })
    }
}

/// Receives flash events.
pub trait FlashObserver {
    /// One event.
    fn event(&mut self, ev: FlashEvent);
}

/// Records events (for tests and logs).
impl FlashObserver for Vec<FlashEvent> {
    fn event(&mut self, ev: FlashEvent) {
        self.push(ev);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::time::Duration;

    fn feed(o: &mut dyn FlashObserver, events: &[ProgressEvent]) {
        for e in events {
            if let Some(ev) = FlashEvent::from_probe_rs(e) {
                o.event(ev);
            }
        }
    }

    fn run() -> Vec<ProgressEvent> {
        use ProgressOperation::*;
        let p = |operation, size| ProgressEvent::Progress {
            operation,
            size,
            time: Duration::ZERO,
        };
        vec![
            ProgressEvent::FlashLayoutReady {
                flash_layout: vec![],
            },
            ProgressEvent::AddProgressBar {
                operation: Erase,
                total: Some(131_072),
            },
            ProgressEvent::AddProgressBar {
                operation: Program,
                total: Some(40_000),
            },
            ProgressEvent::AddProgressBar {
                operation: Verify,
                total: Some(40_000),
            },
            ProgressEvent::Started(Erase),
            p(Erase, 131_072),
            ProgressEvent::Finished(Erase),
            ProgressEvent::Started(Program),
            p(Program, 32_768),
            p(Program, 7_232),
            ProgressEvent::Finished(Program),
            ProgressEvent::Started(Verify),
            p(Verify, 20_000),
            ProgressEvent::Failed(Verify),
        ]
    }

    #[test]
    fn probe_rs_events_map_one_to_one_except_the_layout() {
        let mut log: Vec<FlashEvent> = vec![];
        feed(&mut log, &run());
        assert_eq!(log.len(), run().len() - 1);
        assert_eq!(
            log[0],
            FlashEvent::Planned {
                op: Operation::Erase,
                total: Some(131_072)
            }
        );
        assert_eq!(
            log[8],
            FlashEvent::Progress {
                op: Operation::Program,
                bytes: 7_232
            }
        );
        assert_eq!(log.last(), Some(&FlashEvent::Failed(Operation::Verify)));
        let msg = ProgressEvent::DiagnosticMessage {
            message: "hi".into(),
        };
        assert_eq!(
            FlashEvent::from_probe_rs(&msg),
            Some(FlashEvent::Message("hi".into()))
        );
    }
}
