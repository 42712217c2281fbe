//! Line charts and scatter plots as RGB PNGs: ROC curves against a privacy bound, 2-D embeddings
//! coloured by class, metric-vs-ε sweeps.
//!
//! A [`Plot`] holds [`Series`] of `(x, y)` points, each drawn as a line, a dashed line, markers,
//! or a line with markers, in its colour (see [`palette`]). Axes get "nice" ticks (1, 2, 5 × 10^k;
//! decades on log axes), tick labels, axis labels, a title and a legend, all in an 8×8 bitmap
//! font. Points with a NaN or infinite coordinate (or a non-positive one on a log axis) are
//! skipped: lines join the remaining points. Drawing never panics on data; an image too small to
//! hold the axes, or an explicit range that is not finite (or not positive on a log axis), is an
//! error. Bytes go to disk with `crate::files::write_atomic`.
pub use super::canvas::Marker;
use super::canvas::{Canvas, Rect, Rgb};
use super::text;

const BACKGROUND: Rgb = [255, 255, 255];
const INK: Rgb = [30, 30, 30];
const FRAME: Rgb = [90, 90, 90];
const GRID: Rgb = [228, 228, 228];
const MINOR_GRID: Rgb = [243, 243, 243];
const REFERENCE: Rgb = [140, 140, 140];
const FADED: Rgb = [150, 150, 150];

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A solid line through the points (nothing with fewer than two points).
    Line,
    /// A dashed line, for bounds and references.
    Dashed,
    /// A marker at each point ([`Series::marker`] picks the shape).
    Markers,
    /// A solid line with a marker at each point.
    LineWithMarkers,
}

/// One labelled set of points. An empty label leaves the series out of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub color: [u8; 3],
    pub style: Style,
    /// Marker shape for [`Style::Markers`] and [`Style::LineWithMarkers`].
    pub marker: Marker,
}

impl Series {
    /// A series with filled circles as its marker.
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
        }
    }

    /// A solid line.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, color: [u8; 3]) -> Self {
        Self::new(label, points, color, Style::Line)
    }

    /// A dashed line.
    pub fn dashed(label: impl Into<String>, points: Vec<(f64, f64)>, color: [u8; 3]) -> Self {
        Self::new(label, points, color, Style::Dashed)
    }

    /// Markers only (a scatter).
    pub fn scatter(
        label: impl Into<String>,
        points: Vec<(f64, f64)>,
        color: [u8; 3],
        marker: Marker,
    ) -> Self {
        Self::new(label, points, color, Style::Markers).with_marker(marker)
    }

    pub fn with_marker(mut self, marker: Marker) -> Self {
        self.marker = marker;
        self
    }
}

/// A chart: axes, series, legend. Ranges left `None` follow the data, padded by 5 %.
#[derive(Clone, Debug, PartialEq)]
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

/// Okabe–Ito's colour-blind-safe colours, in their order but with black moved last (it is the
/// axes' colour): orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple,
/// black; `i` cycles.
pub fn palette(i: usize) -> [u8; 3] {
    const OKABE_ITO: [[u8; 3]; 8] = [
        [230, 159, 0],
        [86, 180, 233],
        [0, 158, 115],
        [240, 228, 66],
        [0, 114, 178],
        [213, 94, 0],
        [204, 121, 167],
        [0, 0, 0],
    ];
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// About `target` evenly spaced round values (steps of 1, 2 or 5 × 10^k) within `[lo, hi]`:
/// `nice_ticks(0.0, 1.0, 5)` is `[0, 0.2, 0.4, 0.6, 0.8, 1]`. Empty for a non-finite or empty
/// range.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    match nice_step(lo, hi, target) {
        Some(step) => ticks_with_step(lo, hi, step),
        None => Vec::new(),
    }
}

fn nice_step(lo: f64, hi: f64, target: usize) -> Option<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return None;
    }
    let raw = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    // The round step whose tick count comes closest to the target (the coarser on a tie).
    let count = |s: f64| (span / s - target as f64).abs();
    let step = [10.0, 5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * magnitude)
        .fold(10.0 * magnitude, |best, s| {
            if count(s) < count(best) - 1e-9 {
                s
            } else {
                best
            }
        });
    (step > 0.0 && step.is_finite()).then_some(step)
}

fn ticks_with_step(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let eps = step * 1e-9;
    let first = ((lo - eps) / step).ceil();
    let last = ((hi + eps) / step).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 1000.0 {
        return Vec::new();
    }
    // Multiples of the step, rounded so that 0.1 × 3 prints as 0.3; `+ 0.0` turns −0 into 0.
    let decimals = (-step.log10().floor()).max(0.0) as i32 + 1;
    let round = |v: f64| {
        let scale = 10f64.powi(decimals.min(300));
        let r = (v * scale).round() / scale;
        if r.is_finite() {
            r
        } else {
            v
        }
    };
    (0..=(last - first) as i64)
        .map(|i| round((first + i as f64) * step) + 0.0)
        .collect()
}

