//! The sweep's report: one HTML file with everything inside it (charts as inline SVG, sample
//! grids as PNG data; readable without dpgan, fit to hand to a data-protection officer), the
//! same as Markdown, and each chart as a PNG file beside them.
//!
//! The report has two framed parts, and nothing computed from real data ever sits in the
//! second (REFERENCE.md §8):
//! 1. Verdict and diagnostics, NOT covered by ε, for the data owner only: the verdict, each
//!    point's key numbers, the diagnostics table and every chart (utility, attacks, fidelity
//!    and the DP model all use the real splits).
//! 2. Released under ε: the privacy columns of the table, the samples of the released
//!    generators ([`RELEASED_PICTURES`] and each point's `samples/final.png`) and the runs'
//!    privacy statement, from their `privacy.json`.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::charts::{charts, point_name, samples_grid, Picture};
use super::curves::training_charts;
use super::plan::SweepPlan;
use super::point::Row;
use super::table::{display_table, markdown_of, usefulness, within, RELEASED_COLUMNS};
use crate::files::write_atomic;
use crate::layout::RunKind;
use crate::train::release_report::{
    assumptions, covered, init_statement, noise_source, privacy_unit, NOT_COVERED,
};
use crate::train::PrivacyReport;

/// Pictures that show only what ε covers (generated samples); every other is a diagnostic.
const RELEASED_PICTURES: &[&str] = &["samples.png"];

/// One point's key numbers: its name, whether its synthetic data is useful (in a word, and
/// why), and (label, value) pairs.
struct KeyNumbers {
    name: String,
    useful: bool,
    /// "useful", "NOT useful", …, and why.
    verdict: (String, String),
    numbers: Vec<(&'static str, String)>,
}

/// A finished point's released sample grid (`samples/final.png`, one row a class).
struct PointGrid {
    caption: String,
    path: PathBuf,
    png: Vec<u8>,
}

/// The pictures as the report shows them: the released ones (samples) apart.
struct Shown<'a> {
    released: Vec<&'a Picture>,
    diagnostic: Vec<&'a Picture>,
    grids: Vec<PointGrid>,
}

/// The runs' privacy statement, from their `privacy.json`.
struct Statement {
    points: Vec<String>,
    unit: String,
    assumptions: Vec<String>,
}

