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
        out.push(Chart {
            title: "Frame intervals (capture times)".into(),
            x_desc: "capture time (s)".into(),
            y_desc: "interval (ms)".into(),
            lines,
        });
    }
    if s.latency.len() > 1 {
        out.push(Chart {
            title: "Capture to written".into(),
            x_desc: "capture time (s)".into(),
            y_desc: "latency (ms)".into(),
            lines: vec![line(
                "capture to written",
                s.latency.clone(),
                plot::MEASURED,
                false,
            )],
        });
    }
    if !s.drops.is_empty() {
        let mut lines = vec![line(
            "dropped frames so far",
            s.drops.clone(),
            plot::MEASURED,
            false,
        )];
        if let (Some(t), Some(&(x0, _)), Some(&(x1, _))) =
            (tol.dropped_frames, s.drops.first(), s.drops.last())
        {
            lines.push(line(
                &format!("tolerance {t}"),
                vec![(x0, f64::from(t)), (x1, f64::from(t))],
                plot::LIMIT,
                true,
            ));
        }
        out.push(Chart {
            title: "Dropped frames".into(),
            x_desc: "board time (s)".into(),
            y_desc: "frames".into(),
            lines,
        });
    }
    if s.lateness.len() > 1 {
        let mut lines = vec![line(
            "lateness vs recorded schedule",
            s.lateness.clone(),
            plot::MEASURED,
            false,
        )];
        if let (Some(t), Some(&(x0, _)), Some(&(x1, _))) =
            (tol.replay_error_us, s.lateness.first(), s.lateness.last())
        {
            let ms = t as f64 / 1e3;
            lines.push(line(
                &format!("tolerance {t} us"),
                vec![(x0, ms), (x1, ms)],
                plot::LIMIT,
                true,
            ));
        }
        out.push(Chart {
            title: "Replay lateness".into(),
            x_desc: "release time (s)".into(),
            y_desc: "late (ms)".into(),
            lines,
        });
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
