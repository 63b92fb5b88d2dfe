//! The progress of a `cargo xtask hil` run: an indicatif bar on a
//! terminal, heartbeat lines in CI logs (an implementation of
//! [`omv_hil::runner::Progress`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use omv_hil::heartbeat::Heartbeat;
use omv_hil::runner::{Progress, ScenarioResult};
use omv_hil::Scenario;

use crate::out::say;

/// A progress bar with one printed line per finished scenario. Without a
/// terminal (the bar is hidden) a thread prints a [`Heartbeat`] line at
/// least every 10 s instead.
#[derive(Default)]
pub struct Bar {
    bar: Option<ProgressBar>,
    beat: Option<Arc<Mutex<Heartbeat>>>,
}

impl Bar {
    fn beat(&self, f: impl FnOnce(&mut Heartbeat)) {
        if let Some(Ok(mut b)) = self.beat.as_ref().map(|b| b.lock()) {
            f(&mut b);
        }
    }
}

impl Progress for Bar {
    fn begin(&mut self, total: usize) {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        self.beat = bar.is_hidden().then(|| {
            let beat = Arc::new(Mutex::new(Heartbeat::default()));
            let shared = Arc::clone(&beat);
            // Ends with the process; polls once a second.
            std::thread::spawn(move || loop {
                std::thread::sleep(Duration::from_secs(1));
                let line = match shared.lock() {
                    Ok(mut b) => b.poll(Instant::now()),
                    Err(_) => return,
                };
                if let Some(line) = line {
                    say!("{line}");
                }
            });
            beat
        });
        self.bar = Some(bar);
    }

    fn start(&mut self, scenario: &Scenario) {
        if let Some(bar) = &self.bar {
            bar.set_message(scenario.name.clone());
        }
        self.beat(|b| b.start(&scenario.name, Instant::now()));
    }

    fn step(&mut self, number: u32, text: &str) {
        self.beat(|b| b.step(number, text.to_owned(), Instant::now()));
    }

    fn done(&mut self, result: &ScenarioResult) {
        self.beat(Heartbeat::done);
        match &self.bar {
            Some(bar) if !bar.is_hidden() => bar.println(result.line()),
            _ => say!("{}", result.line()),
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