/// The report's text and tables, shared by its Markdown and HTML forms.
struct Page {
    summary: String,
    verdict: &'static str,
    any_above: bool,
    key_numbers: Vec<KeyNumbers>,
    reading: &'static str,
    released: (Vec<&'static str>, Vec<Vec<String>>),
    diagnostics: (Vec<&'static str>, Vec<Vec<String>>),
    /// The note under the diagnostics table where a "within bound" is marked
    /// ([`super::table::POINT_ABOVE_MARK`]), or empty.
    diagnostics_footnote: &'static str,
    statement: Option<Statement>,
}

/// Writes the pictures, `report.html` and `report.md` into `out`; returns the HTML's path.
pub fn write_report(
    plan: &SweepPlan,
    rows: &[Row],
    out: &Path,
    machine: &str,
) -> anyhow::Result<PathBuf> {
    let mut pictures = charts(rows)?;
    pictures.extend(training_charts(rows)?);
    pictures.extend(samples_grid(rows)?);
    for p in &pictures {
        write_atomic(&out.join(p.name), &p.png)?;
    }
    let page = page(plan, rows, machine);
    let (released, diagnostic): (Vec<&Picture>, Vec<&Picture>) = pictures
        .iter()
        .partition(|p| RELEASED_PICTURES.contains(&p.name));
    let grids = point_grids(rows, out);
    let shown = Shown {
        released,
        diagnostic,
        grids,
    };
    write_atomic(&out.join("report.md"), markdown(&page, &shown).as_bytes())?;
    let html = html(&page, &shown);
    let path = out.join("report.html");
    write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

/// Each finished point's `samples/final.png`, where it has one, with its privacy numbers.
fn point_grids(rows: &[Row], out: &Path) -> Vec<PointGrid> {
    let done = rows.iter().filter(|r| r.is_done());
    done.filter_map(|r| {
        let file = r.run_dir.join("samples/final.png");
        let png = std::fs::read(&file).ok()?;
        let spent = match (r.epsilon, r.noise_multiplier, r.steps) {
            (Some(e), Some(s), Some(n)) => format!(": ε spent {e:.3}, σ = {s:.3}, {n} steps"),
            _ => ": trained without DP, no ε covers it".into(),
        };
        let path = file.strip_prefix(out).unwrap_or(&file).to_path_buf();
        let caption = format!("{}{spent}", point_name(r));
        Some(PointGrid { caption, path, png })
    })
    .collect()
}

/// The privacy statement of the finished points' `privacy.json`; `None` without any.
fn statement(rows: &[Row]) -> Option<Statement> {
    let reports: Vec<(&Row, PrivacyReport)> = (rows.iter().filter(|r| r.is_done()))
        .filter_map(|r| {
            let text = std::fs::read_to_string(r.run_dir.join("privacy.json")).ok()?;
            Some((r, serde_json::from_str(&text).ok()?))
        })
        .collect();
    let (_, first) = reports.first()?;
    let points = reports.iter().map(|(r, p)| match p.epsilon {
        Some(eps) if p.private => format!(
            "{}: (ε = {eps:.3}, δ = {:e})-differential privacy by the {:?} accountant over {} \
             DP-SGD steps (σ = {}); noise: {}.",
            point_name(r),
            p.delta,
            p.accountant,
            p.ledger.steps(),
            p.noise_multiplier.map_or("?".into(), |s| format!("{s:.4}")),
            noise_source(p.rng)
        ),
        _ => format!(
            "{}: trained without differential privacy; no ε covers it, and nothing from it may \
             be released as private.",
            point_name(r)
        ),
    });
    // A warm start's provenance: where the weights began, and why ε need not count it.
    let init = first
        .init
        .as_ref()
        .map(|i| init_statement(i).trim_end().to_string());
    Some(Statement {
        points: points.collect(),
        unit: privacy_unit(first),
        assumptions: init.into_iter().chain(assumptions(first)).collect(),
    })
}

/// The summary, verdict, key numbers, reading notes, the two tables and the privacy
/// statement.
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
    let key_numbers = rows
        .iter()
        .filter(|r| r.is_done())
        .map(key_numbers)
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
        key_numbers,
        reading,
        released: (released_header.to_vec(), released_body),
        diagnostics: (diagnostic_header, diagnostic_body),
        diagnostics_footnote: if rows.iter().any(super::table::point_above_bound) {
            super::table::POINT_ABOVE_NOTE
        } else {
            ""
        },
        statement: statement(rows),
    }
}

/// A finished point's key numbers: is its synthetic data useful at all, and what did the
/// strongest attack reach against its bound?
fn key_numbers(r: &Row) -> KeyNumbers {
    let num = |v: Option<f64>, digits: usize| v.map_or("–".into(), |x| format!("{x:.digits$}"));
    let why = match (r.useful, &r.verdict) {
        (Some(true), _) => "the synthetic data is useful".into(),
        (_, Some(v)) => format!("the synthetic data is {v}"),
        _ => "not judged".into(),
    };
    let verdict = match usefulness(r) {
        word if word.is_empty() => ("not judged".into(), why),
        word => (word, why),
    };
    let within = match within(r) {
        w if w.is_empty() => "–".into(),
        w => w,
    };
    let mut numbers = vec![
        ("ε spent", num(r.epsilon, 3)),
        ("utility ratio", num(r.utility_ratio, 3)),
        ("best attack AUC", num(r.best_auc, 3)),
        ("within bound", within),
    ];
    // The class the synthetic data teaches worst (recall of its real test images).
    if let Some((class, recall)) = r.synthetic_recall.iter().min_by(|a, b| a.1.total_cmp(b.1)) {
        numbers.push(("weakest class (recall)", format!("{class} {recall:.2}")));
    }
    KeyNumbers {
        name: point_name(r),
        useful: r.useful == Some(true),
        verdict,
        numbers,
    }
}

/// `report.md`: the same parts as the HTML, pictures as links to the files.
fn markdown(page: &Page, shown: &Shown) -> String {
    let mut s = format!(
        "# dpgan privacy/utility sweep\n\n{}\n\n\
         ## Part 1: verdict and diagnostics — NOT covered by ε; for the data owner only\n\n{}\n\n",
        page.summary, page.verdict
    );
    for k in &page.key_numbers {
        let numbers: Vec<String> = k.numbers.iter().map(|(l, v)| format!("{l} {v}")).collect();
        let _ = writeln!(
            s,
            "- **{}**: {} ({}).",
            k.name,
            k.verdict.1,
            numbers.join(", ")
        );
    }
    let (header, body) = &page.diagnostics;
    let _ = write!(s, "\n{DIAGNOSTICS_NOTE}\n\n{}\n", markdown_of(header, body));
    if !page.diagnostics_footnote.is_empty() {
        let _ = write!(s, "{}\n\n", page.diagnostics_footnote);
    }
    for p in &shown.diagnostic {
        let _ = write!(s, "![{0}]({0})\n\n{1}\n\n", p.name, p.caption);
    }
    let (header, body) = &page.released;
    let _ = write!(
        s,
        "## Part 2: released under ε\n\n{RELEASED_NOTE}\n\n{}\n",
        markdown_of(header, body)
    );
    for p in &shown.released {
        let _ = write!(s, "![{0}]({0})\n\n{1}\n\n", p.name, p.caption);
    }
    for g in &shown.grids {
        let _ = write!(s, "![{0}]({1})\n\n{0}\n\n", g.caption, g.path.display());
    }
    if let Some(st) = &page.statement {
        let _ = write!(s, "### Privacy statement\n\n");
        for p in &st.points {
            let _ = writeln!(s, "- {p}");
        }
        let _ = write!(s, "\n**Privacy unit.** {}\n\n**Assumptions.**\n\n", st.unit);
        for a in &st.assumptions {
            let _ = writeln!(s, "- {a}");
        }
        let covers = covered(RunKind::Gan);
        let _ = write!(
            s,
            "\n**What ε covers.** {covers}\n\n**What it does not cover.** {NOT_COVERED}\n\n"
        );
    }
    let _ = write!(s, "## Reading it\n\n{}\n", page.reading);
    s
}

const STYLE: &str = "body{font-family:system-ui,'DejaVu Sans',sans-serif;max-width:1040px;\
    margin:1.5em auto;padding:0 1em;line-height:1.45;color:#222}\
    h1{margin:0 0 .2em}.summary{color:#555;margin-top:0}\
    section{padding:.3em 1.3em 1.2em;margin:1.5em 0;border-radius:8px}\
    .released{border:3px solid #2a7a2a;background:#f4faf4}\
    .diagnostics{border:3px solid #b36b00;background:#fff9f0}\
    .tag{font-size:.75em;font-weight:bold;padding:2px 8px;border-radius:4px;color:#fff;\
    vertical-align:middle}.released .tag{background:#2a7a2a}.diagnostics .tag{background:#b36b00}\
    .verdict{font-size:1.1em;font-weight:bold;background:#fff;border-left:6px solid #2a7a2a;\
    padding:.6em .9em}.verdict.warn{border-color:#a00;color:#a00}\
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:.8em;\
    margin:1em 0}.card{background:#fff;border:1px solid #ccc;border-top:5px solid #2a7a2a;\
    border-radius:6px;padding:.5em .8em}.card.bad{border-top-color:#a00}\
    .card h3{margin:.1em 0 .2em;font-size:1.05em}.card .word{margin:0 0 .3em;font-weight:bold;\
    color:#2a7a2a}.card.bad .word{color:#a00}.card .why{margin:.4em 0 0;font-size:.8em;\
    color:#666}.card table{width:100%;font-size:.95em;background:none}\
    .card td{border:0;padding:1px 0;text-align:left}.card td:last-child{text-align:right;\
    font-weight:bold}.warn{color:#a00}\
    .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.85em;background:#fff}\
    td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}\
    figure{margin:1.2em 0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em}\
    figure svg{display:block;width:100%;height:auto}figcaption{font-size:.9em;color:#444}\
    img.grid{display:block;max-width:100%}\
    .grids{display:flex;flex-wrap:wrap;gap:1em}.grids figure{margin:0;max-width:100%}\
    .grids figcaption{max-width:40em}code{font-size:.9em}";

/// `report.html`: one self-contained page (charts inline, grids as data).
fn html(page: &Page, shown: &Shown) -> String {
    let mut html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <title>dpgan sweep report</title><style>{STYLE}</style></head><body>\
         <h1>dpgan privacy/utility sweep</h1><p class=\"summary\">{}</p>",
        code(&page.summary)
    );
    html_diagnostics(&mut html, page, &shown.diagnostic);
    html_released(&mut html, page, shown);
    html.push_str(&format!(
        "<section><h2>Reading it</h2><p>{}</p><p>Each point's run directory holds what ε \
         covers at its top level (configuration, ledger and privacy.json, generator, samples) \
         and, under diagnostics/, its split, evaluation.json and attack.json with their \
         pictures.</p></section></body></html>\n",
        escape(&page.reading.replace('*', ""))
    ));
    html
}

