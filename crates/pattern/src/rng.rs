//! SplitMix64: the small, documented generator behind seeded noise and jitter.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014; the constants are those of Java's
/// `SplittableRandom` and Vigna's reference C code). One `u64` of state; the
/// same seed gives the same sequence on every target.
///
/// ```
/// let mut a = omv_pattern::SplitMix64::new(1);
/// let mut b = omv_pattern::SplitMix64::new(1);
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64 {
    state: u64,
}

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator for frame `seq` of a stream seeded with `seed`: the two are
    /// mixed so that neighbouring seeds and frames give unrelated sequences.
    pub fn for_frame(seed: u64, seq: u32) -> Self {
        let mut g = SplitMix64::new(seed ^ u64::from(seq).wrapping_mul(GAMMA).rotate_left(17));
        let mixed = g.next_u64();
        SplitMix64::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in `0..bound` (0 when `bound` is 0), by the
    /// multiply-high method (bias below 2^-32 for bounds under 2^32).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A uniform value in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_vectors() {
        // Vigna's splitmix64.c with x = 1234567: first outputs.
        let mut g = SplitMix64::new(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(g.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn below_stays_in_range() {
        let mut g = SplitMix64::new(9);
        for _ in 0..1000 {
            assert!(g.below(7) < 7);
        }
        assert_eq!(g.below(0), 0);
    }
}
