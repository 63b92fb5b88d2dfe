//! The closed sets of names a scenario may use — board capabilities and
//! board names — and a did-you-mean for a name that is not one of them.

use std::fmt;

/// A board capability a scenario may need (`needs = [...]`). A board
/// without it skips the scenario; a name outside this set is an error when
/// the scenario is parsed, never a silent skip.
///
/// Its name (used in scenario files and by [`crate::Board::capabilities`])
/// is the variant's in kebab case: `PowerCut` is `"power-cut"`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Capability {
    /// `"files"`: a card with file streams.
    Files,
    /// `"memory"`: memory streams.
    Memory,
    /// `"power-cut"`: the card can lose power between two steps.
    PowerCut,
    /// `"write-limit"`: the card can be made to fail after N blocks.
    WriteLimit,
    /// `"upload"`: files can be put on the card before a scenario
    /// (`[[upload]]`, implied when there is one).
    Upload,
    /// `"jpeg"`: the sensor delivers JPEG frames.
    Jpeg,
    /// `"card-profile"`: the card's timing follows `[card] profile`, so
    /// recording rates mean something.
    CardProfile,
    /// `"sensor-model"`: the sensor takes `[sensor]`'s `startup_us`,
    /// `jitter_us` and `buffers` (implied when they are set).
    SensorModel,
    /// `"footage"`: the sensor shows a host folder of PNG/JPEG pictures
    /// (`[sensor] source`, implied when set).
    Footage,
}

impl Capability {
    /// Every capability, in the order messages list them (declaration order).
    pub const ALL: &'static [Capability] = <Capability as strum::VariantArray>::VARIANTS;

    /// The name used in scenario files and by [`crate::Board::capabilities`].
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The capability called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Capability> {
        name.parse().ok()
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The candidate closest to `word`, if it is close enough to be a typo
/// (an edit distance of at most a third of its length, at least 1). Ties
/// go to the candidate more alike at the start (Jaro-Winkler): `need` is
/// `needs`, not `seed`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|(da, a), (db, b)| {
            da.cmp(db).then_with(|| {
                strsim::jaro_winkler(word, b).total_cmp(&strsim::jaro_winkler(word, a))
            })
        })
        .map(|(_, c)| c)
}

/// "unknown <what> "x"; did you mean "y"? (the <what>s: a, b, c)".
pub fn unknown(what: &str, word: &str, candidates: &[&str]) -> String {
    let hint = closest(word, candidates.iter().copied())
        .map(|c| format!("; did you mean {c:?}?"))
        .unwrap_or_default();
    format!(
        "unknown {what} {word:?}{hint} (expected one of {})",
        candidates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are derived from the variants, so this pins them: they
    /// are the scenario files' format.
    #[test]
    fn every_capability_has_its_file_name_and_parses_back_from_it() {
        let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            names,
            [
                "files",
                "memory",
                "power-cut",
                "write-limit",
                "upload",
                "jpeg",
                "card-profile",
                "sensor-model",
                "footage"
            ]
        );
        for &c in Capability::ALL {
            assert_eq!(Capability::from_name(c.name()), Some(c));
            assert_eq!(c.to_string(), c.name());
        }
        assert_eq!(Capability::from_name("power-cutt"), None);
        assert_eq!(Capability::from_name("Power-Cut"), None);
    }

    #[test]
    fn a_typo_gets_a_suggestion_and_a_stranger_does_not() {
        let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(
            closest("power-cutt", names.iter().copied()),
            Some("power-cut")
        );
        assert_eq!(closest("memroy", names.iter().copied()), Some("memory"));
        assert_eq!(closest("nope", ["sim", "qemu", "h7"]), None);
        assert_eq!(closest("qmeu", ["sim", "qemu", "h7"]), Some("qemu"));
        assert_eq!(closest("need", ["seed", "needs"]), Some("needs"));
        let m = unknown("capability", "power-cutt", &names);
        assert!(
            m.starts_with("unknown capability \"power-cutt\"; did you mean \"power-cut\"?"),
            "{m}"
        );
    }
}
