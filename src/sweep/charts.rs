//! The sweep's pictures: metrics against ε (one mark per ε, the mean over its replicates, with a
//! bar from their lowest to their highest), and samples of every point side by side.
//!
//! Every chart here is computed from real data (classifiers trained or tested on the real
//! splits, distances to the real training images, attacks on real members): a diagnostic. The
//! samples are drawn from the released generators only: what ε covers.
use tch::{Device, Kind, Tensor};

use super::point::Row;
use crate::picture::{encode_labelled_grid, palette, Marker, Plot, Series, Style};

/// Samples per point in the side-by-side grid.
const GRID_SAMPLES: usize = 8;

/// Pixels of a chart (PNG) or user units (SVG, which the report scales to its width).
const CHART_SIZE: (u32, u32) = (1000, 560);

/// One picture of the report: its file name, caption, PNG bytes and, for a chart, the same as
/// SVG (the HTML report inlines it).
pub struct Picture {
    pub name: &'static str,
    pub caption: String,
    pub png: Vec<u8>,
    pub svg: Option<String>,
}

impl Picture {
    /// A chart as PNG and SVG, [`CHART_SIZE`].
    pub fn chart(name: &'static str, caption: String, plot: &Plot) -> anyhow::Result<Self> {
        let (w, h) = CHART_SIZE;
        Ok(Self {
            name,
            caption,
            png: plot.png(w, h)?,
            svg: Some(plot.svg(w, h)?),
        })
    }
}

/// `(ε, values)` of the finished points with a finite ε and a finite value, by ε ascending.
fn by_epsilon(rows: &[Row], value: impl Fn(&Row) -> Option<f64>) -> Vec<(f64, Vec<f64>)> {
    let mut v: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.is_done())
        .filter_map(|r| Some((r.epsilon_target.parse::<f64>().ok()?, value(r)?)))
        .filter(|(e, y)| e.is_finite() && y.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<(f64, Vec<f64>)> = Vec::new();
    for (e, y) in v {
        match groups.last_mut() {
            Some((last, ys)) if *last == e => ys.push(y),
            _ => groups.push((e, vec![y])),
        }
    }
    groups
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The non-private points' mean of `value`.
fn baseline(rows: &[Row], value: impl Fn(&Row) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = rows
        .iter()
        .filter(|r| r.is_done() && r.epsilon_target == "inf")
        .filter_map(value)
        .collect();
    (!v.is_empty()).then(|| mean(&v))
}

/// A named metric of a row, and whether it is a bound (drawn dashed in black, with crosses)
/// rather than a measurement.
type Metric<'a> = (&'a str, &'a dyn Fn(&Row) -> Option<f64>, bool);

/// A chart of metrics against ε: its file, title, y axis and range, metrics and caption.
struct Chart<'a> {
    name: &'static str,
    title: &'a str,
    y_label: &'a str,
    y_range: Option<(f64, f64)>,
    metrics: &'a [Metric<'a>],
    caption: &'a str,
}

impl Chart<'_> {
    /// The metrics against ε (log axis): the mean over replicates at each ε, a bar over their
    /// range where there are several, and the non-private value as a dashed line.
    fn plot(&self, rows: &[Row]) -> Plot {
        let mut plot = Plot::new(self.title, "ε (log scale)", self.y_label);
        (plot.log_x, plot.y_range) = (true, self.y_range);
        let eps = by_epsilon(rows, |_| Some(0.0));
        let span = match (eps.first(), eps.last()) {
            (Some(first), Some(last)) => log_span(first.0, last.0),
            _ => (0.1, 100.0),
        };
        plot.x_range = Some(span);
        for (i, (name, value, bound)) in self.metrics.iter().enumerate() {
            let groups = by_epsilon(rows, value);
            let points: Vec<(f64, f64)> = groups.iter().map(|(e, v)| (*e, mean(v))).collect();
            let color = if *bound { [0, 0, 0] } else { palette(i) };
            let mut series = Series::new(*name, points, color, Style::LineWithMarkers);
            if *bound {
                // crosses on the dashed line, so that a sweep of one finite ε still shows its
                // bound, and the legend draws it as the plot does
                (series.style, series.marker) = (Style::DashedWithMarkers, Marker::Cross);
            }
            if !bound && groups.iter().any(|(_, v)| v.len() > 1) {
                series.spread = groups.iter().map(|(_, v)| min_max(v)).collect();
            }
            plot.series.push(series);
            if let Some(b) = baseline(rows, value) {
                let line = vec![(span.0, b), (span.1, b)];
                let label = format!("{name}, no DP");
                plot.series
                    .push(Series::new(label, line, color, Style::Dashed));
            }
        }
        plot
    }

    fn picture(&self, rows: &[Row]) -> anyhow::Result<Picture> {
        let note = if rows.iter().any(|r| r.replicate > 0) {
            " Marks: the mean over a point's replicates (seeds); bars: their lowest to highest."
        } else {
            ""
        };
        let caption = format!("{}{note}", self.caption);
        Picture::chart(self.name, caption, &self.plot(rows))
    }
}

