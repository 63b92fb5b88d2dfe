//! A bounded trace: the newest `N` events, each with a global index.

use omv_proto::{Event, EventPage, MAX_EVENTS_PER_PAGE};

/// The newest `N` trace events. When full, the oldest is dropped and
/// counted in [`lost`](Self::lost); indexes keep counting from 0.
#[derive(Debug, Clone)]
pub struct EventLog<const N: usize> {
    events: heapless::Deque<Event, N>,
    total: u32,
}

impl<const N: usize> Default for EventLog<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> EventLog<N> {
    /// An empty log.
    pub const fn new() -> Self {
        EventLog {
            events: heapless::Deque::new(),
            total: 0,
        }
    }

    /// Record an event, dropping the oldest if full.
    pub fn push(&mut self, e: Event) {
        if self.events.is_full() {
            let _ = self.events.pop_front();
        }
        // Cannot fail: there is room now (N = 0 keeps nothing).
        let _ = self.events.push_back(e);
        self.total = self.total.saturating_add(1);
    }

    /// Events recorded since the last clear (kept or not).
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Events dropped because the log was full: the index of the oldest kept.
    pub fn lost(&self) -> u32 {
        self.total
            .saturating_sub(u32::try_from(self.events.len()).unwrap_or(u32::MAX))
    }

    /// The capacity `N`.
    pub fn capacity(&self) -> usize {
        N
    }

    /// Forget everything; indexes restart at 0.
    pub fn clear(&mut self) {
        self.events.clear();
        self.total = 0;
    }

    /// The kept events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// Up to [`MAX_EVENTS_PER_PAGE`] events from index `from` (or from the
    /// oldest kept, if `from` was dropped).
    pub fn page(&self, from: u32) -> EventPage {
        let lost = self.lost();
        let first = from.max(lost);
        let skip = (first - lost) as usize;
        let mut events = heapless::Vec::new();
        for e in self.events.iter().skip(skip).take(MAX_EVENTS_PER_PAGE) {
            let _ = events.push(*e);
        }
        EventPage {
            first: first.min(self.total),
            total: self.total,
            lost,
            events,
        }
    }
}
