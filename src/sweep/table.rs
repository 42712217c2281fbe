//! The sweep's table: one row per point, as CSV, JSON and Markdown.
use std::path::Path;

use super::point::Row;
use crate::files::write_atomic;

const COLUMNS: [&str; 19] = [
    "epsilon_target",
    "replicate",
    "status",
    "epsilon",
    "delta",
    "noise_multiplier",
    "steps",
    "utility_ratio",
    "real_accuracy",
    "synthetic_accuracy",
    "frechet",
    "best_attack",
    "best_auc",
    "best_tpr_at_fpr_0.001",
    "bound_tpr_at_fpr_0.001",
    "synthetic_plain_accuracy",
    "frechet_reference",
    "useful",
    "dp_model_accuracy",
];

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or(String::new(), |x| format!("{x:.digits$}"))
}

fn cells(r: &Row) -> Vec<String> {
    vec![
        r.epsilon_target.clone(),
        r.replicate.to_string(),
        r.status.clone(),
        num(r.epsilon, 4),
        r.delta.map_or(String::new(), |d| format!("{d:e}")),
        num(r.noise_multiplier, 4),
        r.steps.map_or(String::new(), |s| s.to_string()),
        num(r.utility_ratio, 3),
        num(r.real_accuracy, 3),
        num(r.synthetic_accuracy, 3),
        num(r.frechet, 4),
        r.best_attack.clone().unwrap_or_default(),
        num(r.best_auc, 3),
        num(r.best_tpr_at_fpr_0_001, 3),
        num(r.bound_tpr_at_fpr_0_001, 3),
        num(r.synthetic_plain_accuracy, 3),
        num(r.frechet_reference, 4),
        r.useful.map_or(String::new(), |u| u.to_string()),
        num(r.dp_model_accuracy, 3),
    ]
}

/// The verdict as a table cell.
pub fn usefulness(r: &Row) -> String {
    match r.useful {
        Some(true) => "useful".into(),
        Some(false) => r.verdict.as_deref().map_or("NOT useful".into(), |v| {
            if v.starts_with("not useful") {
                "NOT useful".into()
            } else {
                v.split(':').next().unwrap_or(v).to_string()
            }
        }),
        None => String::new(),
    }
}

pub fn within(r: &Row) -> String {
    match (r.within_bound, r.exchangeable) {
        (Some(true), _) if point_above_bound(r) => format!("yes{POINT_ABOVE_MARK}"),
        (Some(true), _) => "yes".into(),
        (Some(false), _) => "NO".into(),
        (None, Some(false)) => "n/a (by subject)".into(),
        (None, _) => String::new(),
    }
}

/// Marks a "within bound" whose printed TPR at 0.1 % FPR is above the printed bound.
pub const POINT_ABOVE_MARK: &str = "*";

/// What [`POINT_ABOVE_MARK`] means, under a table that shows it.
pub const POINT_ABOVE_NOTE: &str = "\\* The TPR at 0.1 % FPR is a point estimate above the bound, \
     yet within it: an attack counts as above only where the lower end of its TPR's \
     Clopper–Pearson interval lies above the bound at the upper end of its FPR's (95 %, \
     Bonferroni over the ROC's points). With n non-members, zero false positives bound the FPR \
     only to about 3 / n (more after the correction), where the bound allows a higher TPR.";

/// Whether the best attack's TPR at 0.1 % FPR, as printed, lies above the printed bound of a
/// point whose bound check says within: a point estimate from few members, not a leak.
pub fn point_above_bound(r: &Row) -> bool {
    r.within_bound == Some(true)
        && matches!(
            (r.best_tpr_at_fpr_0_001, r.bound_tpr_at_fpr_0_001),
            (Some(tpr), Some(bound)) if format!("{tpr:.3}") != format!("{bound:.3}") && tpr > bound
        )
}