/// A tick label with as many decimals as `step` needs; scientific for very large or small.
fn format_tick(v: f64, step: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e6 || step < 1e-4 {
        return short_exp(v, 3);
    }
    let decimals = (-(step.log10() + 1e-9).floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// `v` in scientific notation with at most `digits` significant digits, trailing zeros dropped:
/// `1e-3`, `2.5e6`.
fn short_exp(v: f64, digits: usize) -> String {
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}e{exponent}")
}

/// A value with up to three significant digits, plainly when short.
fn format_sig(v: f64) -> String {
    let rounded: f64 = short_exp(v, 3).parse().unwrap_or(v);
    let plain = format!("{rounded}");
    if plain.len() <= 6 {
        plain
    } else {
        short_exp(v, 3)
    }
}

/// One axis: its range in drawing space (log10 of the value on a log axis).
#[derive(Clone, Copy, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

/// A tick: position in drawing space and its label (empty for minor ticks).
struct Tick {
    at: f64,
    label: String,
}

impl Axis {
    /// `v` in drawing space, or `None` where it cannot be drawn.
    fn to_space(log: bool, v: f64) -> Option<f64> {
        if log {
            (v > 0.0 && v.is_finite()).then(|| v.log10())
        } else {
            v.is_finite().then_some(v)
        }
    }

    /// The axis over `values` (already in drawing space), or over `explicit` (in data space).
    fn new(
        log: bool,
        explicit: Option<(f64, f64)>,
        values: impl Iterator<Item = f64>,
        name: &str,
    ) -> anyhow::Result<Self> {
        let (lo, hi) = match explicit {
            Some((lo, hi)) => {
                let (Some(l), Some(h)) = (Self::to_space(log, lo), Self::to_space(log, hi)) else {
                    anyhow::bail!(
                        "{name} range ({lo}, {hi}) must be finite{}",
                        if log {
                            " and positive on a log axis"
                        } else {
                            ""
                        }
                    );
                };
                anyhow::ensure!(l <= h, "{name} range ({lo}, {hi}) runs backwards");
                (l, h)
            }
            None => {
                let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
                if lo > hi {
                    (0.0, 1.0) // no data: 0..1, or 1..10 on a log axis
                } else {
                    let pad = (hi - lo) * 0.05;
                    (lo - pad, hi + pad)
                }
            }
        };
        let (lo, hi) = if hi - lo > f64::EPSILON * lo.abs().max(hi.abs()).max(1e-300)
            && (hi - lo).is_finite()
        {
            (lo, hi)
        } else if log {
            (lo - 0.5, hi + 0.5)
        } else {
            let w = (lo.abs() * 0.1).max(0.5);
            (lo - w, hi + w)
        };
        Ok(Self { lo, hi, log })
    }

    /// Fraction of the way along the axis, for a value in drawing space.
    fn frac(&self, s: f64) -> f64 {
        (s - self.lo) / (self.hi - self.lo)
    }

    /// Labelled ticks, about `target` of them, plus unlabelled minor ticks on log axes.
    fn ticks(&self, target: usize) -> Vec<Tick> {
        if !self.log {
            let Some(step) = nice_step(self.lo, self.hi, target) else {
                return Vec::new();
            };
            return ticks_with_step(self.lo, self.hi, step)
                .into_iter()
                .map(|v| Tick {
                    at: v,
                    label: format_tick(v, step),
                })
                .collect();
        }
        let (first, last) = (self.lo.ceil() as i64, self.hi.floor() as i64);
        if last - first >= 2 {
            // Decades, every `every`th labelled, and 2..9 × 10^k as minor ticks while sparse.
            let decades = last - first + 1;
            let every = ((decades as f64 / target.max(1) as f64).ceil() as i64).max(1);
            let plain = first >= -1 && last <= 3;
            let mut ticks = Vec::new();
            for k in (self.lo.floor() as i64)..=last {
                if k >= first && (k - first) % every == 0 {
                    let label = match k {
                        0 => "1".to_string(),
                        _ if plain => format_sig(10f64.powi(k as i32)),
                        _ => format!("1e{k}"),
                    };
                    ticks.push(Tick {
                        at: k as f64,
                        label,
                    });
                }
                if every == 1 && decades <= 12 {
                    for m in 2..10 {
                        let at = k as f64 + f64::from(m).log10();
                        if at >= self.lo && at <= self.hi {
                            ticks.push(Tick {
                                at,
                                label: String::new(),
                            });
                        }
                    }
                }
            }
            return ticks;
        }
        // Fewer than three decades: 1, 2, 5 × 10^k labelled (or finer round values, if that
        // gives fewer than three), the other integers × 10^k as minor ticks.
        let (vlo, vhi) = (10f64.powf(self.lo), 10f64.powf(self.hi));
        let inside = |v: f64| v >= vlo * (1.0 - 1e-12) && v <= vhi * (1.0 + 1e-12);
        let mut ticks: Vec<Tick> = Vec::new();
        for k in (self.lo.floor() as i64)..=(self.hi.ceil() as i64) {
            for m in 1..10 {
                let v = f64::from(m) * 10f64.powi(k as i32);
                if inside(v) {
                    let label = if [1, 2, 5].contains(&m) {
                        format_sig(v)
                    } else {
                        String::new()
                    };
                    ticks.push(Tick {
                        at: v.log10(),
                        label,
                    });
                }
            }
        }
        if ticks.iter().filter(|t| !t.label.is_empty()).count() < 3 {
            ticks = nice_ticks(vlo, vhi, target)
                .into_iter()
                .filter(|&v| v > 0.0)
                .map(|v| Tick {
                    at: v.log10(),
                    label: format_sig(v),
                })
                .collect();
        }
        ticks
    }
}

/// Where things landed, for tests.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Layout {
    plot: Rect,
    legend: Option<Rect>,
}