/// Part 1: the verdict, each point's key numbers, the diagnostics table and the charts.
fn html_diagnostics(html: &mut String, page: &Page, pictures: &[&Picture]) {
    let warn = if page.any_above { " warn" } else { "" };
    let _ = write!(
        html,
        "<section class=\"diagnostics\"><h2>Part 1: verdict and diagnostics \
         <span class=\"tag\">NOT covered by ε — for the data owner only</span></h2>\
         <p class=\"verdict{warn}\">{}</p><div class=\"cards\">",
        escape(&page.verdict.replace("**", ""))
    );
    for k in &page.key_numbers {
        let bad = if k.useful { "" } else { " bad" };
        let _ = write!(
            html,
            "<div class=\"card{bad}\"><h3>{}</h3><p class=\"word\">{}</p><table>",
            escape(&k.name),
            escape(&k.verdict.0)
        );
        for (label, value) in &k.numbers {
            let _ = write!(html, "<tr><td>{label}</td><td>{}</td></tr>", escape(value));
        }
        let _ = write!(
            html,
            "</table><p class=\"why\">{}</p></div>",
            escape(&k.verdict.1)
        );
    }
    let (header, body) = &page.diagnostics;
    let _ = write!(
        html,
        "</div><p>{}</p>{}",
        escape(DIAGNOSTICS_NOTE),
        html_table(header, body)
    );
    if !page.diagnostics_footnote.is_empty() {
        let _ = write!(
            html,
            "<p class=\"why\">{}</p>",
            escape(&page.diagnostics_footnote.replace("\\*", "*"))
        );
    }
    for p in pictures {
        let svg = p.svg.as_deref().unwrap_or_default();
        let _ = write!(html, "<figure>{svg}{}</figure>", figcaption(p));
    }
    html.push_str("</section>");
}

