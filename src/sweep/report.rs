//! The sweep's pictures and its report: one HTML file with everything embedded (readable
//! without dpgan, fit to hand to a data-protection officer) and the same as Markdown.
use std::path::{Path, PathBuf};

use base64::Engine;
use tch::{Device, Kind, Tensor};

use super::plan::SweepPlan;
use super::point::Row;
use super::table::{display_table, markdown_of, RELEASED_COLUMNS};
use crate::files::write_atomic;
use crate::picture::{encode_labelled_grid, palette, Marker, Plot, Series, Style};

/// Samples per point in the side-by-side grid.
const GRID_SAMPLES: usize = 8;

fn finite_points(rows: &[Row], value: impl Fn(&Row) -> Option<f64>) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.is_done())
        .filter_map(|r| Some((r.epsilon_target.parse::<f64>().ok()?, value(r)?)))
        .filter(|(e, y)| e.is_finite() && y.is_finite())
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    v
}

fn baseline(rows: &[Row], value: impl Fn(&Row) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = rows
        .iter()
        .filter(|r| r.is_done() && r.epsilon_target == "inf")
        .filter_map(value)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// A metric against ε (log axis), with the non-private value as a dashed line.
/// A named metric of a row, and how to draw it.
type Metric<'a> = (&'a str, &'a dyn Fn(&Row) -> Option<f64>, Style);

fn metric_plot(
    rows: &[Row],
    title: &str,
    y_label: &str,
    metrics: &[Metric],
    y_range: Option<(f64, f64)>,
) -> Plot {
    let mut plot = Plot::new(title, "ε (log scale)", y_label);
    plot.log_x = true;
    plot.y_range = y_range;
    let eps = finite_points(rows, |_| Some(0.0));
    let span = (
        eps.first().map_or(0.1, |p| p.0 / 1.5),
        eps.last().map_or(10.0, |p| p.0 * 1.5),
    );
    if eps.is_empty() {
        plot.x_range = Some((0.1, 100.0));
    } else {
        plot.x_range = Some(span);
    }
    for (i, (name, value, style)) in metrics.iter().enumerate() {
        let points = finite_points(rows, |r| value(r));
        // Lines with markers, so that a sweep of one finite ε still shows its point; the
        // bound (Dashed) is drawn in black with crosses.
        let (color, marker) = if matches!(style, Style::Dashed) {
            ([0, 0, 0], Marker::Cross)
        } else {
            (palette(i), Marker::Circle)
        };
        plot.series
            .push(Series::new(*name, points, color, Style::LineWithMarkers).with_marker(marker));
        if let Some(b) = baseline(rows, |r| value(r)) {
            plot.series.push(Series::dashed(
                format!("{name}, no DP"),
                vec![(span.0, b), (span.1, b)],
                palette(i),
            ));
        }
    }
    plot
}

/// Up to [`GRID_SAMPLES`] samples from each finished point, one row a point.
fn samples_grid(rows: &[Row]) -> anyhow::Result<Option<Vec<u8>>> {
    let mut tiles: Vec<Vec<f32>> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    let mut shape = None;
    for r in rows.iter().filter(|r| r.is_done()) {
        labels.push(format!("ε {} r{}", r.epsilon_target, r.replicate));
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
    Ok(Some(encode_labelled_grid(
        &refs,
        h,
        w,
        GRID_SAMPLES,
        &labels,
    )?))
}

/// One picture of the report: file name, caption, PNG bytes.
type Picture = (&'static str, String, Vec<u8>);

/// The report's text and tables, shared by its Markdown and HTML forms.
struct Page {
    summary: String,
    verdict: &'static str,
    any_above: bool,
    headline: Vec<(String, bool)>,
    reading: &'static str,
    released: (Vec<&'static str>, Vec<Vec<String>>),
    diagnostics: (Vec<&'static str>, Vec<Vec<String>>),
}

/// Writes the pictures, `report.html` and `report.md` into `out`; returns the HTML's path.
pub fn write_report(
    plan: &SweepPlan,
    rows: &[Row],
    out: &Path,
    machine: &str,
) -> anyhow::Result<PathBuf> {
    let pictures = charts(rows)?;
    for (name, _, png) in &pictures {
        write_atomic(&out.join(name), png)?;
    }
    let page = page(plan, rows, machine);
    let (released_pictures, diagnostic_pictures): (Vec<_>, Vec<_>) = pictures
        .iter()
        .partition(|(name, _, _)| RELEASED_PICTURES.contains(name));
    let md = markdown(&page, &released_pictures, &diagnostic_pictures);
    write_atomic(&out.join("report.md"), md.as_bytes())?;
    let html = html(&page, &released_pictures, &diagnostic_pictures);
    let path = out.join("report.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

/// The sweep's charts: utility, attacks against the bound, fidelity, samples.
fn charts(rows: &[Row]) -> anyhow::Result<Vec<Picture>> {
    let mut pictures: Vec<Picture> = Vec::new();
    let utility = metric_plot(
        rows,
        "Utility: synthetic- over real-trained accuracy",
        "utility ratio",
        &[("utility ratio", &|r: &Row| r.utility_ratio, Style::Line)],
        Some((0.0, 1.2)),
    );
    pictures.push((
        "utility.png",
        "Utility against ε: the classifier trained on synthetic data, tested on real data, \
         over the same classifier trained on real data (1 = as useful as the real data)."
            .into(),
        utility.encode_png(900, 600)?,
    ));
    let attacks = metric_plot(
        rows,
        "Best membership attack against ε, with the DP bound",
        "AUC / TPR at 0.1% FPR",
        &[
            ("best attack AUC", &|r: &Row| r.best_auc, Style::Line),
            (
                "best TPR at 0.1% FPR",
                &|r: &Row| r.best_tpr_at_fpr_0_001,
                Style::Line,
            ),
            (
                "bound: max TPR at 0.1% FPR",
                &|r: &Row| r.bound_tpr_at_fpr_0_001,
                Style::Dashed,
            ),
        ],
        Some((0.0, 1.0)),
    );
    pictures.push((
        "attacks.png",
        "The strongest of the seven membership attacks at each ε (AUC, and TPR at 0.1 % FPR), \
         with the most any attack could reach at 0.1 % FPR under the run's guarantee (dashed)."
            .into(),
        attacks.encode_png(900, 600)?,
    ));
    if rows.iter().any(|r| r.dp_model_accuracy.is_some()) {
        let accuracy = metric_plot(
            rows,
            "DP model or DP synthetic data",
            "balanced accuracy on the real test split",
            &[
                (
                    "DP model (trained with DP-SGD)",
                    &|r: &Row| r.dp_model_accuracy,
                    Style::Line,
                ),
                (
                    "DP synthetic data (trained on it)",
                    &|r: &Row| r.synthetic_accuracy,
                    Style::Line,
                ),
            ],
            Some((0.0, 1.0)),
        );
        pictures.push((
            "dp-model-vs-synthetic.png",
            "The question a privacy engineer weighs: at each ε, the balanced accuracy of a \
             classifier trained with DP-SGD directly on the real training split (DP model) \
             against the same task's classifier trained on that ε's synthetic data (DP \
             synthetic data), both on the real test split; dashed: the non-private point of \
             each."
                .into(),
            accuracy.encode_png(900, 600)?,
        ));
    }
    let fidelity = metric_plot(
        rows,
        "Fidelity: Fréchet distance to the real training data",
        "Fréchet distance (lower is better)",
        &[("Fréchet distance", &|r: &Row| r.frechet, Style::Line)],
        None,
    );
    pictures.push((
        "fidelity.png",
        "Fréchet distance between synthetic and real training samples in the fixed evaluation \
         network's feature space."
            .into(),
        fidelity.encode_png(900, 600)?,
    ));
    if let Some(grid) = samples_grid(rows)? {
        let order: Vec<String> = rows
            .iter()
            .filter(|r| r.is_done())
            .map(|r| format!("ε = {} (rep {})", r.epsilon_target, r.replicate))
            .collect();
        pictures.push((
            "samples.png",
            format!(
                "Synthetic samples, one row a point, top to bottom: {}; classes in turn.",
                order.join(", ")
            ),
            grid,
        ));
    }
    Ok(pictures)
}

/// The summary, verdict, headline, reading notes and the two tables.
fn page(plan: &SweepPlan, rows: &[Row], machine: &str) -> Page {
    let base = &plan.base;
    let done = rows.iter().filter(|r| r.is_done()).count();
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.is_done()).collect();
    let any_above = rows
        .iter()
        .any(|r| r.within_bound == Some(false) && r.exchangeable != Some(false));
    let not_applicable = rows
        .iter()
        .any(|r| r.is_done() && r.within_bound.is_none() && r.exchangeable == Some(false));
    let summary = format!(
        "dataset `{}`, {}×{} px, {} channel(s), {} epochs, batch {}, δ = {:e}, accountant {}; \
         {} point(s), {} done, {} failed. Machine: {}.",
        base.run.data.dataset,
        base.model.image_size,
        base.model.image_size,
        base.model.channels,
        base.run.epochs,
        base.run.batch_size,
        base.run.privacy.delta,
        base.run.privacy.accountant,
        rows.len(),
        done,
        failed.len(),
        machine
    );
    let verdict = if any_above {
        "**At least one attack lies above the bound its run's guarantee allows, with members and \
         non-members drawn alike. That means a bug or a broken guarantee: do not release this \
         model before it is understood.**"
    } else if not_applicable {
        "The bound check is not applicable on points whose members and non-members are \
         different subjects (holdout by subject): an attack there separates patients, not \
         necessarily members, and the per-example bound does not cover that. Train with \
         holdout = examples for a membership audit. Every applicable check lies under the bound."
    } else {
        "Every attack on every DP point lies under the bound its run's guarantee allows."
    };
    // The headline: is each point's synthetic data useful at all?
    let headline: Vec<String> = rows
        .iter()
        .filter(|r| r.is_done())
        .map(|r| {
            let ratio = r
                .utility_ratio
                .map_or(String::new(), |u| format!(" (utility ratio {u:.3})"));
            match (r.useful, &r.verdict) {
                (Some(true), _) => format!(
                    "ε = {} (rep {}): the synthetic data is useful{ratio}.",
                    r.epsilon_target, r.replicate
                ),
                (_, Some(v)) => format!(
                    "ε = {} (rep {}): the synthetic data is {v}{ratio}.",
                    r.epsilon_target, r.replicate
                ),
                _ => format!(
                    "ε = {} (rep {}): not judged{ratio}.",
                    r.epsilon_target, r.replicate
                ),
            }
        })
        .collect();
    let reading = "How to read this report. *ε spent* is the privacy budget each training used \
        (the accountant's conservative value, at the δ above); *inf* is the non-private baseline. \
        The *utility ratio* is train-on-synthetic / test-on-real balanced accuracy over the same \
        classifier trained on the real training data. The attacks try to tell training members \
        from held-out non-members using the released synthetic data and the discriminator; AUC \
        0.5 is guessing. The *bound* is the most any attack could reach under the run's (ε, δ) \
        guarantee (its trade-off curve); *within bound* says whether every attack stays under it, \
        counting a point as above only when its Clopper–Pearson interval is: with n non-members a \
        false-positive rate below 1/n cannot be measured, so *TPR at 0.1 % FPR* is the TPR at zero \
        false positives when n < 1000, and may exceed the dashed bound while within it. \
        The privacy unit is one training example (one slice or slab): a patient contributing many \
        slices is protected at a larger ε (group privacy). Where the split is by subject (medical \
        volumes), members and non-members are different patients and parts of the anatomy, so an \
        attack can separate them without any leak: there the AUCs overstate leakage, and the \
        bound speaks for one-example-per-subject data such as Fashion-MNIST.";

    // Released under ε: the privacy columns and the samples. Diagnostics: everything computed
    // from real data (utility, fidelity, attacks), for the data owner only.
    let (header, body) = display_table(rows);
    let released_header = &header[..RELEASED_COLUMNS];
    let released_body: Vec<Vec<String>> = body
        .iter()
        .map(|r| r[..RELEASED_COLUMNS].to_vec())
        .collect();
    let mut diagnostic_header = header[..2].to_vec();
    diagnostic_header.extend_from_slice(&header[RELEASED_COLUMNS..]);
    let diagnostic_body: Vec<Vec<String>> = body
        .iter()
        .map(|r| {
            let mut row = r[..2].to_vec();
            row.extend_from_slice(&r[RELEASED_COLUMNS..]);
            row
        })
        .collect();
    Page {
        summary,
        verdict,
        any_above,
        headline: headline
            .into_iter()
            .zip(rows.iter().filter(|r| r.is_done()))
            .map(|(h, r)| (h, r.useful == Some(true)))
            .collect(),
        reading,
        released: (released_header.to_vec(), released_body),
        diagnostics: (diagnostic_header, diagnostic_body),
    }
}

/// `report.md`.
fn markdown(
    page: &Page,
    released_pictures: &[&Picture],
    diagnostic_pictures: &[&Picture],
) -> String {
    let Page {
        summary,
        verdict,
        headline,
        reading,
        ..
    } = page;
    let (released_header, released_body) = &page.released;
    let (diagnostic_header, diagnostic_body) = &page.diagnostics;
    let md = {
        let mut s = format!(
            "# dpgan privacy/utility sweep\n\n{summary}\n\n## Part 1: released under ε\n\n\
             {RELEASED_NOTE}\n\n{}\n",
            markdown_of(released_header, released_body)
        );
        for (name, caption, _) in released_pictures {
            s.push_str(&format!("![{name}]({name})\n\n{caption}\n\n"));
        }
        s.push_str(&format!(
            "## Part 2: diagnostics — not covered by ε; for the data owner only\n\n\
             {DIAGNOSTICS_NOTE}\n\n{}\n\n{verdict}\n\n{}\n",
            headline
                .iter()
                .map(|(h, _)| format!("- **{h}**"))
                .collect::<Vec<_>>()
                .join("\n"),
            markdown_of(diagnostic_header, diagnostic_body)
        ));
        for (name, caption, _) in diagnostic_pictures {
            s.push_str(&format!("![{name}]({name})\n\n{caption}\n\n"));
        }
        s.push_str(&format!("## Reading it\n\n{reading}\n"));
        s
    };
    md
}

/// `report.html`: one self-contained page (pictures inlined).
fn html(page: &Page, released_pictures: &[&Picture], diagnostic_pictures: &[&Picture]) -> String {
    let Page {
        summary,
        verdict,
        any_above,
        headline,
        reading,
        ..
    } = page;
    let (released_header, released_body) = &page.released;
    let (diagnostic_header, diagnostic_body) = &page.diagnostics;
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>dpgan sweep report</title>\
         <style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;line-height:1.4}\
         .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}\
         img{max-width:100%;border:1px solid #ddd}.warn{color:#a00}\
         section{padding:0.2em 1.2em 1em;margin:1.5em 0;border-radius:6px}\
         .released{border:3px solid #2a7a2a;background:#f3faf3}\
         .diagnostics{border:3px solid #b36b00;background:#fff8ec}\
         .tag{font-size:0.8em;font-weight:bold;padding:2px 8px;border-radius:4px;color:#fff}\
         .released .tag{background:#2a7a2a}.diagnostics .tag{background:#b36b00}</style></head><body>\
         <h1>dpgan privacy/utility sweep</h1>",
    );
    html.push_str(&format!("<p>{}</p>", escape(summary)));
    html.push_str(&format!(
        "<section class=\"released\"><h2>Part 1: released under ε \
         <span class=\"tag\">covered by ε</span></h2><p>{}</p>{}",
        escape(RELEASED_NOTE),
        html_table(released_header, released_body)
    ));
    for (name, caption, png) in released_pictures {
        html.push_str(&html_picture(name, caption, png));
    }
    html.push_str("</section>");
    html.push_str(&format!(
        "<section class=\"diagnostics\"><h2>Part 2: diagnostics \
         <span class=\"tag\">NOT covered by ε — for the data owner only</span></h2><p>{}</p>",
        escape(DIAGNOSTICS_NOTE)
    ));
    html.push_str("<ul class=\"headline\">");
    for (h, useful) in headline {
        html.push_str(&format!(
            "<li class=\"{}\"><b>{}</b></li>",
            if *useful { "" } else { "warn" },
            escape(h)
        ));
    }
    html.push_str("</ul>");
    html.push_str(&format!(
        "<p class=\"{}\">{}</p>",
        if *any_above { "warn" } else { "" },
        escape(&verdict.replace("**", ""))
    ));
    html.push_str(&html_table(diagnostic_header, diagnostic_body));
    for (name, caption, png) in diagnostic_pictures {
        html.push_str(&html_picture(name, caption, png));
    }
    html.push_str(&format!(
        "<h3>Reading it</h3><p>{}</p>",
        escape(&reading.replace('*', ""))
    ));
    html.push_str(
        "<p>Each point's run directory holds what ε covers at its top level (configuration, \
         ledger and privacy.json, generator, samples) and, under diagnostics/, its split, \
         evaluation.json and attack.json with their pictures.</p></section></body></html>\n",
    );
    html
}

/// Pictures that show only what ε covers (generated samples).
const RELEASED_PICTURES: &[&str] = &["samples.png"];

const RELEASED_NOTE: &str = "What each point's run releases and its ε covers: the privacy \
    spent (ε at δ, by the accountant's conservative bound), the noise multiplier σ, the number \
    of DP-SGD steps, and the generator's samples.";

const DIAGNOSTICS_NOTE: &str = "Everything below was computed from the real data — \
    classifiers trained on the real training split, distances to real images, attacks using \
    the real members and non-members — and is not protected by any ε. Keep it with the data; \
    do not hand it on as private.";

fn html_table(header: &[&str], body: &[Vec<String>]) -> String {
    // A wide table scrolls inside its section instead of running past its border.
    let mut html = String::from("<div class=\"scroll\"><table><tr>");
    for h in header {
        html.push_str(&format!("<th>{}</th>", escape(h)));
    }
    html.push_str("</tr>");
    for row in body {
        html.push_str("<tr>");
        for c in row {
            let c = if c.is_empty() { "–" } else { c.as_str() };
            html.push_str(&format!("<td>{}</td>", escape(c)));
        }
        html.push_str("</tr>");
    }
    html.push_str("</table></div>");
    html
}

fn html_picture(name: &str, caption: &str, png: &[u8]) -> String {
    format!(
        "<h3>{}</h3><img alt=\"{name}\" src=\"data:image/png;base64,{}\"><p>{}</p>",
        escape(name.trim_end_matches(".png")),
        base64::engine::general_purpose::STANDARD.encode(png),
        escape(caption)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
