//! A bounded trace: the newest events, each with a global index.
//!
//! The events live either inline (`N` of them, inside the executor) or in
//! a slice the platform lends ([`EventLog::borrowed`]): a large trace
//! belongs in a `static` (firmware) or on the heap (host), not on a stack.

use omv_proto::{Event, EventKind, EventPage, MAX_EVENTS_PER_PAGE};

/// The newest events. When full, the oldest is dropped and counted in
/// [`lost`](Self::lost); indexes keep counting from 0.
#[derive(Debug)]
pub struct EventLog<'a, const N: usize> {
    inline: [Event; N],
    borrowed: Option<&'a mut [Event]>,
    /// Index in the storage of the oldest event.
    head: usize,
    len: usize,
    total: u32,
}

/// A placeholder event for filling storage. Every field is zero (the
/// first variant, zero payload), so a `static` array of them is
/// zero-initialised: it lands in `.bss`, not in flash-backed `.data`.
pub const EMPTY_EVENT: Event = Event {
    t_us: 0,
    step: 0,
    kind: EventKind::FrameWritten {
        index: 0,
        seq: 0,
        captured_us: 0,
        payload_len: 0,
        crc32: 0,
    },
};

impl<const N: usize> Default for EventLog<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, const N: usize> EventLog<'a, N> {
    /// An empty log keeping `N` events inline.
    pub const fn new() -> Self {
        EventLog {
            inline: [EMPTY_EVENT; N],
            borrowed: None,
            head: 0,
            len: 0,
            total: 0,
        }
    }

    /// An empty log keeping `storage.len()` events in `storage` (use with
    /// `N = 0`: the inline part is then empty).
    pub fn borrowed(storage: &'a mut [Event]) -> Self {
        EventLog {
            inline: [EMPTY_EVENT; N],
            borrowed: Some(storage),
            head: 0,
            len: 0,
            total: 0,
        }
    }

    fn buf(&self) -> &[Event] {
        match &self.borrowed {
            Some(b) => b,
            None => &self.inline,
        }
    }

    /// Record an event, dropping the oldest if full.
    pub fn push(&mut self, e: Event) {
        let (head, len) = (self.head, self.len);
        let buf: &mut [Event] = match &mut self.borrowed {
            Some(b) => b,
            None => &mut self.inline,
        };
        let cap = buf.len();
        if cap > 0 {
            if len < cap {
                buf[(head + len) % cap] = e;
                self.len += 1;
            } else {
                buf[head] = e;
                self.head = (head + 1) % cap;
            }
        }
        self.total = self.total.saturating_add(1);
    }

    /// Events kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events recorded since the last clear (kept or not).
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Events dropped because the log was full: the index of the oldest kept.
    pub fn lost(&self) -> u32 {
        self.total
            .saturating_sub(u32::try_from(self.len).unwrap_or(u32::MAX))
    }

    /// How many events the log keeps.
    pub fn capacity(&self) -> usize {
        self.buf().len()
    }

    /// Forget everything; indexes restart at 0.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.total = 0;
    }

    /// The kept events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        let buf = self.buf();
        let cap = buf.len();
        let end = self.head + self.len;
        let (a, b): (&[Event], &[Event]) = if end <= cap {
            (&buf[self.head..end], &[])
        } else {
            (&buf[self.head..], &buf[..end - cap])
        };
        a.iter().chain(b.iter())
    }

    /// Up to [`MAX_EVENTS_PER_PAGE`] events from index `from` (or from the
    /// oldest kept, if `from` was dropped).
    pub fn page(&self, from: u32) -> EventPage {
        let lost = self.lost();
        let first = from.max(lost);
        let skip = (first - lost) as usize;
        let mut events = heapless::Vec::new();
        for e in self.iter().skip(skip).take(MAX_EVENTS_PER_PAGE) {
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
