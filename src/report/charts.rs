//! Charts (plotters): a small chart description ([`Chart`]) rendered to SVG (inlined in
//! `report.html`, written beside it) and PNG. Text in PNGs is drawn with the DejaVu Sans font
//! bundled in `assets/fonts/` (no system fontconfig); SVG text names `sans-serif` and is drawn by
//! the viewer. Rendering is deterministic: the same chart gives the same bytes.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// The bundled font (DejaVu Sans, Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Chart size in pixels.
pub const SIZE: (u32, u32) = (900, 420);

/// Series colours (colour-blind-friendly Okabe–Ito order, then greys).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(100, 100, 100),
];

/// The colour of series number `i`.
fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One named series of points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name (from the trace or scenario: escaped by the HTML writer, drawn as text here).
    pub name: String,
    /// Points in data coordinates.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (references: capacity, fair share), never stacked.
    pub dashed: bool,
    /// Colour index (series that belong together — a queue's share and its fair share — share it).
    pub colour: usize,
}

impl Series {
    /// A solid series with colour `colour`.
    pub fn solid(name: impl Into<String>, colour: usize, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points, dashed: false, colour }
    }

    /// A dashed reference series.
    pub fn dashed(name: impl Into<String>, colour: usize, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), points, dashed: true, colour }
    }
}

/// How the x axis reads.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// Simulated time in seconds, labelled as durations.
    Time,
    /// log₁₀ of a duration in seconds (values are already log₁₀), labelled as durations.
    LogDuration,
    /// Category `i` at x = i.
    Categories(Vec<String>),
    /// Plain numbers (a cost), padded so points at the ends stay inside the frame.
    Plain,
}

/// How the y axis reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum YAxis {
    /// Plain numbers.
    Plain,
    /// A fraction shown as a percentage.
    Percent,
    /// Seconds, labelled as durations.
    Duration,
}

/// How solid series are drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Lines (steps are drawn as given).
    Lines,
    /// Solid series stacked as areas in order, dashed ones drawn as lines on top.
    Stacked,
    /// Grouped bars, one group per category, one bar per solid series.
    Bars,
    /// Solid series as markers (one dot per point), dashed ones as lines.
    Scatter,
}

/// A chart to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// File stem (`gpu-allocation` → `gpu-allocation.svg`, `.png`).
    pub id: String,
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// X axis.
    pub x: XAxis,
    /// Y axis.
    pub y: YAxis,
    /// Drawing kind.
    pub kind: Kind,
    /// Series.
    pub series: Vec<Series>,
    /// What the chart shows, for the report text.
    pub caption: String,
}

impl Chart {
    /// The queueing-delay CDF chart (log time axis), shared by the run report and the comparison.
    pub fn queueing_delay_cdf(series: Vec<Series>, caption: &str) -> Chart {
        Chart::cdf(
            "queueing-delay-cdf",
            "Queueing delay (CDF)",
            "queueing delay (log scale; under 1 s drawn at 1 s)",
            series,
            caption,
        )
    }

    /// A CDF over durations: log-scale x, fraction of jobs on y.
    pub fn cdf(id: &str, title: &str, x_label: &str, series: Vec<Series>, caption: &str) -> Chart {
        Chart {
            id: id.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: "fraction of jobs".into(),
            x: XAxis::LogDuration,
            y: YAxis::Percent,
            kind: Kind::Lines,
            series,
            caption: caption.into(),
        }
    }
}

/// Splits a line into strokes drawn separately, so that thick lines have no join where the path
/// turns back on itself in pixel space (a step series with many changes inside one pixel column):
/// the bitmap rasterizer mitres such joins into spikes far outside the plot. Points that land on
/// the previous point's pixel are dropped.
fn strokes(points: &[(f64, f64)], to_px: impl Fn(&(f64, f64)) -> (i32, i32)) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<((f64, f64), (i64, i64))> = Vec::new();
    for p in points {
        let (x, y) = to_px(p);
        let px = (x as i64, y as i64);
        if cur.last().is_some_and(|l| l.1 == px) {
            continue;
        }
        if cur.len() >= 2 {
            let (a, b) = (cur[cur.len() - 2].1, cur[cur.len() - 1].1);
            let turns_back = (b.0 - a.0) * (px.0 - b.0) + (b.1 - a.1) * (px.1 - b.1) < 0;
            if turns_back {
                let joint = cur[cur.len() - 1];
                pieces.push(cur.drain(..).map(|e| e.0).collect());
                cur.push(joint);
            }
        }
        cur.push((*p, px));
    }
    if !cur.is_empty() {
        pieces.push(cur.into_iter().map(|e| e.0).collect());
    }
    pieces
}