/// Where a plot's parts go: axes, ticks, the plot area and the sizes of text and marks.
struct Geometry {
    xa: Axis,
    ya: Axis,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    plot: Rect,
    /// Text scale, and the title's.
    s: usize,
    ts: usize,
    si: i32,
    pad: i32,
    tick_len: i32,
    line_h: i32,
}

impl Geometry {
    fn to_px(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let plot = self.plot;
        (
            f64::from(plot.x0) + self.xa.frac(x) * f64::from(plot.width()),
            f64::from(plot.y1) - self.ya.frac(y) * f64::from(plot.height()),
        )
    }

    fn tick_x(&self, t: &Tick) -> i32 {
        (self.to_px((t.at, self.ya.lo)).0.floor() as i32).min(self.plot.x1 - 1)
    }

    fn tick_y(&self, t: &Tick) -> i32 {
        (self.to_px((self.xa.lo, t.at)).1.floor() as i32).min(self.plot.y1 - 1)
    }

    /// Grid lines at the ticks (fainter at unlabelled minor ones).
    fn grid(&self, canvas: &mut Canvas) {
        let plot = self.plot;
        for t in &self.x_ticks {
            let x = self.tick_x(t);
            let color = if t.label.is_empty() { MINOR_GRID } else { GRID };
            canvas.fill_rect(Rect::new(x, plot.y0, x + 1, plot.y1), color);
        }
        for t in &self.y_ticks {
            let y = self.tick_y(t);
            let color = if t.label.is_empty() { MINOR_GRID } else { GRID };
            canvas.fill_rect(Rect::new(plot.x0, y, plot.x1, y + 1), color);
        }
    }

    /// Tick marks and their labels outside the frame.
    fn ticks(&self, canvas: &mut Canvas) {
        let (plot, s, si, tick_len) = (self.plot, self.s, self.si, self.tick_len);
        for t in &self.x_ticks {
            let x = self.tick_x(t);
            let len = if t.label.is_empty() {
                tick_len / 2
            } else {
                tick_len
            };
            canvas.fill_rect(Rect::new(x, plot.y1, x + 1, plot.y1 + len), FRAME);
            let tw = text::width(&t.label, s) as i32;
            text::draw(
                canvas,
                x - tw / 2,
                plot.y1 + tick_len + 4 * si,
                &t.label,
                s,
                INK,
            );
        }
        for t in &self.y_ticks {
            let y = self.tick_y(t);
            let len = if t.label.is_empty() {
                tick_len / 2
            } else {
                tick_len
            };
            canvas.fill_rect(Rect::new(plot.x0 - len, y, plot.x0, y + 1), FRAME);
            let tw = text::width(&t.label, s) as i32;
            let x = plot.x0 - tick_len - 4 * si - tw;
            text::draw(canvas, x, y - self.line_h / 2, &t.label, s, INK);
        }
    }
}

