//! A scenario's golden thumbnail sheet against its captured frames: kept
//! as is, written as a candidate (`.thumbs.new.png`) for review, and for a
//! changed snapshot the golden and captured frames side by side.

use std::path::{Path, PathBuf};

use omvstream::export::{frame_picture, walk_file};

use super::hashes;
use super::sheet::{self, Sheet, CELLS};
use super::thumbs::{refit, shrink, CapturedStream, Thumb};
use crate::golden::GoldenCheck;

/// What the comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// No sheet is kept for this scenario (why).
    NotKept(String),
    /// The golden sheet is there and the frames equal the golden ones by hash.
    Match,
    /// The golden sheet is missing or out of date: a candidate was made
    /// (`new`: where it was written for review; `None` in CI).
    Candidate {
        /// Why a candidate was made.
        why: String,
        /// The `.thumbs.new.png` written, if writing was allowed.
        new: Option<PathBuf>,
    },
}

/// One frame shown golden | captured | changed pixels.
#[derive(Debug, Clone)]
pub struct Pair {
    /// Frame number on the sheet (all streams, in order).
    pub index: u32,
    /// The golden cell, if the golden sheet has the frame.
    pub golden: Option<Thumb>,
    /// The captured frame at the golden cell size, if captured.
    pub current: Option<Thumb>,
    /// The captured frame with changed pixels highlighted, and their count.
    pub changed: Option<(Thumb, u32)>,
}

/// The golden sheet's review for one scenario.
#[derive(Debug, Clone)]
pub struct Review {
    /// What happened to the sheet.
    pub status: Status,
    /// For a changed snapshot: frames that differ from the golden's
    /// (at most [`MAX_PAIRS`]), and how many differ in all.
    pub pairs: Vec<Pair>,
    /// Frames that differ from the golden sheet's, all of them.
    pub differing: u32,
    /// What went wrong reading or writing sheets, if anything.
    pub error: Option<String>,
}

/// Differing frames shown side by side at most.
pub const MAX_PAIRS: usize = 12;

/// Every frame of the `streams` (in order), as thumbnails of the largest
/// sheet cell.
pub fn all_frames(streams: &[CapturedStream]) -> Result<Vec<Thumb>, String> {
    let (w, h) = CELLS[0];
    let mut out = Vec::new();
    for p in streams
        .iter()
        .filter(|s| s.frames.is_ok())
        .map(|s| s.path.as_path())
    {
        walk_file(p, |info, payload| {
            let t = match frame_picture(p, info, payload) {
                Ok(pic) => shrink(&pic, w, h, true),
                // A frame without pixels (ARGB8, quirk Q14) is a black cell.
                Err(_) => Thumb::black(w, h),
            };
            out.push(t);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Frames in the `streams` (counted when they were opened); a file that
/// is not a stream (a power cut before the header reached the card) has
/// none, as its snapshot says.
pub fn count_frames(streams: &[CapturedStream]) -> u32 {
    streams
        .iter()
        .map(|s| *s.frames.as_ref().unwrap_or(&0))
        .sum()
}

/// Review the golden sheet of `scenario` on `board` against the captured
/// `streams`. `golden`: the snapshot comparison (`None`: not compared, so
/// nothing is kept); `summary`: the captured snapshot text (its frame
/// hashes say which frames the sheet must show); `write_new`: a candidate
/// may be written and a stale one removed (this run holds the review lock).
pub fn review(
    root: &Path,
    board: &str,
    scenario: &str,
    golden: Option<&GoldenCheck>,
    summary: Option<&str>,
    streams: &[CapturedStream],
    write_new: bool,
) -> Review {
    let mut r = Review {
        status: Status::NotKept(String::new()),
        pairs: Vec::new(),
        differing: 0,
        error: None,
    };
    let Some(golden) = golden else {
        r.status = Status::NotKept("no golden snapshot compared".into());
        return r;
    };
    let hashes = hashes::frame_hashes(summary.unwrap_or_default());
    if !hashes::kept(&hashes) {
        r.status = Status::NotKept("the snapshot redacts content hashes".into());
        return r;
    }
    let digest = hashes::digest(&hashes);
    let path = sheet::path(root, board, scenario);
    let new_path = sheet::new_path(&path);
    let count = count_frames(streams);
    let kept = match std::fs::read(&path) {
        Ok(bytes) => match Sheet::decode(&bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                r.error = Some(format!("{}: {e}", path.display()));
                None
            }
        },
        Err(_) => None,
    };
    if count == 0 && kept.is_none() {
        r.status = Status::NotKept("no frames recorded".into());
        return r;
    }
    let up_to_date = kept
        .as_ref()
        .is_some_and(|s| s.frames == count && s.hashes == digest);
    if *golden == GoldenCheck::Match && up_to_date {
        if write_new {
            let _ = std::fs::remove_file(&new_path);
        }
        r.status = Status::Match;
        return r;
    }
    let frames = match all_frames(streams) {
        Ok(f) => f,
        Err(e) => {
            r.error = Some(e);
            return r;
        }
    };
    if let Some(g) = &kept {
        compare(&mut r, g, &frames);
    }
    let why = match (&kept, golden) {
        (None, _) => format!("no golden thumbnail sheet {}", path.display()),
        (Some(g), GoldenCheck::Match) if g.frames != count => format!(
            "{} has {} frames, the capture {count}",
            path.display(),
            g.frames,
        ),
        (Some(g), GoldenCheck::Match) => format!(
            "{} was made for other frames (hashes digest {}, the snapshot's {digest})",
            path.display(),
            g.hashes
        ),
        (Some(_), _) => "the snapshot changed".to_owned(),
    };
    let new = if write_new && !frames.is_empty() {
        match Sheet::fitting(&frames, &digest) {
            Ok((_, bytes)) => match std::fs::write(&new_path, bytes) {
                Ok(()) => Some(new_path),
                Err(e) => {
                    r.error = Some(format!("{}: {e}", new_path.display()));
                    None
                }
            },
            Err(e) => {
                r.error = Some(format!("{scenario}: {e}"));
                None
            }
        }
    } else {
        None
    };
    r.status = Status::Candidate { why, new };
    r
}

/// Fill `r.pairs` with the frames whose cells differ between the golden
/// sheet and the captured frames (by count too).
fn compare(r: &mut Review, golden: &Sheet, frames: &[Thumb]) {
    let (cw, ch) = golden.cell;
    let n = golden.frames.max(frames.len() as u32);
    for i in 0..n {
        let g = golden.cell(i);
        let c = frames.get(i as usize).map(|t| refit(t, cw, ch));
        let changed = match (&g, &c) {
            (Some(g), Some(c)) => {
                let (h, k) = sheet::highlight(g, c);
                if k == 0 {
                    continue;
                }
                Some((h, k))
            }
            _ => None,
        };
        r.differing += 1;
        if r.pairs.len() < MAX_PAIRS {
            r.pairs.push(Pair {
                index: i,
                golden: g,
                current: c,
                changed,
            });
        }
    }
}