/// Formats seconds as a short duration for axis labels.
fn short_duration(s: f64) -> String {
    let s = s.max(0.0);
    if s < 60.0 {
        format!("{s:.0}s")
    } else if s < 3600.0 {
        format!("{:.0}m", s / 60.0)
    } else if s < 172_800.0 {
        let h = s / 3600.0;
        if h.fract().abs() < 1e-9 || h >= 10.0 { format!("{h:.0}h") } else { format!("{h:.1}h") }
    } else {
        format!("{:.1}d", s / 86400.0)
    }
}

impl Chart {
    fn x_range(&self) -> (f64, f64) {
        match &self.x {
            XAxis::Categories(c) => (-0.5, c.len().max(1) as f64 - 0.5),
            XAxis::Plain => {
                let xs = self.series.iter().filter(|s| !s.dashed).flat_map(|s| s.points.iter().map(|p| p.0));
                let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
                if !lo.is_finite() {
                    (0.0, 1.0)
                } else {
                    let pad = ((hi - lo) * 0.06).max(1.0);
                    ((lo - pad).max(0.0), hi + pad)
                }
            }
            _ => {
                let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
                let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
                if lo.is_finite() && hi > lo { (lo, hi) } else { (0.0, 1.0) }
            }
        }
    }

    fn y_max(&self) -> f64 {
        let mut hi: f64 = 0.0;
        if self.kind == Kind::Stacked {
            // The top of the stack at every sample time of the solid series.
            let mut tops: std::collections::BTreeMap<u64, f64> = Default::default();
            for s in self.series.iter().filter(|s| !s.dashed) {
                for p in &s.points {
                    *tops.entry(p.0.to_bits()).or_default() += p.1;
                }
            }
            hi = tops.values().copied().fold(hi, f64::max);
        }
        for s in &self.series {
            hi = s.points.iter().map(|p| p.1).fold(hi, f64::max);
        }
        if hi <= 0.0 { 1.0 } else { hi * 1.08 }
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("chart {}: {e}", self.id);
        root.fill(&WHITE).map_err(err)?;
        let (x0, x1) = self.x_range();
        let y1 = self.y_max();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(err)?;
        let x_fmt = |v: &f64| match &self.x {
            XAxis::Time => short_duration(*v),
            XAxis::LogDuration => short_duration(10f64.powf(*v)),
            XAxis::Plain => {
                if *v >= 100.0 || v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.1}")
                }
            }
            XAxis::Categories(c) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    c.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        };
        let y_fmt = |v: &f64| match self.y {
            YAxis::Plain => {
                if y1 < 10.0 {
                    format!("{v:.2}")
                } else {
                    format!("{v:.0}")
                }
            }
            YAxis::Percent => format!("{:.0}%", v * 100.0),
            YAxis::Duration => short_duration(*v),
        };
        let n_x_labels = match &self.x {
            XAxis::Categories(c) => c.len() * 2 + 1,
            _ => 8,
        };
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(n_x_labels)
            .y_labels(6)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .light_line_style(RGBColor(238, 238, 238))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        match self.kind {
            Kind::Stacked => self.draw_stacked(&mut chart).map_err(err)?,
            Kind::Bars => self.draw_bars(&mut chart).map_err(err)?,
            Kind::Scatter => {
                for s in self.series.iter().filter(|s| !s.dashed) {
                    let c = colour(s.colour);
                    chart
                        .draw_series(s.points.iter().map(|&p| Circle::new(p, 5, c.filled())))
                        .map_err(err)?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 5, c.filled()));
                }
            }
            Kind::Lines => {}
        }
        for s in &self.series {
            let solid_drawn = self.kind != Kind::Lines && !s.dashed;
            if solid_drawn || s.points.is_empty() {
                continue;
            }
            let c = colour(s.colour);
            let style = c.stroke_width(2);
            let pieces = strokes(&s.points, |p| chart.backend_coord(p));
            let mut last = None;
            for piece in pieces {
                let pts = piece.into_iter();
                last = Some(if s.dashed {
                    chart.draw_series(DashedLineSeries::new(pts, 6, 4, style)).map_err(err)?
                } else {
                    chart.draw_series(LineSeries::new(pts, style)).map_err(err)?
                });
            }
            let anno = last.expect("a series with points has a stroke");
            if s.dashed {
                anno.label(s.name.as_str()).legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], c.stroke_width(2))
                        + PathElement::new(vec![(11, 0), (18, 0)], c.stroke_width(2))
                });
            } else {
                anno.label(s.name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)
    }

    fn draw_stacked<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            '_,
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let solid: Vec<&Series> = self.series.iter().filter(|s| !s.dashed).collect();
        let mut base: Vec<(f64, f64)> =
            solid.first().map(|s| s.points.iter().map(|p| (p.0, 0.0)).collect()).unwrap_or_default();
        let mut layers = Vec::new();
        for s in &solid {
            let top: Vec<(f64, f64)> = base.iter().zip(&s.points).map(|(b, p)| (p.0, b.1 + p.1)).collect();
            layers.push((s, top.clone()));
            base = top;
        }
        // Draw the highest layer first so that every lower one paints over its part.
        for (s, top) in layers.iter().rev() {
            let c = colour(s.colour);
            chart
                .draw_series(AreaSeries::new(top.iter().copied(), 0.0, c.mix(0.75)).border_style(c.stroke_width(1)))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.mix(0.75).filled()));
        }
        Ok(())
    }

    fn draw_bars<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<
            '_,
            DB,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let solid: Vec<&Series> = self.series.iter().filter(|s| !s.dashed).collect();
        let width = 0.8 / solid.len().max(1) as f64;
        for (k, s) in solid.iter().enumerate() {
            let c = colour(s.colour);
            chart
                .draw_series(s.points.iter().map(|&(x, y)| {
                    let left = x - 0.4 + k as f64 * width;
                    Rectangle::new([(left, 0.0), (left + width * 0.9, y)], c.filled())
                }))?
                .label(s.name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], c.filled()));
        }
        Ok(())
    }

    /// The chart as an SVG document.
    pub fn to_svg(&self) -> Result<String, String> {
        register_font();
        let mut buf = String::new();
        {
            let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
            self.draw(&root)?;
        }
        Ok(buf)
    }

    /// Writes the chart as a PNG file.
    pub fn write_png(&self, path: &Path) -> Result<(), String> {
        register_font();
        let root = BitMapBackend::new(path, SIZE).into_drawing_area();
        self.draw(&root)
    }
}

