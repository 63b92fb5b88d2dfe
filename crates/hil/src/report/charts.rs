//! Which charts a scenario's timing series call for, with the board
//! file's tolerances drawn on them where one applies.

use super::data::{Point, Series, Tolerance};
use super::plot::{self, Chart, Line};

fn line(label: &str, points: Vec<Point>, color: plotters::style::RGBColor, limit: bool) -> Line {
    Line {
        label: label.to_owned(),
        points,
        color,
        limit,
    }
}

/// A measured series, and the board's tolerance for it (`limit`: its
/// label and value) as a flat line over the same time span.
fn against_limit(label: &str, points: &[Point], limit: Option<(String, f64)>) -> Vec<Line> {
    let mut lines = vec![line(label, points.to_vec(), plot::MEASURED, false)];
    if let (Some((name, y)), Some(&(x0, _)), Some(&(x1, _))) =
        (limit, points.first(), points.last())
    {
        lines.push(line(&name, vec![(x0, y), (x1, y)], plot::LIMIT, true));
    }
    lines
}

fn chart(title: &str, x_desc: &str, y_desc: &str, lines: Vec<Line>) -> Chart {
    Chart {
        title: title.to_owned(),
        x_desc: x_desc.to_owned(),
        y_desc: y_desc.to_owned(),
        lines,
    }
}

/// The charts a trace's series call for, with the board's tolerances
/// drawn where they apply.
/// A series needs two points to show a trend: a single frame or release
/// is left to the steps table.
pub fn charts(s: &Series, tol: Tolerance) -> Vec<Chart> {
    let mut out = Vec::new();
    if s.intervals.len() > 1 {
        let mut lines = vec![
            line(
                "interval between written frames",
                s.intervals.clone(),
                plot::MEASURED,
                false,
            ),
            line(
                "sensor grid (frames advanced x period)",
                s.expected.clone(),
                plot::EXPECTED,
                true,
            ),
        ];
        if let Some(t) = tol.frame_interval_us {
            let ms = t as f64 / 1e3;
            let hi = s.expected.iter().map(|&(x, y)| (x, y + ms)).collect();
            let lo = s
                .expected
                .iter()
                .map(|&(x, y)| (x, (y - ms).max(0.0)))
                .collect();
            lines.push(line(&format!("tolerance +{t} us"), hi, plot::LIMIT, true));
            lines.push(line(&format!("tolerance -{t} us"), lo, plot::LIMIT, true));
        }
        out.push(chart(
            "Frame intervals (capture times)",
            "capture time (s)",
            "interval (ms)",
            lines,
        ));
    }
    if s.latency.len() > 1 {
        out.push(chart(
            "Capture to written",
            "capture time (s)",
            "latency (ms)",
            against_limit("capture to written", &s.latency, None),
        ));
    }
    if !s.drops.is_empty() {
        let limit = tol
            .dropped_frames
            .map(|t| (format!("tolerance {t}"), f64::from(t)));
        out.push(chart(
            "Dropped frames",
            "board time (s)",
            "frames",
            against_limit("dropped frames so far", &s.drops, limit),
        ));
    }
    if s.lateness.len() > 1 {
        let limit = tol
            .replay_error_us
            .map(|t| (format!("tolerance {t} us"), t as f64 / 1e3));
        out.push(chart(
            "Replay lateness",
            "release time (s)",
            "late (ms)",
            against_limit("lateness vs recorded schedule", &s.lateness, limit),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_are_drawn_only_where_the_board_file_has_them() {
        let s = Series {
            intervals: vec![(0.03, 33.0), (0.06, 34.0)],
            expected: vec![(0.03, 33.3), (0.06, 33.3)],
            latency: vec![(0.0, 5.0), (0.03, 6.0)],
            drops: vec![],
            lateness: vec![(1.0, 0.5), (1.1, 2.0)],
        };
        let none = charts(&s, Tolerance::default());
        assert_eq!(none.len(), 3);
        assert!(none
            .iter()
            .all(|c| c.lines.iter().all(|l| !l.label.starts_with("tolerance"))));
        let tol = Tolerance {
            frame_interval_us: Some(1000),
            replay_error_us: Some(25000),
            dropped_frames: Some(0),
        };
        let with = charts(&s, tol);
        let labels: Vec<&str> = with
            .iter()
            .flat_map(|c| c.lines.iter().map(|l| l.label.as_str()))
            .collect();
        assert!(labels.contains(&"tolerance +1000 us"), "{labels:?}");
        assert!(labels.contains(&"tolerance 25000 us"), "{labels:?}");
        // Band around the grid: 33.3 + 1 ms.
        assert!((with[0].lines[2].points[0].1 - 34.3).abs() < 1e-9);
        // One point alone makes no chart.
        let one = Series {
            intervals: vec![(0.03, 33.0)],
            ..s
        };
        assert_eq!(charts(&one, tol).len(), 2);
    }
}
