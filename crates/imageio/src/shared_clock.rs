//! [`SharedClock`]: a [`ManualClock`] whose clones share one time, for tests
//! and host tools that hand one clone to an executor and keep another to
//! read or move time (feature `test-util`).

use std::cell::RefCell;
use std::rc::Rc;

use crate::time::{Cancelled, Clock, ManualClock, Wait};

/// A manual clock whose clones share one time: waiting on one clone moves
/// every clone's time to the deadline, and nothing ever sleeps.
#[derive(Debug, Clone, Default)]
pub struct SharedClock(Rc<RefCell<ManualClock>>);

impl SharedClock {
    /// A shared clock at `now_us`.
    pub fn new(now_us: u64) -> Self {
        SharedClock(Rc::new(RefCell::new(ManualClock::new(now_us))))
    }

    /// The current time in microseconds.
    pub fn now(&self) -> u64 {
        self.0.borrow_mut().now_us()
    }

    /// Move every clone's time forward by `us`.
    pub fn advance_us(&self, us: u64) {
        self.0.borrow_mut().advance_us(us);
    }
}

impl Clock for SharedClock {
    fn now_us(&mut self) -> u64 {
        self.now()
    }
}

impl Wait for SharedClock {
    fn wait_until(&mut self, deadline_us: u64) -> Result<(), Cancelled> {
        self.0.borrow_mut().wait_until(deadline_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_time() {
        let a = SharedClock::new(10);
        let mut b = a.clone();
        a.advance_us(5);
        assert_eq!(b.now_us(), 15);
        b.wait_until(40).unwrap();
        assert_eq!(a.now(), 40);
        // A deadline in the past does not move time back.
        b.wait_until(20).unwrap();
        assert_eq!(a.now(), 40);
    }
}
