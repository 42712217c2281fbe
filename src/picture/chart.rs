//! Charts drawn by `plotters` (ROC curves against a bound, embeddings, metrics against ε), as
//! SVG text ([`Plot::svg`], for the report) or an RGB PNG ([`Plot::png`]).
//!
//! Log axes are drawn in log10 space, decades (or 1, 2, 5 × 10^k) labelled by their value.
//! Points with a non-finite coordinate, or a non-positive one on a log axis, are skipped; lines
//! break where they leave the plot area (plotters clips nothing). The legend stands right of
//! the plot. Text sizes are even: plotters' glyph placement rounds odd halves unevenly.
use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::backend::{drawing_error, encode_png, register_fonts, FAMILY};

const INK: RGBColor = RGBColor(30, 30, 30);

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Line,
    Dashed,
    Markers,
    LineWithMarkers,
    /// Markers joined by a dashed line (a bound at a few points: one point still shows).
    DashedWithMarkers,
    /// A dashed upper bound with the region above it shaded: where no point may lie.
    Bound,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Cross,
}

/// One labelled set of points. An empty label leaves the series out of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: [u8; 3],
    pub style: Style,
    pub marker: Marker,
    /// A vertical bar `(low, high)` through each point (a spread over replicates); none if empty.
    pub spread: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        color: [u8; 3],
        style: Style,
    ) -> Self {
        Self {
            label: label.into(),
            points,
            color,
            style,
            marker: Marker::Circle,
            spread: Vec::new(),
        }
    }
}

/// A chart: title, axes, series, legend. Ranges left `None` follow the data, padded by 5 %.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plot {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    /// A dotted `y = x` reference (the chance line of an ROC curve), listed in the legend.
    pub diagonal: bool,
}

/// Okabe–Ito's colour-blind-safe colours, yellow (faint as a line on white) late and black
/// last (the bounds' colour): orange, sky blue, bluish green, blue, vermillion, reddish purple,
/// yellow, black; `i` cycles.
pub fn palette(i: usize) -> [u8; 3] {
    const OKABE_ITO: [u32; 8] = [
        0xE69F00, 0x56B4E9, 0x009E73, 0x0072B2, 0xD55E00, 0xCC79A7, 0xF0E442, 0,
    ];
    let c = OKABE_ITO[i % OKABE_ITO.len()];
    [(c >> 16) as u8, (c >> 8) as u8, c as u8]
}

/// `v` in an axis's drawing space (log10 of it on a log axis), where it can be drawn.
fn to_space(log: bool, v: f64) -> Option<f64> {
    let s = if log { v.log10() } else { v };
    s.is_finite().then_some(s)
}

/// One axis: its range in drawing space.
#[derive(Clone, Copy, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