/// The ε axis from `first` to `last`, padded by 1.5× and widened to at least a decade about
/// their geometric middle, so that a log axis shows log ticks (1, 2, 5 × 10^k) even for one ε.
fn log_span(first: f64, last: f64) -> (f64, f64) {
    let (lo, hi) = (first / 1.5, last * 1.5);
    let widen = (10.0 / (hi / lo)).max(1.0).sqrt();
    (lo / widen, hi * widen)
}

fn min_max(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    (lo, v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// The diagnostic charts: utility, attacks against the bound, the DP model beside the
/// synthetic data (when the sweep trained one), fidelity.
pub fn charts(rows: &[Row]) -> anyhow::Result<Vec<Picture>> {
    let mut charts = vec![
        Chart {
            name: "utility.png",
            title: "Utility: synthetic- over real-trained accuracy",
            y_label: "utility ratio",
            y_range: Some((0.0, 1.2)),
            metrics: &[("utility ratio", &|r: &Row| r.utility_ratio, false)],
            caption: "Utility against ε: the classifier trained on synthetic data, tested on \
                      real data, over the same classifier trained on real data (1 = as useful as \
                      the real data).",
        },
        Chart {
            name: "attacks.png",
            title: "Best membership attack against ε, with the DP bound",
            y_label: "AUC / TPR at 0.1% FPR",
            y_range: Some((0.0, 1.0)),
            metrics: &[
                ("best attack AUC", &|r: &Row| r.best_auc, false),
                ("best TPR at 0.1% FPR", &|r| r.best_tpr_at_fpr_0_001, false),
                (
                    "bound: max TPR at 0.1% FPR",
                    &|r| r.bound_tpr_at_fpr_0_001,
                    true,
                ),
            ],
            caption: "The strongest of the seven membership attacks at each ε (AUC, and TPR at \
                      0.1 % FPR), with the most any attack could reach at 0.1 % FPR under the \
                      run's guarantee (black crosses, joined by a dashed line where the sweep \
                      has several ε).",
        },
    ];
    if rows.iter().any(|r| r.dp_model_accuracy.is_some()) {
        charts.push(Chart {
            name: "dp-model-vs-synthetic.png",
            title: "DP model or DP synthetic data",
            y_label: "balanced accuracy on the real test split",
            y_range: Some((0.0, 1.0)),
            metrics: &[
                ("DP model (DP-SGD)", &|r: &Row| r.dp_model_accuracy, false),
                ("DP synthetic data", &|r| r.synthetic_accuracy, false),
            ],
            caption: "The question a privacy engineer weighs: at each ε, the balanced accuracy \
                      of a classifier trained with DP-SGD directly on the real training split \
                      (DP model) against the same task's classifier trained on that ε's \
                      synthetic data (DP synthetic data), both on the real test split; dashed: \
                      the non-private point of each.",
        });
    }
    charts.push(Chart {
        name: "fidelity.png",
        title: "Fidelity: Fréchet distance to the real training data",
        y_label: "Fréchet distance (lower is better)",
        y_range: None,
        metrics: &[("Fréchet distance", &|r: &Row| r.frechet, false)],
        caption: "Fréchet distance between synthetic and real training samples in the fixed \
                  evaluation network's feature space.",
    });
    charts.iter().map(|c| c.picture(rows)).collect()
}

/// How a point is named in labels and captions: `ε = 2 · rep 0`, `no DP · rep 0`.
pub fn point_name(r: &Row) -> String {
    match r.epsilon_target.as_str() {
        "inf" => format!("no DP · rep {}", r.replicate),
        e => format!("ε = {e} · rep {}", r.replicate),
    }
}

/// `samples.png`: up to [`GRID_SAMPLES`] samples of each finished point's released generator
/// (the same noise and classes for all), one labelled row a point; `None` without finished
/// points or where their image sizes differ.
pub fn samples_grid(rows: &[Row]) -> anyhow::Result<Option<Picture>> {
    let mut tiles: Vec<Vec<f32>> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut shape = None;
    for r in rows.iter().filter(|r| r.is_done()) {
        labels.push(point_name(r));
        let (generator, config, _vs) = crate::sample::load_generator(&r.run_dir, Device::Cpu)?;
        let _guard = tch::no_grad_guard();
        tch::manual_seed(0);
        let classes = config.model.classes.max(1);
        let labels =
            Tensor::arange(GRID_SAMPLES as i64, (Kind::Int64, Device::Cpu)).remainder(classes);
        let x = generator.sample(&labels, Device::Cpu);
        let c = x.size()[1];
        let (h, w) = (x.size()[2] as usize, x.size()[3] as usize);
        if shape.is_some_and(|s| s != (h, w)) {
            return Ok(None);
        }
        shape = Some((h, w));
        let middle = x.narrow(1, c / 2, 1).contiguous().view([-1]);
        let pixels = Vec::<f32>::try_from(middle.to_kind(Kind::Float))?;
        tiles.extend(pixels.chunks(h * w).map(<[f32]>::to_vec));
    }
    let Some((h, w)) = shape else { return Ok(None) };
    let refs: Vec<Option<&[f32]>> = tiles.iter().map(|t| Some(t.as_slice())).collect();
    Ok(Some(Picture {
        name: "samples.png",
        caption: "Synthetic samples of every point side by side, one row a point, the same \
                  noise and classes (in turn) for all."
            .into(),
        png: encode_labelled_grid(&refs, h, w, GRID_SAMPLES, &labels)?,
        svg: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epsilon: &str, bound: f64) -> Row {
        serde_json::from_value(serde_json::json!({
            "epsilon_target": epsilon, "replicate": 0, "status": "done",
            "best_auc": 0.55, "best_tpr_at_fpr_0_001": 0.01, "bound_tpr_at_fpr_0_001": bound,
            "within_bound": true, "wall_seconds": 1.0, "run_dir": "r"
        }))
        .unwrap()
    }

    /// The bound is one labelled series drawn as the legend draws it: crosses on a dashed
    /// line, so that a sweep of one ε shows a cross and the legend does not promise a line
    /// that the plot lacks.
    #[test]
    fn the_attack_bound_is_one_series_of_crosses_on_a_dashed_line() {
        let attacks = charts(&[row("1", 0.01), row("10", 0.1)]).unwrap();
        assert!(attacks.iter().any(|p| p.name == "attacks.png"));
        let chart = Chart {
            name: "attacks.png",
            title: "t",
            y_label: "y",
            y_range: None,
            metrics: &[("bound", &|r: &Row| r.bound_tpr_at_fpr_0_001, true)],
            caption: "",
        };
        for rows in [vec![row("10", 0.1)], vec![row("1", 0.01), row("10", 0.1)]] {
            let plot = chart.plot(&rows);
            let bound: Vec<_> = plot
                .series
                .iter()
                .filter(|s| s.color == [0, 0, 0])
                .collect();
            assert_eq!(bound.len(), 1, "one series for the bound");
            assert_eq!(bound[0].label, "bound");
            assert_eq!(bound[0].style, Style::DashedWithMarkers);
            assert_eq!(bound[0].marker, Marker::Cross);
            assert_eq!(bound[0].points.len(), rows.len());
        }
    }
}
