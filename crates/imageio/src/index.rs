//! A fixed-size index of chunk offsets, so that `seek` does not rescan the
//! file from the header every time (the C code does).
//!
//! It holds the offset of every `stride`-th frame. When it fills up, every
//! other entry is dropped and the stride doubles, so any `N` covers any
//! number of frames: a seek reads at most `stride - 1` chunk headers.

/// Offsets of frames `0, stride, 2·stride, …` among the frames whose start
/// is known (frames `0..known`).
#[derive(Debug, Clone)]
pub struct FrameIndex<const N: usize> {
    offsets: [u64; N],
    len: usize,
    stride: u32,
    known: u32,
}

impl<const N: usize> FrameIndex<N> {
    /// An index whose only entry is frame 0 at `first`.
    pub fn new(first: u64) -> Self {
        const { assert!(N >= 2, "a frame index needs at least 2 entries") };
        let mut offsets = [0u64; N];
        offsets[0] = first;
        FrameIndex {
            offsets,
            len: 1,
            stride: 1,
            known: 1,
        }
    }

    /// Frames whose start offset has been seen (`0..known`). The last one may
    /// be the end of the file (where the next frame would start).
    pub fn known(&self) -> u32 {
        self.known
    }

    /// Distance in frames between two entries.
    pub fn stride(&self) -> u32 {
        self.stride
    }

    /// Learn that frame `frame` starts at `offset`. Only extends the index
    /// when `frame` is the next unknown frame.
    pub fn record(&mut self, frame: u32, offset: u64) {
        if frame != self.known {
            return;
        }
        self.known += 1;
        if frame % self.stride != 0 {
            return;
        }
        if self.len == N {
            // Keep entries 0, 2, 4, ...: they are the multiples of the doubled stride.
            let kept = N.div_ceil(2);
            for i in 0..kept {
                self.offsets[i] = self.offsets[2 * i];
            }
            self.len = kept;
            self.stride = self.stride.saturating_mul(2);
            if frame % self.stride != 0 {
                return;
            }
        }
        self.offsets[self.len] = offset;
        self.len += 1;
    }

    /// The nearest indexed frame at or before `frame`: `(frame index, offset)`.
    pub fn nearest(&self, frame: u32) -> (u32, u64) {
        let limit = frame.min(self.known.saturating_sub(1));
        let i = ((limit / self.stride) as usize).min(self.len - 1);
        (i as u32 * self.stride, self.offsets[i])
    }

    /// Forget every frame start after frame `last` (a write at `last`
    /// truncated the file after it).
    pub fn truncate_after(&mut self, last: u32) {
        self.known = self.known.min(last.saturating_add(1));
        let entries = (self.known.div_ceil(self.stride)) as usize;
        self.len = self.len.min(entries.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset_of(frame: u32) -> u64 {
        16 + 48 * u64::from(frame)
    }

    #[test]
    fn a_full_index_doubles_its_stride_and_still_finds_every_frame() {
        let mut idx = FrameIndex::<4>::new(offset_of(0));
        for f in 1..=100 {
            idx.record(f, offset_of(f));
        }
        assert_eq!(idx.known(), 101);
        assert_eq!(idx.stride(), 32);
        for f in 0..=100u32 {
            let (i, off) = idx.nearest(f);
            assert!(i <= f && f - i < idx.stride(), "frame {f} -> {i}");
            assert_eq!(off, offset_of(i));
        }
    }

    #[test]
    fn out_of_order_records_are_ignored_and_truncation_forgets() {
        let mut idx = FrameIndex::<8>::new(16);
        idx.record(5, 999);
        assert_eq!(idx.known(), 1);
        for f in 1..6 {
            idx.record(f, offset_of(f));
        }
        idx.truncate_after(2);
        assert_eq!(idx.known(), 3);
        assert_eq!(idx.nearest(5), (2, offset_of(2)));
        idx.record(3, 7777);
        assert_eq!(idx.nearest(3), (3, 7777));
    }
}