/// Registers the bundled font once per process.
fn register_font() {
    REGISTER.call_once(|| {
        // The font is compiled in and known to parse; a failure would only lose PNG text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_split_where_the_path_turns_back_and_drop_repeated_pixels() {
        let px = |p: &(f64, f64)| (p.0 as i32, p.1 as i32);
        // Up, then straight back down in the same column: two strokes sharing the turning point.
        let pts = [(0.0, 0.0), (1.0, 0.0), (1.0, 5.0), (1.2, 1.0), (3.0, 1.0)];
        assert_eq!(
            strokes(&pts, px),
            vec![vec![(0.0, 0.0), (1.0, 0.0), (1.0, 5.0)], vec![(1.0, 5.0), (1.2, 1.0), (3.0, 1.0)]]
        );
        // Right-angle steps keep one stroke; a point on the same pixel is dropped.
        let steps = [(0.0, 0.0), (2.0, 0.0), (2.0, 3.0), (2.4, 3.0), (4.0, 3.0)];
        assert_eq!(strokes(&steps, px), vec![vec![(0.0, 0.0), (2.0, 0.0), (2.0, 3.0), (4.0, 3.0)]]);
    }

    #[test]
    fn svg_has_the_series_and_is_deterministic() {
        let chart = Chart {
            id: "t".into(),
            title: "Test <&>".into(),
            x_label: "time".into(),
            y_label: "GPUs".into(),
            x: XAxis::Time,
            y: YAxis::Plain,
            kind: Kind::Stacked,
            series: vec![
                Series::solid("a", 0, vec![(0.0, 1.0), (60.0, 2.0)]),
                Series::solid("b", 1, vec![(0.0, 1.0), (60.0, 1.0)]),
                Series::dashed("capacity", 7, vec![(0.0, 4.0), (60.0, 4.0)]),
            ],
            caption: String::new(),
        };
        let svg = chart.to_svg().unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50]);
        assert!(svg.contains("<polygon") || svg.contains("<path"), "areas drawn");
        assert!(svg.contains("&lt;&amp;&gt;"), "the SVG backend escapes text");
        assert_eq!(svg, chart.to_svg().unwrap());
        assert_eq!(short_duration(5400.0), "1.5h");
    }
}
