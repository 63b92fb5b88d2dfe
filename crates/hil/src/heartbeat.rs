//! Progress lines for runs without a terminal (CI logs): which scenario and
//! step is running and for how long, at least every [`EVERY`], so a long
//! step never looks like a hang (issue 10 item 8).
//!
//! The caller passes the time in, so tests move it by hand.

use std::time::{Duration, Instant};

/// The longest a run without a terminal stays silent.
pub const EVERY: Duration = Duration::from_secs(10);

/// What is running now, and when the last line was printed.
#[derive(Debug, Default)]
pub struct Heartbeat {
    scenario: Option<(String, Instant)>,
    step: Option<(u32, String, Instant)>,
    last_line: Option<Instant>,
}

impl Heartbeat {
    /// `scenario` starts at `now`.
    pub fn start(&mut self, scenario: &str, now: Instant) {
        self.scenario = Some((scenario.to_owned(), now));
        self.step = None;
        self.last_line = Some(now);
    }

    /// Step `number` (`text` as in the summary) starts at `now`.
    pub fn step(&mut self, number: u32, text: String, now: Instant) {
        self.step = Some((number, text, now));
    }

    /// The scenario is over: nothing more to report until the next start.
    pub fn done(&mut self) {
        self.scenario = None;
        self.step = None;
    }

    /// A line if [`EVERY`] has passed since the scenario started or the
    /// last line: `hil: <scenario> step <n> (<step>) running for <s> s,
    /// scenario <s> s`.
    pub fn poll(&mut self, now: Instant) -> Option<String> {
        let (name, started) = self.scenario.as_ref()?;
        let last = self.last_line.unwrap_or(*started);
        if now.saturating_duration_since(last) < EVERY {
            return None;
        }
        self.last_line = Some(now);
        let total = now.saturating_duration_since(*started).as_secs();
        Some(match &self.step {
            Some((n, text, at)) => format!(
                "hil: {name} step {n} ({text}) running for {} s, scenario {total} s",
                now.saturating_duration_since(*at).as_secs()
            ),
            None => format!("hil: {name} setting up, scenario {total} s"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_at_least_every_ten_seconds_naming_scenario_step_and_elapsed() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut hb = Heartbeat::default();
        assert_eq!(hb.poll(at(100)), None, "nothing running");
        hb.start("huge-replay", t0);
        assert_eq!(hb.poll(at(9)), None);
        assert_eq!(
            hb.poll(at(10)).as_deref(),
            Some("hil: huge-replay setting up, scenario 10 s")
        );
        hb.step(2, "replay 4000000000 frames".into(), at(12));
        assert_eq!(hb.poll(at(19)), None, "9 s since the last line");
        assert_eq!(
            hb.poll(at(21)).as_deref(),
            Some(
                "hil: huge-replay step 2 (replay 4000000000 frames) running for 9 s, scenario 21 s"
            )
        );
        assert_eq!(hb.poll(at(30)), None);
        assert!(hb.poll(at(31)).is_some());
        hb.done();
        assert_eq!(hb.poll(at(100)), None, "silent between scenarios");
    }
}
