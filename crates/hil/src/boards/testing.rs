//! What the boards' unit tests share (compiled for tests only).

/// Fails, naming the first of `needles` that `text` lacks and quoting the
/// whole text, unless it has every one.
pub(crate) fn assert_contains_all<S: AsRef<str>>(text: &str, needles: impl IntoIterator<Item = S>) {
    for needle in needles {
        let needle = needle.as_ref();
        assert!(text.contains(needle), "lacks {needle:?}:\n{text}");
    }
}

/// [`assert_contains_all`] for a board's dry run: the text a dry run
/// printed has every one of `needles`.
#[cfg(any(feature = "qemu", feature = "h7"))]
pub(crate) fn assert_dry_run_mentions<S: AsRef<str>>(
    text: &str,
    needles: impl IntoIterator<Item = S>,
) {
    assert_contains_all(text, needles);
}