/// `table.csv`, `table.json` and `table.md` in `out`.
pub fn write_tables(rows: &[Row], out: &Path) -> anyhow::Result<()> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.extend(["within_bound", "wall_seconds", "error"]);
    csv.write_record(&header)?;
    for r in rows {
        let mut c = cells(r);
        c.push(r.within_bound.map_or(String::new(), |b| b.to_string()));
        c.push(format!("{:.1}", r.wall_seconds));
        c.push(r.error.clone().unwrap_or_default());
        csv.write_record(&c)?;
    }
    write_atomic(&out.join("table.csv"), &csv.into_inner()?)?;
    crate::files::write_json(&out.join("table.json"), &rows)?;
    write_atomic(&out.join("table.md"), markdown(rows).as_bytes())
}

/// The display table's first columns that ε covers (target, replicate, status, ε, δ, σ,
/// steps); the others come from real data (utility, fidelity, attacks).
pub const RELEASED_COLUMNS: usize = 7;

/// The columns a person reads (Markdown table and HTML report), and each row's cells.
pub fn display_table(rows: &[Row]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    // The DP classifier's column only in sweeps that trained one (`--dp-model`).
    let dp_model = rows.iter().any(|r| r.dp_model_accuracy.is_some());
    let mut header = vec![
        "ε target",
        "rep",
        "status",
        "ε spent",
        "δ",
        "σ",
        "steps",
        "synthetic data",
        "utility ratio",
        "real bal. acc.",
        "synthetic bal. acc.",
        "synthetic acc.",
        "FD",
        "FD real vs real",
        "best attack",
        "AUC",
        "TPR@0.1%",
        "bound TPR@0.1%",
        "within bound",
        "wall s",
    ];
    if dp_model {
        header.insert(12, "DP model bal. acc.");
    }
    let body = rows
        .iter()
        .map(|r| {
            let c = cells(r);
            let status = match &r.error {
                Some(e) => format!("failed: {e}"),
                None => r.status.clone(),
            };
            let mut cells = vec![
                c[0].clone(),
                c[1].clone(),
                status,
                c[3].clone(),
                c[4].clone(),
                c[5].clone(),
                c[6].clone(),
                usefulness(r),
                c[7].clone(),
                c[8].clone(),
                c[9].clone(),
                c[15].clone(),
                c[10].clone(),
                c[16].clone(),
                c[11].clone(),
                c[12].clone(),
                c[13].clone(),
                c[14].clone(),
                within(r),
                format!("{:.0}", r.wall_seconds),
            ];
            if dp_model {
                cells.insert(12, c[18].clone());
            }
            cells
        })
        .collect();
    (header, body)
}

/// The table in Markdown (also the report's).
pub fn markdown(rows: &[Row]) -> String {
    let (header, body) = display_table(rows);
    let mut md = markdown_of(&header, &body);
    if rows.iter().any(point_above_bound) {
        md.push('\n');
        md.push_str(POINT_ABOVE_NOTE);
        md.push('\n');
    }
    md
}

/// A Markdown table of the given header and cells.
pub fn markdown_of(header: &[&str], body: &[Vec<String>]) -> String {
    let mut md = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for row in body {
        let row: Vec<String> = row.iter().map(|c| c.replace('|', "/")).collect::<Vec<_>>();
        md.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tpr: f64, bound: f64, within: bool) -> Row {
        serde_json::from_value(serde_json::json!({
            "epsilon_target": "1", "replicate": 0, "status": "done",
            "best_tpr_at_fpr_0_001": tpr, "bound_tpr_at_fpr_0_001": bound,
            "within_bound": within, "wall_seconds": 1.0, "run_dir": "r"
        }))
        .unwrap()
    }

    #[test]
    fn a_point_estimate_above_the_bound_is_marked_and_explained_under_the_table() {
        let above = row(0.007, 0.0024, true);
        assert_eq!(within(&above), format!("yes{POINT_ABOVE_MARK}"));
        assert!(markdown(&[above]).contains("Clopper–Pearson"));
        // Under the bound, equal as printed, or a real violation: no mark, no note.
        for r in [row(0.001, 0.0024, true), row(0.0024, 0.00238, true)] {
            assert_eq!(within(&r), "yes");
            assert!(!markdown(&[r]).contains("Clopper–Pearson"));
        }
        assert_eq!(within(&row(0.2, 0.0024, false)), "NO");
    }
}
