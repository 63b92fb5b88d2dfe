//! Flash progress: probe-rs' events as our own small enum, and an
//! `indicatif` view of them (one bar per operation).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
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
    const ALL: [Operation; 4] = [
        Operation::Fill,
        Operation::Erase,
        Operation::Program,
        Operation::Verify,
    ];

    fn index(self) -> usize {
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

/// One `indicatif` bar per operation, on stderr (hidden when not a terminal).
pub struct ProgressBars {
    multi: MultiProgress,
    bars: [Option<ProgressBar>; 4],
}

impl Default for ProgressBars {
    fn default() -> Self {
        Self::new(ProgressDrawTarget::stderr())
    }
}

impl std::fmt::Debug for ProgressBars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgressBars").finish_non_exhaustive()
    }
}

impl ProgressBars {
    /// Bars drawn to `target`.
    pub fn new(target: ProgressDrawTarget) -> Self {
        ProgressBars {
            multi: MultiProgress::with_draw_target(target),
            bars: Default::default(),
        }
    }

    /// Bars that track progress but draw nothing.
    pub fn hidden() -> Self {
        Self::new(ProgressDrawTarget::hidden())
    }

    /// The bar of `op`, once planned or started.
    pub fn bar(&self, op: Operation) -> Option<&ProgressBar> {
        self.bars[op.index()].as_ref()
    }

    fn style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{prefix:>10} [{bar:40}] {bytes:>9}/{total_bytes:9} {binary_bytes_per_sec:>11} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }

    fn get_or_add(&mut self, op: Operation, total: Option<u64>) -> &ProgressBar {
        let slot = &mut self.bars[op.index()];
        let multi = &self.multi;
        slot.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden())
                .with_style(Self::style())
                .with_prefix(op.label());
            multi.add(bar)
        })
    }
}

impl FlashObserver for ProgressBars {
    fn event(&mut self, ev: FlashEvent) {
        match ev {
            FlashEvent::Planned { op, total } => {
                let bar = self.get_or_add(op, total);
                if let Some(t) = total {
                    bar.set_length(t);
                }
            }
            FlashEvent::Started(op) => {
                self.get_or_add(op, None).reset_elapsed();
            }
            FlashEvent::Progress { op, bytes } => self.get_or_add(op, None).inc(bytes),
            FlashEvent::Finished(op) => self.get_or_add(op, None).finish_with_message("done"),
            FlashEvent::Failed(op) => self.get_or_add(op, None).abandon_with_message("FAILED"),
            FlashEvent::Message(m) => {
                // A hidden target refuses to print; nothing to do then.
                let _ = self.multi.println(m);
            }
        }
    }
}

impl Drop for ProgressBars {
    fn drop(&mut self) {
        for op in Operation::ALL {
            if let Some(bar) = &self.bars[op.index()] {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
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

    #[test]
    fn bars_track_each_operation() {
        let mut bars = ProgressBars::hidden();
        feed(&mut bars, &run());
        let erase = bars.bar(Operation::Erase).unwrap();
        assert_eq!((erase.position(), erase.length()), (131_072, Some(131_072)));
        assert!(erase.is_finished());
        assert_eq!(erase.message(), "done");
        let prog = bars.bar(Operation::Program).unwrap();
        assert_eq!(prog.position(), 40_000);
        let verify = bars.bar(Operation::Verify).unwrap();
        assert_eq!(verify.position(), 20_000);
        assert_eq!(verify.message(), "FAILED");
        assert!(bars.bar(Operation::Fill).is_none());
        bars.event(FlashEvent::Message("algorithm says hi".into()));
    }

    #[test]
    fn a_bar_is_created_even_without_a_plan() {
        let mut bars = ProgressBars::hidden();
        bars.event(FlashEvent::Progress {
            op: Operation::Fill,
            bytes: 10,
        });
        let fill = bars.bar(Operation::Fill).unwrap();
        assert_eq!((fill.position(), fill.length()), (10, None));
    }
}
