//! A changed snapshot in the run report: the text diff, and the frames
//! that differ from the golden thumbnail sheet side by side with changed
//! pixels counted; a candidate sheet is written for review only when
//! allowed. Runs `seed-record` on `sim` against a copy of its goldens in
//! which one frame hash and one sheet cell were altered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use omv_hil::boards::sim::SimHarnessBoard;
use omv_hil::report::sheet::{self, Sheet};
use omv_hil::report::{self, Run};
use omv_hil::runner::{run_all, Quiet, RunOptions};
use omv_hil::{Scenario, Verdict};

fn run_against(root: &Path, write_new: bool) -> (String, Vec<std::path::PathBuf>) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo.join("hil/scenarios");
    let scenario = Scenario::load(&dir.join("seed-record.toml")).unwrap();
    let out = root.join("target/hil/sim");
    let opts = RunOptions {
        root: root.to_owned(),
        out_dir: out.clone(),
        seed: None,
        write_new: false,
        scenario_dir: dir,
        scenario_timeout: None,
        review_owner: None,
    };
    let scenarios = [scenario];
    let results = run_all(
        &mut SimHarnessBoard::new().unwrap(),
        &scenarios,
        &opts,
        &mut Quiet,
    );
    assert_eq!(
        results[0].verdict,
        Verdict::SnapshotChanged,
        "{:?}",
        results[0].failures
    );
    let run = Run {
        board: "sim",
        root,
        board_file: &omv_hil::boards::load("sim", &repo).unwrap(),
        results: &results,
        scenarios: &scenarios,
        content_hashes: true,
        write_new,
        took: Duration::ZERO,
    };
    let w = report::write(&run, &out).unwrap();
    (std::fs::read_to_string(&w.path).unwrap(), w.candidates)
}

#[test]
fn a_changed_snapshot_shows_its_diff_and_the_differing_frames_beside_the_golden() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let golden = tmp.path().join("golden/sim");
    std::fs::create_dir_all(&golden).unwrap();
    // Frame 3's hash in the snapshot, and frame 3's cell in the sheet, altered.
    let snap = std::fs::read_to_string(repo.join("golden/sim/seed-record.snap")).unwrap();
    let altered = snap.replace("689cb84eb834ba4a", "0000000000000000");
    assert_ne!(altered, snap);
    std::fs::write(golden.join("seed-record.snap"), altered).unwrap();
    let bytes = std::fs::read(sheet::path(&repo, "sim", "seed-record")).unwrap();
    let mut s = Sheet::decode(&bytes).unwrap();
    let (cw, ch) = s.cell;
    for y in 0..ch / 2 {
        for x in 0..cw / 2 {
            let i = 3 * (y * s.image.width + 3 * cw + x) as usize;
            s.image.rgb[i..i + 3].copy_from_slice(&[0, 0, 0]);
        }
    }
    let golden_sheet = sheet::path(tmp.path(), "sim", "seed-record");
    std::fs::write(&golden_sheet, s.encode().unwrap()).unwrap();

    let (html, candidates) = run_against(tmp.path(), false);
    assert!(candidates.is_empty(), "nothing written when not allowed");
    assert!(!sheet::new_path(&golden_sheet).exists());
    assert!(html.contains("<pre class=\"diff\">"), "the diff");
    assert!(
        html.contains("<span class=\"add\">"),
        "the diff's added lines"
    );
    assert_eq!(
        html.matches("+++ captured").count(),
        1,
        "the diff is shown once"
    );
    assert!(
        html.contains("Frames that differ from the golden thumbnails (1 of them)"),
        "exactly the altered frame differs"
    );
    let table = &html[html
        .find("<table class=\"compare\">")
        .expect("the comparison")..];
    let row = &table[table
        .find("<tr><td>#3</td>")
        .expect("frame 3 is the one shown")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(row.matches("<img ").count(), 3, "golden, captured, changed");
    let changed: u32 = row
        .rsplit("\">")
        .next()
        .and_then(|t| t.split(" px").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no changed-pixel count in {}",
                &row[row.len().saturating_sub(200)..]
            )
        });
    // The blacked-out quarter of the cell, less pixels that were black already.
    assert!(changed > 0 && changed <= (cw / 2) * (ch / 2), "{changed}");

    let (_, candidates) = run_against(tmp.path(), true);
    assert_eq!(candidates, [sheet::new_path(&golden_sheet)]);
    let new = Sheet::decode(&std::fs::read(&candidates[0]).unwrap()).unwrap();
    assert_eq!(new.frames, 30);
    assert_eq!(
        new.cell(3),
        Sheet::decode(&bytes).unwrap().cell(3),
        "the candidate has the captured frame"
    );
}
