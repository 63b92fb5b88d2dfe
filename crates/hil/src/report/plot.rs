//! The report's plots: line charts drawn by `plotters` into SVG text,
//! inlined in the page.

use plotters::prelude::*;

use super::data::Point;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Line {
    /// The legend's text.
    pub label: String,
    /// The points, in x order.
    pub points: Vec<Point>,
    /// The line's colour.
    pub color: RGBColor,
    /// A limit (drawn dashed, without point markers) rather than a measurement.
    pub limit: bool,
}

/// A chart: title, axes and lines.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Caption above the plot.
    pub title: String,
    /// What the x axis shows.
    pub x_desc: String,
    /// What the y axis shows.
    pub y_desc: String,
    /// The lines; empty ones are left out.
    pub lines: Vec<Line>,
}

/// Measured values.
pub const MEASURED: RGBColor = RGBColor(31, 119, 180);
/// What the board should do (sensor grid, recorded schedule).
pub const EXPECTED: RGBColor = RGBColor(44, 160, 44);
/// The board file's tolerance.
pub const LIMIT: RGBColor = RGBColor(214, 39, 40);

/// Size of every chart in SVG user units.
pub const SIZE: (u32, u32) = (720, 260);

/// The x and y ranges covering every point, with a margin; a flat series
/// gets a range around its value so the line is drawn mid-plot.
fn bounds(lines: &[Line]) -> Option<((f64, f64), (f64, f64))> {
    let pts = lines.iter().flat_map(|l| l.points.iter());
    let mut it = pts
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .peekable();
    let &&(x0, y0) = it.peek()?;
    let (mut xa, mut xb, mut ya, mut yb) = (x0, x0, y0, y0);
    for &(x, y) in it {
        xa = xa.min(x);
        xb = xb.max(x);
        ya = ya.min(y);
        yb = yb.max(y);
    }
    if xb - xa < 1e-9 {
        xa -= 0.5;
        xb += 0.5;
    } else {
        // Points on the axes' ends stay visible.
        let m = (xb - xa) * 0.02;
        xa -= m;
        xb += m;
    }
    // At least 5 % of the value either way, so a nearly flat series (a
    // steady 33.333 ms interval) is not blown up into noise.
    let pad = ((yb - ya) * 0.08).max(ya.abs().max(yb.abs()).max(1.0) * 0.05);
    let ya = if ya >= 0.0 {
        (ya - pad).max(0.0)
    } else {
        ya - pad
    };
    // Room above the data for the legend (upper right).
    Some(((xa, xb), (ya, yb + pad + (yb - ya + pad) * 0.25)))
}

/// The chart as an SVG document, or why plotters could not draw it.
/// `None` when no line has a point.
pub fn svg(chart: &Chart) -> Option<Result<String, String>> {
    let owned: Vec<Line> = chart
        .lines
        .iter()
        .filter(|l| !l.points.is_empty())
        .cloned()
        .collect();
    let ((xa, xb), (ya, yb)) = bounds(&owned)?;
    let mut out = String::new();
    let drawn = draw(&mut out, chart, &owned, (xa..xb, ya..yb));
    Some(drawn.map(|()| out))
}

fn draw(
    out: &mut String,
    chart: &Chart,
    lines: &[Line],
    (xr, yr): (std::ops::Range<f64>, std::ops::Range<f64>),
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("plot {:?}: {e}", chart.title);
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut c = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 15))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(xr, yr)
        .map_err(|e| err(&e))?;
    c.configure_mesh()
        .x_desc(&chart.x_desc)
        .y_desc(&chart.y_desc)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    for l in lines {
        let color = l.color;
        if l.limit {
            c.draw_series(DashedLineSeries::new(
                l.points.iter().copied(),
                6,
                4,
                color.stroke_width(1),
            ))
            .map_err(|e| err(&e))?
            .label(&l.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        } else {
            let marker = if l.points.len() <= 200 { 2 } else { 0 };
            c.draw_series(
                LineSeries::new(l.points.iter().copied(), color.stroke_width(1)).point_size(marker),
            )
            .map_err(|e| err(&e))?
            .label(&l.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
    }
    c.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_chart_is_an_svg_with_its_lines_and_labels() {
        let chart = Chart {
            title: "frame interval".into(),
            x_desc: "time (s)".into(),
            y_desc: "ms".into(),
            lines: vec![
                Line {
                    label: "measured".into(),
                    points: vec![(0.0, 33.0), (0.033, 34.0), (0.066, 33.0)],
                    color: MEASURED,
                    limit: false,
                },
                Line {
                    label: "tolerance".into(),
                    points: vec![(0.0, 35.0), (0.066, 35.0)],
                    color: LIMIT,
                    limit: true,
                },
                Line {
                    label: "nothing".into(),
                    points: vec![],
                    color: EXPECTED,
                    limit: false,
                },
            ],
        };
        let svg = svg(&chart).unwrap().unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.contains("frame interval") && svg.contains("tolerance"));
        assert!(!svg.contains("nothing"));
        assert!(svg.contains("<polyline") || svg.contains("<path"));
        let empty = Chart {
            lines: vec![],
            ..chart
        };
        assert!(self::svg(&empty).is_none());
    }
}