/// Part 2: the privacy columns, the samples (side by side, then each point's grid) and the
/// privacy statement.
fn html_released(html: &mut String, page: &Page, shown: &Shown) {
    let (header, body) = &page.released;
    let _ = write!(
        html,
        "<section class=\"released\"><h2>Part 2: released under ε \
         <span class=\"tag\">covered by ε</span></h2><p>{}</p>{}",
        escape(RELEASED_NOTE),
        html_table(header, body)
    );
    for p in &shown.released {
        let _ = write!(
            html,
            "<figure><img class=\"grid\" alt=\"{}\" src=\"{}\">{}</figure>",
            p.name,
            data_url(&p.png),
            figcaption(p)
        );
    }
    html.push_str("<div class=\"grids\">");
    for g in &shown.grids {
        let _ = write!(
            html,
            "<figure><img class=\"grid\" alt=\"{0}\" src=\"{1}\"><figcaption>{0} \
             (<code>{2}</code>)</figcaption></figure>",
            escape(&g.caption),
            data_url(&g.png),
            escape(&g.path.display().to_string())
        );
    }
    html.push_str("</div>");
    if let Some(st) = &page.statement {
        html.push_str("<h3>Privacy statement</h3><ul>");
        for p in &st.points {
            let _ = write!(html, "<li>{}</li>", escape(&p.replace("**", "")));
        }
        let _ = write!(
            html,
            "</ul><p><b>Privacy unit.</b> {}</p><p><b>Assumptions.</b></p><ul>",
            code(&st.unit)
        );
        for a in &st.assumptions {
            let _ = write!(html, "<li>{}</li>", code(a));
        }
        let _ = write!(
            html,
            "</ul><p><b>What ε covers.</b> {}</p><p><b>What it does not cover.</b> {}</p>",
            code(covered(RunKind::Gan)),
            code(NOT_COVERED)
        );
    }
    html.push_str("</section>");
}

const RELEASED_NOTE: &str = "What each point's run releases and its ε covers: the privacy \
    spent (ε at δ, by the accountant's conservative bound), the noise multiplier σ, the number \
    of DP-SGD steps, and the generator's samples.";

const DIAGNOSTICS_NOTE: &str = "Everything in this part was computed from the real data — \
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

fn figcaption(p: &Picture) -> String {
    format!(
        "<figcaption>{} (<code>{}</code>)</figcaption>",
        escape(&p.caption),
        p.name
    )
}

fn data_url(png: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    format!("data:image/png;base64,{encoded}")
}

/// `s` escaped for HTML, with Markdown's `code` spans as `<code>`.
fn code(s: &str) -> String {
    let parts = escape(s);
    let parts = parts.split('`').enumerate().map(|(i, part)| match i % 2 {
        1 => format!("<code>{part}</code>"),
        _ => part.to_string(),
    });
    parts.collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