impl Plot {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_range: None,
            y_range: None,
            log_x: false,
            log_y: false,
            series: Vec::new(),
            diagonal: false,
        }
    }

    pub fn with_series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    pub fn with_x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    pub fn with_log_x(mut self) -> Self {
        self.log_x = true;
        self
    }

    pub fn with_log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    /// Adds the dotted `y = x` reference.
    pub fn with_diagonal(mut self) -> Self {
        self.diagonal = true;
        self
    }

    /// The plot as a `width × height` RGB PNG.
    pub fn encode_png(&self, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
        self.render(width, height)?.0.encode_png()
    }

    /// The drawable points of `series`, in drawing space.
    fn drawable(&self, series: &Series) -> Vec<(f64, f64)> {
        series
            .points
            .iter()
            .filter_map(|&(x, y)| {
                Some((
                    Axis::to_space(self.log_x, x)?,
                    Axis::to_space(self.log_y, y)?,
                ))
            })
            .collect()
    }

    fn render(&self, width: u32, height: u32) -> anyhow::Result<(Canvas, Layout)> {
        anyhow::ensure!(
            (160..=8192).contains(&width) && (120..=8192).contains(&height),
            "a plot must be 160×120 to 8192×8192 pixels, not {width}×{height}"
        );
        let drawable: Vec<Vec<(f64, f64)>> = self.series.iter().map(|s| self.drawable(s)).collect();
        let g = self.geometry(width, height, &drawable)?;
        let mut canvas = Canvas::new(width as usize, height as usize, BACKGROUND);
        g.grid(&mut canvas);
        let legend_avoid = self.draw_data(&mut canvas, &g, &drawable);
        if drawable.iter().flatten().next().is_none() {
            let (plot, ts) = (g.plot, g.ts);
            let msg = "no data";
            let (tw, th) = (text::width(msg, ts) as i32, text::height(ts) as i32);
            let (cx, cy) = ((plot.x0 + plot.x1) / 2, (plot.y0 + plot.y1) / 2);
            text::draw(&mut canvas, cx - tw / 2, cy - th / 2, msg, ts, FADED);
        }
        canvas.outline_rect(g.plot, FRAME);
        g.ticks(&mut canvas);
        self.draw_labels(&mut canvas, &g);
        let legend = self.draw_legend(&mut canvas, g.plot, g.s, &legend_avoid);
        Ok((
            canvas,
            Layout {
                plot: g.plot,
                legend,
            },
        ))
    }

    /// Axes, ticks and the plot area for a `width × height` picture of `drawable`.
    fn geometry(
        &self,
        width: u32,
        height: u32,
        drawable: &[Vec<(f64, f64)>],
    ) -> anyhow::Result<Geometry> {
        let (w, h) = (width as i32, height as i32);
        let all = || drawable.iter().flatten();
        let xa = Axis::new(self.log_x, self.x_range, all().map(|p| p.0), "x")?;
        let ya = Axis::new(self.log_y, self.y_range, all().map(|p| p.1), "y")?;
        // Sizes scale with the image: text 1× up to ~1000 px, 2× beyond; title twice that.
        let s = if width.min(height) >= 1000 { 2 } else { 1 };
        let ts = 2 * s;
        let si = s as i32;
        let pad = 8 * si;
        let tick_len = 5 * si;
        let line_h = text::height(s) as i32;
        let title_h = if self.title.is_empty() {
            0
        } else {
            text::height(ts) as i32 + pad
        };
        let top = pad + title_h;
        let x_label_h = if self.x_label.is_empty() {
            0
        } else {
            line_h + pad
        };
        let bottom = tick_len + 4 * si + line_h + pad + x_label_h;
        let est_h = (h - top - bottom).max(1);
        let y_ticks = ya.ticks((est_h / (40 * si)).clamp(2, 10) as usize);
        let y_label_w = y_ticks
            .iter()
            .map(|t| text::width(&t.label, s))
            .max()
            .unwrap_or(0) as i32;
        let y_title_w = if self.y_label.is_empty() {
            0
        } else {
            line_h + pad
        };
        let left = pad + y_title_w + y_label_w + tick_len + 4 * si;
        let right = pad + 3 * 8 * si;
        let plot = Rect::new(left, top, w - right, h - bottom);
        anyhow::ensure!(
            plot.width() >= 40 && plot.height() >= 40,
            "{width}×{height} pixels leave no room for the plot area"
        );
        let x_ticks = {
            let mut target = (plot.width() / (70 * si)).clamp(2, 10) as usize;
            loop {
                let ticks = xa.ticks(target);
                let labels: i32 = ticks
                    .iter()
                    .map(|t| text::width(&t.label, s) as i32 + 2 * pad)
                    .sum();
                if labels <= plot.width() || target <= 2 {
                    break ticks;
                }
                target -= 1;
            }
        };
        Ok(Geometry {
            xa,
            ya,
            x_ticks,
            y_ticks,
            plot,
            s,
            ts,
            si,
            pad,
            tick_len,
            line_h,
        })
    }

    /// The reference diagonal and the series, clipped to the inside of the frame; returns the
    /// pixels the legend should avoid.
    fn draw_data(
        &self,
        canvas: &mut Canvas,
        g: &Geometry,
        drawable: &[Vec<(f64, f64)>],
    ) -> Vec<(f64, f64)> {
        let (plot, si, xa, ya) = (g.plot, g.si, &g.xa, &g.ya);
        canvas.set_clip(Some(Rect::new(
            plot.x0 + 1,
            plot.y0 + 1,
            plot.x1 - 1,
            plot.y1 - 1,
        )));
        let data_w = 2.0 * f64::from(si);
        let mut legend_avoid: Vec<(f64, f64)> = Vec::new();
        if self.diagonal {
            let n = 400;
            let path: Vec<(f64, f64)> = (0..=n)
                .filter_map(|i| {
                    let sx = xa.lo + (xa.hi - xa.lo) * f64::from(i) / f64::from(n);
                    let v = if xa.log { 10f64.powf(sx) } else { sx };
                    Some(g.to_px((sx, Axis::to_space(ya.log, v)?)))
                })
                .collect();
            canvas.stroke(
                &path,
                1.5 * f64::from(si),
                REFERENCE,
                Some((2.0 * f64::from(si), 4.0 * f64::from(si))),
            );
            legend_avoid.extend(sample_path(&path));
        }
        for (series, points) in self.series.iter().zip(drawable) {
            let path: Vec<(f64, f64)> = points.iter().map(|&p| g.to_px(p)).collect();
            let (line, markers) = match series.style {
                Style::Line => (Some(None), false),
                Style::Dashed => (
                    Some(Some((8.0 * f64::from(si), 5.0 * f64::from(si)))),
                    false,
                ),
                Style::Markers => (None, true),
                Style::LineWithMarkers => (Some(None), true),
            };
            if let Some(dash) = line {
                canvas.stroke(&path, data_w, series.color, dash);
                legend_avoid.extend(sample_path(&path));
            }
            if markers {
                let size = if line.is_some() { 8.0 } else { 7.0 } * f64::from(si);
                for &(x, y) in &path {
                    canvas.marker(x, y, size, 1.5 * f64::from(si), series.marker, series.color);
                }
                legend_avoid.extend(&path);
            }
        }
        canvas.set_clip(None);
        legend_avoid
    }

    /// The axis titles and the plot's title.
    fn draw_labels(&self, canvas: &mut Canvas, g: &Geometry) {
        let (plot, s, si, pad) = (g.plot, g.s, g.si, g.pad);
        if !self.x_label.is_empty() {
            let tw = text::width(&self.x_label, s) as i32;
            let y = plot.y1 + g.tick_len + 4 * si + g.line_h + pad;
            let x = (plot.x0 + plot.x1) / 2 - tw / 2;
            text::draw(canvas, x, y, &self.x_label, s, INK);
        }
        if !self.y_label.is_empty() {
            let tw = text::width(&self.y_label, s) as i32;
            let y = (plot.y0 + plot.y1) / 2 + tw / 2;
            text::draw_up(canvas, pad, y, &self.y_label, s, INK);
        }
        if !self.title.is_empty() {
            let tw = text::width(&self.title, g.ts) as i32;
            let x = (plot.x0 + plot.x1) / 2 - tw / 2;
            text::draw(canvas, x, pad, &self.title, g.ts, INK);
        }
    }

    /// Draws the legend in the corner of `plot` covering the fewest of the `avoid` pixels;
    /// returns its box, or `None` when no series has a label.
    fn draw_legend(
        &self,
        canvas: &mut Canvas,
        plot: Rect,
        s: usize,
        avoid: &[(f64, f64)],
    ) -> Option<Rect> {
        let si = s as i32;
        let mut entries: Vec<(&str, Option<&Series>)> = self
            .series
            .iter()
            .filter(|series| !series.label.is_empty())
            .map(|series| (series.label.as_str(), Some(series)))
            .collect();
        if self.diagonal && !entries.is_empty() {
            entries.push(("y = x", None));
        }
        if entries.is_empty() {
            return None;
        }
        let (pad, swatch, row_h) = (6 * si, 28 * si, 14 * si);
        let label_w = entries
            .iter()
            .map(|(l, _)| text::width(l, s))
            .max()
            .unwrap_or(0) as i32;
        let (bw, bh) = (
            pad + swatch + pad + label_w + pad,
            2 * pad + row_h * entries.len() as i32 - 4 * si,
        );
        let m = 8 * si;
        let corners = [
            (plot.x1 - m - bw, plot.y0 + m),
            (plot.x0 + m, plot.y0 + m),
            (plot.x1 - m - bw, plot.y1 - m - bh),
            (plot.x0 + m, plot.y1 - m - bh),
        ];
        let covered = |&(x, y): &(i32, i32)| {
            let r = Rect::new(x - 4, y - 4, x + bw + 4, y + bh + 4);
            avoid.iter().filter(|&&(px, py)| r.contains(px, py)).count()
        };
        let (x0, y0) = corners
            .iter()
            .copied()
            .min_by_key(covered)
            .unwrap_or(corners[0]);
        let rect = Rect::new(x0, y0, x0 + bw, y0 + bh);
        canvas.fill_rect(rect, BACKGROUND);
        canvas.outline_rect(rect, [190, 190, 190]);
        for (i, (label, series)) in entries.iter().enumerate() {
            let cy = y0 + pad + row_h * i as i32 + (row_h - 4 * si) / 2;
            let (sx0, sx1) = (f64::from(x0 + pad), f64::from(x0 + pad + swatch));
            let mid = f64::from(cy) + 0.5;
            let fs = f64::from(si);
            match series {
                None => canvas.stroke(
                    &[(sx0, mid), (sx1, mid)],
                    1.5 * fs,
                    REFERENCE,
                    Some((2.0 * fs, 4.0 * fs)),
                ),
                Some(series) => {
                    let line = &[(sx0 + fs, mid), (sx1 - fs, mid)];
                    match series.style {
                        Style::Line | Style::LineWithMarkers => {
                            canvas.stroke(line, 2.0 * fs, series.color, None)
                        }
                        Style::Dashed => {
                            canvas.stroke(line, 2.0 * fs, series.color, Some((8.0 * fs, 5.0 * fs)))
                        }
                        Style::Markers => {}
                    }
                    if matches!(series.style, Style::Markers | Style::LineWithMarkers) {
                        let size = if series.style == Style::Markers {
                            7.0
                        } else {
                            8.0
                        } * fs;
                        canvas.marker(
                            (sx0 + sx1) / 2.0,
                            mid,
                            size,
                            1.5 * fs,
                            series.marker,
                            series.color,
                        );
                    }
                }
            }
            let ty = cy - text::height(s) as i32 / 2;
            text::draw(canvas, x0 + pad + swatch + pad, ty, label, s, INK);
        }
        Some(rect)
    }
}

