//! The bounded stable run of every fuzz target (CI, `cargo xtask test`):
//! each seed as it is, then a fixed number of cases from a fixed proptest
//! seed — seeds mutated (bytes overwritten, inserted, cut) and raw bytes —
//! so a run is the same everywhere and a failure reproduces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use omv_fuzzcheck::{seeds, TARGETS};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// A seed with some bytes overwritten, some inserted and maybe a cut.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len().max(1);
    (
        0..n,
        prop::collection::vec(
            (any::<prop::sample::Index>(), any::<u8>(), any::<bool>()),
            0..12,
        ),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_map(move |(i, edits, cut)| {
            let mut v = seeds.get(i).cloned().unwrap_or_default();
            for (at, byte, insert) in edits {
                if v.is_empty() || insert {
                    let at = at.index(v.len() + 1);
                    v.insert(at, byte);
                } else {
                    let at = at.index(v.len());
                    v[at] = byte;
                }
            }
            if let Some(c) = cut {
                v.truncate(c.index(v.len() + 1));
            }
            v
        })
}

fn bounded(name: &str, cases: u32) {
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).expect("target");
    let seeds = seeds::of(name);
    assert!(!seeds.is_empty(), "{name}: no seeds");
    for s in &seeds {
        target(s);
    }
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0a11_5eed),
        failure_persistence: None,
        ..Config::default()
    };
    let input = prop_oneof![
        3 => mutated(seeds),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ];
    TestRunner::new(config)
        .run(&input, |data| {
            target(&data);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn reader_never_panics_and_errors_leave_the_stream_in_place() {
    bounded("reader", 3000);
}

#[test]
fn writer_reads_back_as_the_model() {
    bounded("writer", 2000);
}

#[test]
fn proto_decodes_or_rejects_and_round_trips() {
    bounded("proto", 3000);
}

#[test]
fn serve_answers_arbitrary_bytes_with_well_formed_frames() {
    bounded("serve", 300);
}

#[test]
fn scenario_parses_or_names_the_error() {
    bounded("scenario", 1000);
}
