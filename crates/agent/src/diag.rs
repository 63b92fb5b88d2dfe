//! [`Diag`]: what the agent tells the host about itself besides steps —
//! why it last restarted (a [`ResetReport`] its firmware recorded before
//! the reset) and a small ring of log lines, fetched with `Logs` requests:
//! the log channel that needs no debug probe.

use core::fmt;

use heapless::Deque;
use omv_proto::types::Truncating;
use omv_proto::{CrashKind, LogLine, LogPage, ResetReport, MAX_LOG_LINES_PER_PAGE};

/// Log lines kept by default (the oldest are dropped first).
pub const DEFAULT_LOG_LINES: usize = 32;

/// A board's hook that crashes on purpose (firmware test builds).
pub type CrashHook = fn(CrashKind);

/// The agent's reset report and log ring (`N` lines).
#[derive(Debug)]
pub struct Diag<const N: usize = DEFAULT_LOG_LINES> {
    reset: Option<ResetReport>,
    lines: Deque<LogLine, N>,
    total: u32,
    crash: Option<CrashHook>,
}

impl<const N: usize> Default for Diag<N> {
    fn default() -> Self {
        Diag::new(None)
    }
}

impl<const N: usize> Diag<N> {
    /// An empty log and the report the firmware found at boot (reported
    /// in the next `hello`, then forgotten).
    pub const fn new(reset: Option<ResetReport>) -> Self {
        Diag {
            reset,
            lines: Deque::new(),
            total: 0,
            crash: None,
        }
    }

    /// Obey `CrashTest` requests with `hook` (firmware test builds only;
    /// without a hook they are answered `Unsupported`).
    pub fn set_crash_hook(&mut self, hook: CrashHook) {
        self.crash = Some(hook);
    }

    /// The crash hook, if any.
    pub fn crash_hook(&self) -> Option<CrashHook> {
        self.crash
    }

    /// The report not yet given to the host.
    pub fn pending_reset(&self) -> Option<&ResetReport> {
        self.reset.as_ref()
    }

    /// Take the report (for a `hello` answer): the next hello has none.
    pub fn take_reset(&mut self) -> Option<ResetReport> {
        self.reset.take()
    }

    /// Log a line at board time `t_us`, cut at `MAX_LOG_LINE` bytes; the
    /// oldest line is dropped when the ring is full.
    pub fn log(&mut self, t_us: u64, args: fmt::Arguments<'_>) {
        let mut text = Truncating::default();
        let _ = fmt::write(&mut text, args);
        if self.lines.is_full() {
            self.lines.pop_front();
        }
        // Cannot fail: a slot was freed above (a ring of 0 lines keeps nothing).
        let _ = self.lines.push_back(LogLine { t_us, text: text.0 });
        self.total = self.total.wrapping_add(1);
    }

    /// Lines logged so far (kept or not).
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Up to `MAX_LOG_LINES_PER_PAGE` lines from index `from`; asking for
    /// lines already dropped gives from the oldest kept.
    pub fn page(&self, from: u32) -> LogPage {
        let kept = u32::try_from(self.lines.len()).unwrap_or(u32::MAX);
        let oldest = self.total.saturating_sub(kept);
        let first = from.max(oldest).min(self.total);
        let skip = usize::try_from(first - oldest).unwrap_or(usize::MAX);
        let mut page = LogPage {
            first,
            total: self.total,
            lines: heapless::Vec::new(),
        };
        for line in self.lines.iter().skip(skip).take(MAX_LOG_LINES_PER_PAGE) {
            // Cannot fail: `take` bounds the count to the page's capacity.
            let _ = page.lines.push(line.clone());
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_lines_and_pages_from_the_oldest_kept() {
        let mut d = Diag::<4>::new(None);
        for i in 0..6 {
            d.log(i, format_args!("line {i}"));
        }
        assert_eq!(d.total(), 6);
        let p = d.page(0);
        assert_eq!((p.first, p.total), (2, 6));
        let texts: heapless::Vec<&str, 4> = p.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts.as_slice(), ["line 2", "line 3", "line 4", "line 5"]);
        assert_eq!(d.page(5).lines.len(), 1);
        assert_eq!(d.page(6).lines.len(), 0);
        assert_eq!(d.page(99).first, 6);
    }

    #[test]
    fn long_lines_are_cut_and_the_report_is_taken_once() {
        let mut d = Diag::<2>::new(Some(ResetReport::Watchdog { pc: None }));
        d.log(0, format_args!("{:x<200}", ""));
        assert_eq!(d.page(0).lines[0].text.len(), omv_proto::MAX_LOG_LINE);
        assert!(d.take_reset().is_some());
        assert!(d.take_reset().is_none());
    }
}
