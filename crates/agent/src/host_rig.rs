//! [`HostRig`] (feature `test-util`, std hosts): the agent's platform on the
//! heap, for tests, fuzz targets and examples that run the real executor in
//! process: a freshly formatted in-memory FAT card and the three buffers.

extern crate std;

use std::vec;
use std::vec::Vec;

use omv_fatstore::format::{format_card, MemCard};
use omv_imageio::Wait;

use crate::card::{FatCard, FatCardError};
use crate::executor::{Buffers, Executor, DEFAULT_EVENTS};
use crate::sensor::PatternSensor;

/// What an executor borrows: a card and its frame, differencing and
/// memory-stream buffers.
pub struct HostRig {
    /// The mounted in-memory card.
    pub card: FatCard<MemCard>,
    /// The frame buffer.
    pub frame: Vec<u8>,
    /// The differencing buffer (as large as the frame buffer).
    pub aux: Vec<u8>,
    /// The memory-stream region.
    pub memory: Vec<u8>,
}

impl HostRig {
    /// A rig with a freshly formatted card of `card_bytes`, frame and
    /// differencing buffers of `frame_bytes` and a memory-stream region of
    /// `memory_bytes`.
    ///
    /// # Panics
    /// If the card cannot be formatted or mounted (a test set-up error).
    pub fn new(card_bytes: u64, frame_bytes: usize, memory_bytes: usize) -> Self {
        let image = format_card(card_bytes).unwrap_or_else(|e| panic!("format a card: {e}"));
        Self::with_card_image(image, frame_bytes, memory_bytes)
            .unwrap_or_else(|e| panic!("mount a fresh card: {e:?}"))
    }

    /// A rig whose card is `image` (a whole card image).
    pub fn with_card_image(
        image: Vec<u8>,
        frame_bytes: usize,
        memory_bytes: usize,
    ) -> Result<Self, FatCardError<MemCard>> {
        Ok(HostRig {
            card: FatCard::mount(MemCard::new(image))?,
            frame: vec![0; frame_bytes],
            aux: vec![0; frame_bytes],
            memory: vec![0; memory_bytes],
        })
    }

    /// An executor on this rig with the pattern sensor and `clock`,
    /// keeping [`DEFAULT_EVENTS`] trace events.
    pub fn executor<C: Wait + Clone>(
        &mut self,
        clock: C,
    ) -> Executor<'_, MemCard, C, PatternSensor, DEFAULT_EVENTS> {
        self.executor_with_events(clock)
    }

    /// [`executor`](Self::executor) keeping `E` trace events.
    pub fn executor_with_events<C: Wait + Clone, const E: usize>(
        &mut self,
        clock: C,
    ) -> Executor<'_, MemCard, C, PatternSensor, E> {
        Executor::new(
            clock,
            PatternSensor::new(),
            Some(&self.card),
            Buffers {
                frame: &mut self.frame,
                aux: &mut self.aux,
                memory: &mut self.memory,
            },
        )
    }
}
