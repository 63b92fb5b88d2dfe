//! Arbitrary sequences of steps never panic the executor, whatever their
//! order or arguments, and it stays usable afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use omv_proto::{
    bounded, Content, Fault, Op, Outcome, PixFormat, Query, ReadArgs, SensorSettings, Value,
};
use proptest::prelude::*;

fn pixformat() -> impl Strategy<Value = PixFormat> {
    (0usize..12).prop_map(|i| omv_imageio::PixFormat::ALL[i])
}

fn read_args() -> impl Strategy<Value = ReadArgs> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(c, l, p)| ReadArgs {
        copy_to_fb: c,
        loop_: l,
        pause: p,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let path = prop::sample::select(vec![
        "/sdcard/stream.bin",
        "/sdcard/b.bin",
        "/sdcard/dir/c.bin",
        "",
        "/sdcard/",
        "/sdcard/../x",
        "/sdcard/toolongname_abcdefgh.binary",
    ]);
    let mode = prop::sample::select(vec!["r", "w", "W", "a", "", "rw"]);
    prop_oneof![
        (
            prop::option::of(0u16..64),
            prop::option::of(0u16..64),
            prop::option::of(pixformat()),
            prop::option::of(0u16..120),
            prop::option::of(0usize..4),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(w, h, p, f, c, s)| Op::Sensor(SensorSettings {
                width: w,
                height: h,
                pixformat: p,
                fps: f,
                content: c.map(|i| Content::ALL[i]),
                seed: s,
            })),
        (
            path,
            mode,
            prop::option::of(prop::sample::select(vec![20u8, 21, 99]))
        )
            .prop_map(|(p, m, v)| Op::OpenFile {
                path: bounded(p),
                mode: bounded(m),
                write_version: v,
            }),
        (0u32..80, 0u32..80, pixformat(), 0u32..6).prop_map(|(w, h, p, c)| Op::OpenMemory {
            width: w,
            height: h,
            pixformat: p,
            count: c,
        }),
        Just(Op::Write),
        (0u32..5).prop_map(|n| Op::Record { frames: n }),
        read_args().prop_map(Op::Read),
        (prop::option::of(0u32..8), read_args())
            .prop_map(|(frames, args)| Op::Replay { frames, args }),
        (0u32..10).prop_map(|o| Op::Seek { offset: o }),
        Just(Op::Sync),
        Just(Op::Close),
        (0usize..7).prop_map(|i| Op::Query(Query::ALL[i])),
        Just(Op::Snapshot),
        (read_args(), any::<u8>()).prop_map(|(args, threshold)| Op::Diff { args, threshold }),
        (0u64..200_000).prop_map(|us| Op::Sleep { us }),
        Just(Op::Fault(Fault::PowerCut)),
        prop::option::of(0u32..400).prop_map(|b| Op::Fault(Fault::WriteLimit { blocks: b })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_steps_is_handled(ops in prop::collection::vec(op(), 1..40)) {
        let mut rig = Rig::small();
        let mut ex = rig.exec();
        for (i, op) in ops.iter().enumerate() {
            let _ = ex.run(i as u32, op);
            // Whatever happened, the executor still answers.
            let closed = ex.run(i as u32, &Op::Query(Query::IsClosed));
            prop_assert!(matches!(closed, Outcome::Ok(Value::Bool(_))));
        }
        ex.reset();
        let _ = ex.run(0, &Op::Fault(Fault::WriteLimit { blocks: None }));
        // After a reset a fresh recording works.
        let steps = [
            sensor(16, 16, PixFormat::Grayscale, 0),
            open_file("/sdcard/after.bin", "w"),
            Op::Record { frames: 2 },
            Op::Close,
        ];
        for (i, op) in steps.iter().enumerate() {
            let out = ex.run(i as u32, op);
            prop_assert!(out.is_ok(), "after reset, {:?} gave {:?}", op, out);
        }
    }
}
