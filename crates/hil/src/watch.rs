//! The board the runner hands a scenario: the real one, with every step
//! announced to the run's [`Progress`] first (progress lines name the step
//! that is running), and the scenario's overall timeout enforced: the board
//! is told the deadline (to cancel a step still running then) and no step
//! starts after it.

use std::time::{Duration, Instant};

use omv_proto::{Event, Op, Outcome};

use crate::board::{Board, BoardError, Setup, SnapshotPolicy};
use crate::capture::Capture;
use crate::runner::Progress;
use crate::scenario::Scenario;
use crate::timing::TimingReport;

/// `board`, telling `progress` about each step before running it.
pub(crate) struct Watched<'a> {
    pub(crate) board: &'a mut dyn Board,
    pub(crate) progress: &'a mut dyn Progress,
    /// When the scenario must be over, and its timeout.
    pub(crate) deadline: Option<(Instant, Duration)>,
}

impl Board for Watched<'_> {
    fn name(&self) -> &str {
        self.board.name()
    }
    fn snapshot_policy(&self) -> SnapshotPolicy {
        self.board.snapshot_policy()
    }
    fn capabilities(&self) -> crate::board::CapabilitySet {
        self.board.capabilities()
    }
    fn limits(&self) -> Option<crate::limits::Limits> {
        self.board.limits()
    }
    fn begin(&mut self, setup: &Setup) -> Result<(), BoardError> {
        self.board.set_deadline(self.deadline.map(|(at, _)| at));
        self.board.begin(setup)
    }
    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.board.set_deadline(deadline);
    }
    fn sensor_model(&mut self, model: &omv_agent::SensorModel) -> Result<(), BoardError> {
        self.board.sensor_model(model)
    }
    fn footage(&mut self, dir: &std::path::Path) -> Result<(), BoardError> {
        self.board.footage(dir)
    }
    fn upload(&mut self, path: &str, data: &[u8]) -> Result<(), BoardError> {
        self.board.upload(path, data)
    }
    fn run(&mut self, step: u32, op: &Op) -> Result<Outcome, BoardError> {
        if let Some((at, timeout)) = self.deadline {
            if Instant::now() >= at {
                return Err(BoardError::Timeout {
                    board: self.board.name().to_owned(),
                    what: format!("the scenario before step {step} (its overall timeout_s)"),
                    timeout,
                });
            }
        }
        self.progress
            .step(step, &crate::summary::step_text(op, None));
        self.board.run(step, op)
    }
    fn take_events(&mut self) -> Result<Vec<Event>, BoardError> {
        self.board.take_events()
    }
    fn download(&mut self, path: &str) -> Result<Option<Vec<u8>>, BoardError> {
        self.board.download(path)
    }
    fn check(&self, scenario: &Scenario, capture: &Capture) -> Vec<String> {
        self.board.check(scenario, capture)
    }
    fn timing(&self, scenario: &Scenario, capture: &Capture) -> Option<TimingReport> {
        self.board.timing(scenario, capture)
    }
    fn take_log(&mut self) -> Vec<String> {
        self.board.take_log()
    }
    fn end(&mut self) -> Result<(), BoardError> {
        let ended = self.board.end();
        self.board.set_deadline(None);
        ended
    }
}
