//! A scenario's steps on a board: each step run (a `record` with `for`
//! repeated), checked against its expectation, and everything captured.

use omv_proto::{Op, Outcome, RecordSummary, Value};

use crate::board::{Board, BoardError, Setup};
use crate::capture::{Capture, CapturedFile, StepRecord};
use crate::scenario::{Expect, Expected, Scenario};
use crate::summary;

/// Does `outcome` meet `expect`? `None` if so, else why not.
pub fn check_expectation(expect: &Expect, outcome: &Outcome) -> Option<String> {
    match (expect, outcome) {
        (Expect::Ok, Outcome::Ok(_)) => None,
        (Expect::Ok, Outcome::Err(e)) => Some(format!("expected success, got error {e}")),
        (Expect::Error(want), Outcome::Err(e)) if e.name == *want => None,
        (Expect::Error(want), Outcome::Err(e)) => {
            Some(format!("expected error {want}, got error {e}"))
        }
        (Expect::Error(want), Outcome::Ok(v)) => {
            Some(format!("expected error {want}, got success: {v:?}"))
        }
        (Expect::Value(_), Outcome::Err(e)) => Some(format!("expected a value, got error {e}")),
        (Expect::Value(want), Outcome::Ok(v)) => {
            let got = observed(v);
            if got.as_ref() == Some(want) {
                None
            } else {
                Some(format!(
                    "expected {want}, got {}",
                    got.map_or("ok (a step without a value)".to_owned(), |g| g.to_string())
                ))
            }
        }
    }
}

/// The value a scenario's `expect` is compared with.
fn observed(v: &Value) -> Option<Expected> {
    Some(match v {
        Value::Unit => return None,
        Value::None => Expected::None,
        Value::Bool(b) => Expected::Bool(*b),
        Value::Number(n) => Expected::Int(i64::try_from(*n).unwrap_or(i64::MAX)),
        Value::Stream(k) => Expected::Text(k.name().to_owned()),
        Value::Frame(f) => Expected::Int(i64::from(f.index)),
        Value::Record(r) => Expected::Int(i64::from(r.frames)),
        Value::Replay(r) => Expected::Int(i64::from(r.frames)),
        Value::Diff(d) => Expected::Int(i64::from(d.changed)),
    })
}

/// Paths the scenario writes: every file opened with `"w"`, first use first.
pub fn written_paths(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for st in &scenario.steps {
        if let Op::OpenFile { path, mode, .. } = &st.op {
            if mode.as_str() == "w" && !out.iter().any(|p| p == path.as_str()) {
                out.push(path.as_str().to_owned());
            }
        }
    }
    out
}

/// Run `scenario` on `board` and capture everything. A [`BoardError`]
/// aborts the run (the board's `end` is still called).
pub fn capture(
    board: &mut dyn Board,
    scenario: &Scenario,
    seed: u64,
) -> Result<Capture, BoardError> {
    let setup = Setup {
        scenario: scenario.name.clone(),
        seed,
        card: scenario.card.clone(),
    };
    board.begin(&setup)?;
    let result = capture_steps(board, scenario, seed);
    let ended = board.end();
    let capture = result?;
    ended?;
    Ok(capture)
}

fn capture_steps(
    board: &mut dyn Board,
    scenario: &Scenario,
    seed: u64,
) -> Result<Capture, BoardError> {
    let mut steps = Vec::with_capacity(scenario.steps.len() + 1);
    board.sensor_model(&scenario.sensor.model)?;
    if let Some(dir) = &scenario.sensor.source {
        board.footage(dir)?;
    }
    for u in &scenario.uploads {
        let data = std::fs::read(&u.from).map_err(|e| BoardError::Setup {
            board: board.name().to_owned(),
            message: format!("cannot read {} to upload it: {e}", u.from.display()),
        })?;
        board.upload(&u.to, &data)?;
    }
    let sensor = scenario.sensor.op(seed);
    let outcome = board.run(0, &sensor)?;
    let failure = check_expectation(&Expect::Ok, &outcome).map(|f| format!("sensor setup: {f}"));
    steps.push(StepRecord {
        number: 0,
        line: 0,
        op: sensor,
        for_us: None,
        expect: Expect::Ok,
        outcome,
        failure,
    });
    for (i, st) in scenario.steps.iter().enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let outcome = match st.for_us {
            Some(us) => repeat_for(board, number, &st.op, us)?,
            None => board.run(number, &st.op)?,
        };
        let failure = check_expectation(&st.expect, &outcome)
            .map(|f| format!("{}: {f}", summary::step_text(&st.op, st.for_us)));
        steps.push(StepRecord {
            number,
            line: st.line,
            op: st.op.clone(),
            for_us: st.for_us,
            expect: st.expect.clone(),
            outcome,
            failure,
        });
    }
    let events = board.take_events()?;
    let mut files = Vec::new();
    for path in written_paths(scenario) {
        let bytes = board.download(&path)?;
        files.push(CapturedFile {
            board_path: path,
            bytes,
        });
    }
    Ok(Capture {
        scenario: scenario.name.clone(),
        board: board.name().to_owned(),
        seed,
        steps,
        events,
        files,
    })
}

/// Run a one-frame `record` until `us` of board time have passed since
/// the first one began; the result sums them up. Stops at the first error
/// (the frames before it stay in the trace).
fn repeat_for(board: &mut dyn Board, number: u32, op: &Op, us: u64) -> Result<Outcome, BoardError> {
    let mut total: Option<RecordSummary> = None;
    loop {
        let outcome = board.run(number, op)?;
        let r = match outcome {
            Outcome::Ok(Value::Record(r)) => r,
            other => return Ok(other),
        };
        let t = total.get_or_insert(RecordSummary {
            frames: 0,
            first_index: r.first_index,
            dropped: 0,
            t_start_us: r.t_start_us,
            t_end_us: r.t_end_us,
        });
        t.frames = t.frames.saturating_add(r.frames);
        t.dropped = t.dropped.saturating_add(r.dropped);
        t.t_end_us = r.t_end_us;
        if r.frames == 0 || t.t_end_us.saturating_sub(t.t_start_us) >= us {
            return Ok(Outcome::Ok(Value::Record(*t)));
        }
    }
}