/// Plotters draws an axis in drawing space, with [`Axis::ticks`] as its grid lines.
impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (a, b): (i32, i32)) -> i32 {
        a + ((v - self.lo) / (self.hi - self.lo) * f64::from(b - a)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        self.ticks(hint.weight().allow_light_points())
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl Axis {
    /// The axis over `explicit` (data space) or `values` (drawing space); a single value is
    /// widened to a range.
    fn new(
        log: bool,
        explicit: Option<(f64, f64)>,
        values: &[f64],
        name: &str,
    ) -> anyhow::Result<Self> {
        let (lo, hi) = match explicit {
            Some((lo, hi)) => {
                let (Some(l), Some(h)) = (to_space(log, lo), to_space(log, hi)) else {
                    anyhow::bail!(
                        "{name} range ({lo}, {hi}) must be finite (positive on a log axis)"
                    )
                };
                anyhow::ensure!(l <= h, "{name} range ({lo}, {hi}) runs backwards");
                (l, h)
            }
            None if values.is_empty() => (0.0, 1.0),
            None => {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                (lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05)
            }
        };
        anyhow::ensure!(
            (hi - lo).is_finite(),
            "{name} values span more than f64 holds"
        );
        let w = match hi - lo > 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
            true => 0.0,
            false if log => 0.5,
            false => (lo.abs() * 0.1).max(0.5),
        };
        let (lo, hi) = (lo - w, hi + w);
        Ok(Self { lo, hi, log })
    }

    fn linear(lo: f64, hi: f64) -> Self {
        Self { lo, hi, log: false }
    }

    /// The data value at drawing-space position `s`.
    fn value(&self, s: f64) -> f64 {
        if self.log {
            10f64.powf(s)
        } else {
            s
        }
    }

    /// About eight labelled ticks, or the minor grid lines, in drawing space: plotters' round
    /// values on a linear axis; on a log axis decades (every few when many) with 2..9 × 10^k
    /// minor, or 1, 2, 5 × 10^k labelled when it spans under two decades.
    fn ticks(&self, minor_ones: bool) -> Vec<f64> {
        let target = 8;
        let linear = |lo: f64, hi: f64, n: usize| RangedCoordf64::from(lo..hi).key_points(n);
        if !self.log {
            // shifted near 0, where plotters' rounding does not drop the last tick
            let decade = 10f64.powf((self.hi - self.lo).log10().ceil());
            let shift = (self.lo / decade).floor() * decade;
            let n = if minor_ones { 4 * target } else { target };
            let ticks = linear(self.lo - shift, self.hi - shift, n);
            return ticks.into_iter().map(|t| t + shift).collect();
        }
        let (first, last) = (self.lo.floor() as i64, self.hi.ceil() as i64);
        let few = self.hi - self.lo < 2.0;
        let every = ((last - first) as f64 / target as f64).ceil().max(1.0) as i64;
        let (mut major, mut minor) = (Vec::new(), Vec::new());
        for k in first..=last {
            for m in 1..10 {
                let at = k as f64 + f64::from(m).log10();
                if !(self.lo - 1e-9..=self.hi + 1e-9).contains(&at) {
                } else if (m == 1 && (k - first) % every == 0) || (few && (m == 2 || m == 5)) {
                    major.push(at);
                } else if every == 1 {
                    minor.push(at);
                }
            }
        }
        if major.len() < 2 {
            let values = linear(self.value(self.lo), self.value(self.hi), target);
            major = values
                .into_iter()
                .filter_map(|v| to_space(true, v))
                .collect();
        }
        match minor_ones {
            true => minor,
            false => major,
        }
    }
}

/// A tick label: six significant digits at most, in scientific notation outside
/// [0.001, 100 000): `0.25`, `1e-5`, `2.5e6`.
fn number(v: f64) -> String {
    let v = format!("{v:.5e}").parse().unwrap_or(v) + 0.0; // `+ 0.0`: no "-0"
    match v != 0.0 && !(1e-3..1e5).contains(&v.abs()) {
        true => format!("{v:e}"),
        false => format!("{v}"),
    }
}

/// `s` drawn on `area` from its `points` (in drawing space) within the box `x × y`: the
/// shaded region above a bound, its line (broken where it leaves the box), its markers and
/// its spread bars.
fn draw_series<DB: DrawingBackend>(
    area: &DrawingArea<DB, impl CoordTranslate<From = (f64, f64)>>,
    s: &Series,
    points: &[(f64, f64)],
    (x, y): (&Axis, &Axis),
) -> DrawResult<(), DB> {
    let color = RGBColor(s.color[0], s.color[1], s.color[2]);
    let line = color.stroke_width(2);
    let inside = |p: &(f64, f64)| (x.lo..=x.hi).contains(&p.0) && (y.lo..=y.hi).contains(&p.1);
    if let (Style::Bound, [first, .., last]) = (s.style, points) {
        let clamp = |p: &(f64, f64)| (p.0.clamp(x.lo, x.hi), p.1.clamp(y.lo, y.hi));
        let ends = [(clamp(last).0, y.hi), (clamp(first).0, y.hi)];
        let region: Vec<_> = points.iter().map(clamp).chain(ends).collect();
        area.draw(&Polygon::new(region, color.mix(0.12).filled()))?;
    }
    for run in points.split(|p| !inside(p)).filter(|r| r.len() > 1) {
        match s.style {
            Style::Dashed | Style::DashedWithMarkers | Style::Bound => {
                area.draw(&DashedPathElement::new(run.to_vec(), 8, 5, line))?
            }
            Style::Line | Style::LineWithMarkers => area.draw(&PathElement::new(run, line))?,
            Style::Markers => {}
        }
    }
    let marked = matches!(
        s.style,
        Style::Markers | Style::LineWithMarkers | Style::DashedWithMarkers
    );
    for &p in points.iter().filter(|p| marked && inside(p)) {
        match s.marker {
            Marker::Circle => area.draw(&Circle::new(p, 4, color.filled()))?,
            Marker::Cross => area.draw(&Cross::new(p, 4, line))?,
        }
    }
    for (&(px, py), &(lo, hi)) in s.points.iter().zip(&s.spread) {
        let at = |v: f64| to_space(y.log, v).map(|v| v.clamp(y.lo, y.hi));
        let px = to_space(x.log, px).filter(|px| (x.lo..=x.hi).contains(px));
        if let (Some(px), Some(py), Some(lo), Some(hi)) = (px, at(py), at(lo), at(hi)) {
            area.draw(&ErrorBar::new_vertical(px, lo, py, hi, line, 10))?;
        }
    }
    Ok(())
}

impl Plot {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        let mut plot = Self::default();
        (plot.title, plot.x_label, plot.y_label) = (title.into(), x_label.into(), y_label.into());
        plot
    }

    /// The chart as SVG text of `width × height` user units (with a viewBox, so it scales).
    pub fn svg(&self, width: u32, height: u32) -> anyhow::Result<String> {
        let mut svg = String::new();
        self.render(SVGBackend::with_string(&mut svg, (width, height)))?;
        Ok(svg)
    }

    /// The chart as a `width × height` RGB PNG.
    pub fn png(&self, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(
            (160..=8192).contains(&width) && (120..=8192).contains(&height),
            "a chart must be 160×120 to 8192×8192 pixels, not {width}×{height}"
        );
        let mut rgb = vec![255u8; width as usize * height as usize * 3];
        self.render(BitMapBackend::with_buffer(&mut rgb, (width, height)))?;
        encode_png(&rgb, width as usize, height as usize, png::ColorType::Rgb)
    }

    fn render<DB: DrawingBackend>(&self, backend: DB) -> anyhow::Result<()> {
        let root = backend.into_drawing_area();
        self.draw(&root, self.axes()?).map_err(drawing_error)?;
        root.present().map_err(drawing_error)
    }

    /// The drawable points of `points`, in drawing space.
    fn drawable(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let space = |(x, y): (f64, f64)| Some((to_space(self.log_x, x)?, to_space(self.log_y, y)?));
        points.iter().filter_map(|&p| space(p)).collect()
    }

    /// The axes over every drawable point and spread bar, or the explicit ranges.
    fn axes(&self) -> anyhow::Result<(Axis, Axis)> {
        let mut all = Vec::new();
        for s in &self.series {
            let bars = s.points.iter().zip(&s.spread);
            all.extend(s.points.iter().copied());
            all.extend(bars.flat_map(|(p, bar)| [(p.0, bar.0), (p.0, bar.1)]));
        }
        let (xs, ys): (Vec<f64>, Vec<f64>) = self.drawable(&all).into_iter().unzip();
        let x = Axis::new(self.log_x, self.x_range, &xs, "x")?;
        Ok((x, Axis::new(self.log_y, self.y_range, &ys, "y")?))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        (x, y): (Axis, Axis),
    ) -> DrawResult<(), DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let mut series: Vec<&Series> = self.series.iter().collect();
        let diagonal = self.diagonal.then(|| {
            let along = (0..=200).map(|i| x.value(x.lo + (x.hi - x.lo) * f64::from(i) / 200.0));
            let points = along.map(|v| (v, v)).collect();
            Series::new("y = x (guessing)", points, [140, 140, 140], Style::Dashed)
        });
        series.extend(diagonal.as_ref());
        let font = FontDesc::new(FontFamily::Name(FAMILY), 18.0, FontStyle::Normal);
        let mut legend = series.clone();
        legend.retain(|s| !s.label.is_empty());
        let legend_w = (legend.iter())
            .map(|s| font.box_size(&s.label).map_or(0, |b| b.0) + 56)
            .max()
            .map_or(0, |w| w.min(root.dim_in_pixel().0 * 2 / 5));
        let (area, legend_area) = root.split_horizontally(root.dim_in_pixel().0 - legend_w);
        let mut builder = ChartBuilder::on(&area);
        if !self.title.is_empty() {
            builder.caption(&self.title, (FAMILY, 24).into_font().color(&INK));
        }
        let mut chart = builder
            .margin(16)
            .x_label_area_size(60)
            .y_label_area_size(86)
            .build_cartesian_2d(x, y)?;
        let (fx, fy) = (|v: &f64| number(x.value(*v)), |v: &f64| number(y.value(*v)));
        let (grid, minor_grid) = (RGBColor(222, 222, 222), RGBColor(243, 243, 243));
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_style(INK);
        mesh.x_label_formatter(&fx).y_label_formatter(&fy);
        mesh.label_style(font.color(&INK))
            .axis_desc_style(font.color(&INK));
        mesh.bold_line_style(grid)
            .light_line_style(minor_grid)
            .draw()?;
        let plot = chart.plotting_area();
        for s in &series {
            draw_series(plot, s, &self.drawable(&s.points), (&x, &y))?;
        }
        if self
            .series
            .iter()
            .all(|s| self.drawable(&s.points).is_empty())
        {
            let style = font.color(&INK).pos(Pos::new(HPos::Center, VPos::Center));
            let centre = ((x.lo + x.hi) / 2.0, (y.lo + y.hi) / 2.0);
            plot.draw(&Text::new("no data", centre, style))?;
        }
        plot.draw(&Rectangle::new([(x.lo, y.lo), (x.hi, y.hi)], INK))?;
        // The legend, one row a labelled series: a swatch drawn as the series is, its label.
        let (w, h) = legend_area.dim_in_pixel();
        let legend_chart = ChartBuilder::on(&legend_area)
            .build_cartesian_2d(0.0..f64::from(w), 0.0..f64::from(h))?;
        let legend_plot = legend_chart.plotting_area();
        let style = font.color(&INK).pos(Pos::new(HPos::Left, VPos::Center));
        for (i, s) in legend.into_iter().enumerate() {
            let row = f64::from(h) - 60.0 - 26.0 * i as f64;
            let (sx, sy) = (Axis::linear(0.0, 40.0), Axis::linear(row - 9.0, row + 9.0));
            let swatch = match s.style {
                Style::Markers => vec![(19.0, row)],
                _ => vec![(4.0, row), (34.0, row)],
            };
            let plain = Series {
                spread: Vec::new(),
                ..s.clone()
            };
            draw_series(legend_plot, &plain, &swatch, (&sx, &sy))?;
            legend_plot.draw(&Text::new(s.label.as_str(), (44.0, row), style.clone()))?;
        }
        Ok(())
    }
}