/// Points along `path` every few pixels (at most a few thousand per segment), for the legend
/// to avoid.
fn sample_path(path: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for pair in path.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        let n = if len.is_finite() {
            (len / 4.0).ceil().clamp(1.0, 4000.0) as usize
        } else {
            1
        };
        out.extend((0..n).map(|i| {
            let t = i as f64 / n as f64;
            (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
        }));
    }
    out.extend(path.last());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn nice_ticks_are_round() {
        assert!(close(
            &nice_ticks(0.0, 1.0, 5),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
        assert!(close(
            &nice_ticks(0.0, 10.0, 5),
            &[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        ));
        assert!(close(
            &nice_ticks(-0.05, 1.05, 5),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
        assert!(close(&nice_ticks(0.0, 100.0, 3), &[0.0, 50.0, 100.0]));
        assert!(close(
            &nice_ticks(-3.0, 3.0, 6),
            &[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
        ));
        assert!(close(&nice_ticks(0.13, 0.31, 4), &[0.15, 0.2, 0.25, 0.3]));
        assert!(nice_ticks(1.0, 1.0, 5).is_empty());
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(nice_ticks(0.0, f64::INFINITY, 5).is_empty());
        // No −0 and no 0.30000000000000004.
        let t = nice_ticks(-0.1, 0.35, 5);
        assert_eq!(
            t.iter().map(|&v| format_tick(v, 0.1)).collect::<Vec<_>>(),
            ["-0.1", "0", "0.1", "0.2", "0.3"]
        );
        assert_eq!(format_tick(0.0, 0.1), "0");
        assert_eq!(format_tick(2.0e6, 1e6), "2e6");
        assert_eq!(short_exp(0.001, 3), "1e-3");
    }

    #[test]
    fn log_axes_place_decades_evenly() {
        let plot = Plot::new("", "", "")
            .with_log_x()
            .with_x_range(1e-3, 1.0)
            .with_series(Series::line("", vec![(1e-3, 0.0), (1.0, 1.0)], palette(0)));
        let (_, layout) = plot.render(640, 480).unwrap();
        let xa = Axis::new(true, plot.x_range, std::iter::empty(), "x").unwrap();
        let ticks: Vec<Tick> = xa
            .ticks(8)
            .into_iter()
            .filter(|t| !t.label.is_empty())
            .collect();
        let labels: Vec<&str> = ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["1e-3", "1e-2", "1e-1", "1"]);
        let px: Vec<f64> = ticks
            .iter()
            .map(|t| f64::from(layout.plot.x0) + xa.frac(t.at) * f64::from(layout.plot.width()))
            .collect();
        let gaps: Vec<f64> = px.windows(2).map(|p| p[1] - p[0]).collect();
        assert!(gaps.iter().all(|g| (g - gaps[0]).abs() < 1e-9), "{gaps:?}");
        assert!((px[0] - f64::from(layout.plot.x0)).abs() < 1e-9);
        assert!((px[3] - f64::from(layout.plot.x1)).abs() < 1e-9);
        // 1e-2 is a third of the way along: 10^-2 maps to (−2 + 3) / 3.
        assert!((xa.frac(0.01f64.log10()) - 1.0 / 3.0).abs() < 1e-12);
        // A sweep over 0.1..100 labels plainly.
        let sweep = Axis::new(true, Some((0.1, 100.0)), std::iter::empty(), "x").unwrap();
        let labels: Vec<String> = sweep
            .ticks(8)
            .into_iter()
            .map(|t| t.label)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(labels, ["0.1", "1", "10", "100"]);
    }

    #[test]
    fn a_known_line_is_drawn_in_its_colour_and_nowhere_else() {
        let color = [213, 94, 0];
        let plot = Plot::new("line", "x", "y")
            .with_x_range(0.0, 1.0)
            .with_y_range(0.0, 1.0)
            .with_series(Series::line("", vec![(0.0, 0.5), (1.0, 0.5)], color));
        let (canvas, layout) = plot.render(400, 300).unwrap();
        let p = layout.plot;
        let y = f64::from(p.y1) - 0.5 * f64::from(p.height());
        // Along the line (a 2-px line fully covers the row whose centre is within ½ px of y),
        // away from grid lines; background a few pixels above and below.
        for x in [p.x0 + 13, (p.x0 + p.x1) / 2 + 7, p.x1 - 13] {
            assert_eq!(canvas.pixel(x as usize, y as usize), Some(color), "x = {x}");
            assert_eq!(
                canvas.pixel(x as usize, y as usize - 4),
                Some(BACKGROUND),
                "x = {x}"
            );
            assert_eq!(
                canvas.pixel(x as usize, y as usize + 4),
                Some(BACKGROUND),
                "x = {x}"
            );
        }
        // Far from it: background, in the plot area.
        for (x, yy) in [
            (p.x0 + 13, p.y0 + 13),
            (p.x1 - 13, p.y1 - 13),
            ((p.x0 + p.x1) / 2 + 7, y as i32 + 20),
        ] {
            assert_eq!(
                canvas.pixel(x as usize, yy as usize),
                Some(BACKGROUND),
                "({x}, {yy})"
            );
        }
        // The same through PNG.
        let (w, h, rgb) = decode(&plot.encode_png(400, 300).unwrap());
        assert_eq!((w, h), (400, 300));
        let at = |x: i32, y: i32| {
            let i = (y as usize * w as usize + x as usize) * 3;
            [rgb[i], rgb[i + 1], rgb[i + 2]]
        };
        assert_eq!(at(p.x0 + 13, y as i32), color);
        assert_eq!(at(p.x0 + 13, p.y0 + 13), BACKGROUND);
    }

    #[test]
    fn png_has_the_asked_size() {
        let plot = Plot::new("t", "x", "y").with_series(Series::line(
            "a",
            vec![(0.0, 0.0), (1.0, 2.0)],
            palette(1),
        ));
        for (w, h) in [(160, 120), (640, 480), (1200, 1000)] {
            let (dw, dh, rgb) = decode(&plot.encode_png(w, h).unwrap());
            assert_eq!((dw, dh, rgb.len()), (w, h, (w * h * 3) as usize));
        }
        assert!(plot.encode_png(10, 10).is_err());
        assert!(plot.encode_png(100_000, 480).is_err());
    }

    #[test]
    fn non_finite_points_are_skipped() {
        let color = palette(2);
        let points = vec![
            (0.0, 0.0),
            (f64::NAN, 0.5),
            (0.5, f64::INFINITY),
            (f64::NEG_INFINITY, 1.0),
            (1.0, 1.0),
            (-1.0, 0.5), // dropped on a log axis
        ];
        for log in [false, true] {
            let mut plot = Plot::new("nan", "x", "y").with_series(Series::new(
                "s",
                points.clone(),
                color,
                Style::LineWithMarkers,
            ));
            plot.log_x = log;
            let (canvas, _) = plot.render(400, 300).unwrap();
            assert!(has_color(&canvas, color, None));
        }
        // The range follows only the finite points.
        let plot = Plot::new("", "", "").with_series(Series::line("", points, color));
        let xa = Axis::new(
            false,
            None,
            plot.drawable(&plot.series[0]).into_iter().map(|p| p.0),
            "x",
        )
        .unwrap();
        assert!((xa.lo - -1.1).abs() < 1e-12 && (xa.hi - 1.1).abs() < 1e-12);
    }

    #[test]
    fn a_line_with_one_point_draws_only_its_legend() {
        let color = palette(4);
        let plot = Plot::new("", "", "")
            .with_series(Series::line(
                "lonely",
                vec![(0.5, 0.5), (f64::NAN, 1.0)],
                color,
            ))
            .with_series(Series::line("", vec![(f64::NAN, f64::NAN)], palette(5)));
        let (canvas, layout) = plot.render(400, 300).unwrap();
        let legend = layout.legend.unwrap();
        assert!(has_color(&canvas, color, Some(legend)));
        // Blank the legend: the colour is nowhere else.
        let mut outside = canvas;
        outside.fill_rect(legend, BACKGROUND);
        assert!(!has_color(&outside, color, None));
    }

    #[test]
    fn empty_plots_render() {
        for plot in [
            Plot::new("empty", "x", "y"),
            Plot::new("nan only", "x", "y").with_series(Series::line(
                "s",
                vec![(f64::NAN, 1.0)],
                palette(0),
            )),
            Plot::new("log", "x", "y")
                .with_log_x()
                .with_log_y()
                .with_diagonal(),
            Plot::new("", "", "").with_series(Series::scatter(
                "",
                vec![],
                palette(0),
                Marker::Cross,
            )),
        ] {
            let (w, h, _) = decode(&plot.encode_png(320, 240).unwrap());
            assert_eq!((w, h), (320, 240));
            let (canvas, layout) = plot.render(320, 240).unwrap();
            // "no data" is written in the middle of the plot area.
            let p = layout.plot;
            let middle = Rect::new(
                p.x0 + p.width() / 4,
                p.y0 + p.height() / 3,
                p.x1 - p.width() / 4,
                p.y1 - p.height() / 3,
            );
            assert!(has_color(&canvas, FADED, Some(middle)), "{}", plot.title);
        }
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let plot = Plot::new("", "", "").with_series(Series::scatter(
            "",
            vec![(2.0, 5.0), (2.0, 5.0)],
            palette(0),
            Marker::Circle,
        ));
        let (canvas, _) = plot.render(300, 200).unwrap();
        assert!(has_color(&canvas, palette(0), None));
        let xa = Axis::new(false, Some((3.0, 3.0)), std::iter::empty(), "x").unwrap();
        assert!(xa.lo < 3.0 && xa.hi > 3.0 && xa.ticks(5).len() >= 2);
        let la = Axis::new(true, None, [0.0].into_iter(), "x").unwrap();
        assert!(la.lo < 0.0 && la.hi > 0.0 && la.ticks(5).len() >= 2);
        assert!(Axis::new(true, Some((0.0, 1.0)), std::iter::empty(), "x").is_err());
        assert!(Axis::new(false, Some((1.0, 0.0)), std::iter::empty(), "x").is_err());
        assert!(Axis::new(false, Some((0.0, f64::NAN)), std::iter::empty(), "x").is_err());
    }

    #[test]
    fn far_away_points_do_not_hang_or_panic() {
        let plot = Plot::new("", "", "")
            .with_x_range(0.0, 1.0)
            .with_y_range(0.0, 1.0)
            .with_series(Series::dashed(
                "d",
                vec![
                    (-1e300, -1e300),
                    (0.5, 0.5),
                    (1e300, 0.2),
                    (f64::MAX, f64::MIN),
                ],
                palette(0),
            ))
            .with_series(Series::scatter(
                "m",
                vec![(1e308, 0.5), (0.5, -1e308)],
                palette(1),
                Marker::Square,
            ));
        plot.encode_png(300, 200).unwrap();
    }

    #[test]
    fn legend_lists_series_in_its_box() {
        let plot = Plot::new("", "", "")
            .with_series(Series::line(
                "attack A",
                vec![(0.0, 0.0), (1.0, 1.0)],
                palette(0),
            ))
            .with_series(Series::dashed(
                "DP bound",
                vec![(0.0, 0.1), (1.0, 1.0)],
                palette(1),
            ));
        let (canvas, layout) = plot.render(400, 300).unwrap();
        let legend = layout.legend.unwrap();
        assert!(has_color(&canvas, INK, Some(legend)), "legend text");
        assert!(
            has_color(&canvas, palette(0), Some(legend))
                && has_color(&canvas, palette(1), Some(legend))
        );
        // The legend sits inside the plot, clear of the rising line (upper-left or lower-right).
        let p = layout.plot;
        assert!(legend.x0 > p.x0 && legend.x1 < p.x1 && legend.y0 > p.y0 && legend.y1 < p.y1);
        let (lx, ly) = (
            legend.x0 + legend.width() / 2,
            legend.y0 + legend.height() / 2,
        );
        let left = lx < (p.x0 + p.x1) / 2;
        let up = ly < (p.y0 + p.y1) / 2;
        assert!(left == up, "{legend:?} in {p:?}");
        // No labels, no legend.
        let plot = Plot::new("", "", "").with_series(Series::line(
            "",
            vec![(0.0, 0.0), (1.0, 1.0)],
            palette(0),
        ));
        assert!(plot.render(400, 300).unwrap().1.legend.is_none());
    }

    #[test]
    fn greek_labels_render() {
        let plot = Plot::new(
            "ε sweep (δ = 1e-5, σ = 1.1)",
            "privacy budget ε",
            "accuracy",
        )
        .with_log_x()
        .with_series(Series::new(
            "acc",
            vec![(0.5, 0.6), (1.0, 0.7), (8.0, 0.8)],
            palette(0),
            Style::LineWithMarkers,
        ));
        plot.encode_png(500, 350).unwrap();
    }

    #[test]
    fn two_thousand_markers_render() {
        let points: Vec<(f64, f64)> = (0..2000)
            .map(|i| ((i as f64 * 0.37).sin() * 3.0, (i as f64 * 0.11).cos() * 2.0))
            .collect();
        let plot = Plot::new("", "", "").with_series(Series::scatter(
            "pts",
            points,
            palette(0),
            Marker::Circle,
        ));
        let png = plot.encode_png(800, 600).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }

    #[test]
    fn palette_cycles() {
        assert_eq!(palette(0), [230, 159, 0]);
        assert_eq!(palette(8), palette(0));
        assert_ne!(palette(0), palette(1));
    }

    fn has_color(canvas: &Canvas, color: Rgb, within: Option<Rect>) -> bool {
        let r = within.unwrap_or(Rect::new(
            0,
            0,
            canvas.width() as i32,
            canvas.height() as i32,
        ));
        (r.y0..r.y1)
            .any(|y| (r.x0..r.x1).any(|x| canvas.pixel(x as usize, y as usize) == Some(color)))
    }
}
