//! What the boards' unit tests share (compiled for tests only).

/// Fails, naming the first of `needles` that `text` (a board's dry run)
/// lacks and quoting the whole text, unless it has every one.
pub(crate) fn assert_dry_run_mentions<S: AsRef<str>>(
    text: &str,
    needles: impl IntoIterator<Item = S>,
) {
    for needle in needles {
        let needle = needle.as_ref();
        assert!(text.contains(needle), "dry run lacks {needle:?}:\n{text}");
    }
}
