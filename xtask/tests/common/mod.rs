//! What xtask's test files share.

/// Fails, naming the first of `needles` that `text` lacks and quoting the
/// whole text, unless it has every one.
pub fn assert_contains_all<S: AsRef<str>>(text: &str, needles: impl IntoIterator<Item = S>) {
    for needle in needles {
        let needle = needle.as_ref();
        assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
    }
}
