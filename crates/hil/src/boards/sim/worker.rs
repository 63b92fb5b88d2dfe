//! The `sim` board's worker thread: one scenario at a time on a fresh
//! [`imageio_sim::SimBoard`], the agent's executor answering the board's
//! requests.

use std::sync::mpsc::{Receiver, Sender};

use imageio_sim::{BoardConfig, CardProfile, SimBoard, SimCard, SimClock, SimSensor};
use omv_agent::{Buffers, Executor, FatCard};
use omv_fatstore::{OpenMode, StoreError};
use omv_proto::{Event, Outcome};

use super::{Answer, Reply, Request, EVENTS, FRAME_BYTES, MEMORY_BYTES, PROFILES};
use crate::board::Setup;

/// The worker: one scenario at a time, from `Begin` to `End`.
pub(super) fn serve(rx: &Receiver<Request>, tx: &Sender<Answer>) {
    while let Ok(req) = rx.recv() {
        let answer = match req {
            Request::Hello => hello().map(Reply::Hello),
            Request::Begin(setup) => {
                scenario(&setup, rx, tx);
                continue;
            }
            Request::End => Ok(Reply::Ended),
            _ => Err("no scenario has begun on the sim board".to_owned()),
        };
        if tx.send(answer).is_err() {
            return;
        }
    }
}

/// The simulated board of a scenario: `[card]`'s profile and capacity, the
/// scenario's seed for the card's timing, the default sensor (the setup
/// step configures it), and the card mounted by the agent.
fn sim_board(setup: &Setup) -> Result<(SimBoard, FatCard<SimCard>), String> {
    let profile = CardProfile::by_name(&setup.card.profile).ok_or_else(|| {
        format!(
            "unknown card profile {:?} in scenario {}; the sim board has {PROFILES}",
            setup.card.profile, setup.scenario
        )
    })?;
    let card_bytes = setup
        .card
        .capacity_kib
        .checked_mul(1024)
        .ok_or_else(|| "card capacity overflows".to_owned())?;
    let board = SimBoard::unmounted(BoardConfig {
        card: profile,
        card_bytes,
        card_seed: setup.seed,
        ..BoardConfig::default()
    })
    .map_err(|e| format!("cannot format a {card_bytes}-byte simulated card: {e}"))?;
    let card = FatCard::mount(board.card().clone())
        .map_err(|e| format!("cannot mount the simulated card: {e:?}"))?;
    Ok((board, card))
}

/// The agent's executor on `board` (its clock and sensor) and `card`,
/// with the card's timing following the scenario's `[card] profile` (the
/// simulated card is formatted with that profile, so the executor's
/// handshake says `card-profile`).
fn executor<'a>(
    board: &'a mut SimBoard,
    card: &'a FatCard<SimCard>,
    buffers: Buffers<'a>,
) -> Executor<'a, SimCard, SimClock, &'a mut SimSensor, EVENTS> {
    let clock = board.clock().clone();
    let mut ex = Executor::new(clock, board.sensor_mut(), Some(card), buffers);
    ex.enable_card_timing(|profile, _seed| CardProfile::by_name(profile).is_some());
    ex
}

/// The capabilities an executor made as for a scenario announces (on a
/// small card: the size does not change them).
pub(super) fn hello() -> Result<omv_proto::Capabilities, String> {
    let setup = Setup {
        scenario: "hello".into(),
        seed: 0,
        card: crate::scenario::Card {
            capacity_kib: 16 * 1024,
            ..Default::default()
        },
    };
    let (mut board, card) = sim_board(&setup)?;
    let (mut frame, mut aux, mut memory) = (vec![0u8; 1], vec![0u8; 1], vec![0u8; MEMORY_BYTES]);
    let buffers = Buffers {
        frame: &mut frame,
        aux: &mut aux,
        memory: &mut memory,
    };
    let capabilities = executor(&mut board, &card, buffers).capabilities();
    Ok(capabilities)
}

/// Set up a fresh simulated board and executor, then answer requests
/// until `End`.
fn scenario(setup: &Setup, rx: &Receiver<Request>, tx: &Sender<Answer>) {
    let (mut board, card) = match sim_board(setup) {
        Ok(b) => b,
        Err(e) => {
            let _ = tx.send(Err(e));
            return;
        }
    };
    let clock = board.clock().clone();
    let mut frame = vec![0u8; FRAME_BYTES];
    let mut aux = vec![0u8; FRAME_BYTES];
    let mut memory = vec![0u8; MEMORY_BYTES];
    let buffers = Buffers {
        frame: &mut frame,
        aux: &mut aux,
        memory: &mut memory,
    };
    let mut ex = executor(&mut board, &card, buffers);
    if tx.send(Ok(Reply::Started(clock))).is_err() {
        return;
    }
    while let Ok(req) = rx.recv() {
        let answer = match req {
            Request::Begin(_) => Err("begin while a scenario is running on the sim board".into()),
            Request::Hello => Ok(Reply::Hello(ex.capabilities())),
            Request::Run(step, op) => Ok(Reply::Outcome(ex.run(step, &op))),
            Request::Model(m) => {
                // Checked against the frame rate at the setup step next.
                ex.sensor_mut().set_model(m);
                Ok(Reply::Begun)
            }
            Request::Footage(f) => {
                ex.sensor_mut().set_footage(Some(f));
                Ok(Reply::Begun)
            }
            Request::Upload(path, data) => Ok(Reply::Outcome(match ex.upload(&path, 0, &data) {
                Ok(()) => Outcome::Ok(omv_proto::Value::Unit),
                Err(e) => Outcome::Err(e),
            })),
            Request::Events => {
                let lost = ex.events().lost();
                let events: Vec<Event> = ex.events().iter().copied().collect();
                ex.clear_events();
                if lost > 0 {
                    Err(format!(
                        "the trace overflowed: {lost} events lost (the sim board keeps {EVENTS})"
                    ))
                } else {
                    Ok(Reply::Events(events))
                }
            }
            Request::Download(path) => {
                // Drop the stream (a file still open is closed) so the file
                // can be read; the trace was taken before.
                ex.reset();
                download(&card, &path).map(Reply::File)
            }
            Request::End => {
                let _ = tx.send(Ok(Reply::Ended));
                return;
            }
        };
        if tx.send(answer).is_err() {
            return;
        }
    }
}

/// The whole file at `path`, `None` if it does not exist.
fn download(card: &FatCard<SimCard>, path: &str) -> Result<Option<Vec<u8>>, String> {
    use omv_agent::CardOpenError;
    let mut file = match card.open(path, OpenMode::Read) {
        Ok(f) => f,
        Err(CardOpenError::Store(StoreError::Fs(embedded_sdmmc::Error::NotFound))) => {
            return Ok(None)
        }
        Err(e) => return Err(format!("cannot open {path} for download: {e}")),
    };
    let len = file
        .len()
        .map_err(|e| format!("cannot stat {path}: {e:?}"))?;
    let mut out = vec![0u8; len as usize];
    let mut done = 0usize;
    while done < out.len() {
        let at = u32::try_from(done).map_err(|_| format!("{path} is too large"))?;
        let n = file
            .read_at(at, &mut out[done..])
            .map_err(|e| format!("cannot read {path} at byte {done}: {e:?}"))?;
        if n == 0 {
            out.truncate(done);
            break;
        }
        done += n;
    }
    Ok(Some(out))
}
