//! Protocol decoder: arbitrary bytes through the streaming frame decoder as
//! requests and as responses, and each body through `frame::decode`. A
//! message that decodes must encode again and decode to itself.

use omv_proto::{frame, FrameDecoder, Request, Response, MAX_FRAME_LEN};
use serde::{de::DeserializeOwned, Serialize};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + core::fmt::Debug>(msg: &T) {
    let mut buf = [0u8; MAX_FRAME_LEN];
    let encoded = frame::encode(msg, &mut buf).expect("a decoded message encodes");
    let mut dec = <FrameDecoder>::new();
    let (_, back) = dec.push_slice::<T>(encoded);
    let back = back.expect("one frame").expect("decodes");
    assert_eq!(&back, msg);
}

/// The target body.
pub fn run(data: &[u8]) {
    let mut req = <FrameDecoder>::new();
    let mut resp = <FrameDecoder>::new();
    for &b in data {
        if let Some(Ok(r)) = req.push::<Request>(b) {
            round_trip(&r);
        }
        if let Some(r) = resp.push::<Response>(b) {
            match r {
                Ok(r) => round_trip(&r),
                Err(e) => {
                    let _ = format!("{e:?}");
                }
            }
        }
    }
    // One frame body decoded directly (without the delimiter).
    let mut body = data.to_vec();
    let _ = frame::decode::<Request>(&mut body.clone());
    let _ = frame::decode::<Response>(&mut body);
}
