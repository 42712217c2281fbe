//! `dpgan sweep --status`: where each point of a sweep stands, read from the point folders and,
//! for a sweep submitted to Slurm, from the queue.
use std::path::Path;

use serde::Serialize;

use super::plan::SweepPlan;
use super::point::recorded;
use super::slurm::{Queue, Submission};

/// Where a point stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Its row says done: never redone.
    Done,
    /// Its row says failed, or its Slurm task ended without a row (killed, timed out, lost).
    Failed,
    /// Its Slurm task is running.
    Running,
    /// Its Slurm task waits in the queue.
    Queued,
    /// Not run yet (or, locally, started and not finished).
    Pending,
}

/// One point's line of the status.
#[derive(Debug, Clone, Serialize)]
pub struct PointStatus {
    pub index: usize,
    pub point: String,
    pub state: State,
    /// Why it failed, or which job runs it.
    pub detail: String,
}

/// The state of every point of `plan`. `slurm`: the sweep's submissions and the queue, when it
/// went to Slurm.
pub fn statuses(
    plan: &SweepPlan,
    out: &Path,
    slurm: Option<(&[Submission], &Queue)>,
) -> Vec<PointStatus> {
    plan.points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let row = recorded(point, out);
            // The latest submission of this point, and the queue's word on its task.
            let task = slurm.and_then(|(subs, queue)| {
                subs.iter()
                    .rev()
                    .find(|s| s.points.contains(&index))
                    .map(|s| (s, queue.task(&s.array_job, index)))
            });
            let (state, detail) = match (&row, task) {
                (_, Some((s, Some(q)))) => {
                    let job = format!("job {}_{index}", s.array_job);
                    match q {
                        "RUNNING" | "COMPLETING" | "CONFIGURING" => (State::Running, job),
                        other => (State::Queued, format!("{job} ({})", other.to_lowercase())),
                    }
                }
                (Some(r), _) if r.is_done() => (State::Done, String::new()),
                (Some(r), _) => (State::Failed, r.error.clone().unwrap_or_default()),
                (None, Some((s, None))) => (
                    State::Failed,
                    format!(
                        "job {}_{index} ended without a result (cancelled, timed out or \
                         killed): see {}",
                        s.array_job,
                        out.join("logs")
                            .join(format!("{}_{index}.out", s.array_job))
                            .display()
                    ),
                ),
                (None, None) if point.dir(out).exists() => (
                    State::Pending,
                    "started, not finished (still running, or interrupted)".into(),
                ),
                (None, None) => (State::Pending, String::new()),
            };
            PointStatus {
                index,
                point: point.name(),
                state,
                detail,
            }
        })
        .collect()
}

/// The points a new submission should run: neither done nor in the queue.
pub fn to_submit(statuses: &[PointStatus]) -> Vec<usize> {
    statuses
        .iter()
        .filter(|s| matches!(s.state, State::Failed | State::Pending))
        .map(|s| s.index)
        .collect()
}

/// The status as text: one line a point, then the counts.
pub fn text(statuses: &[PointStatus]) -> String {
    let mut s = String::new();
    for p in statuses {
        let state = serde_json::to_value(p.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        s.push_str(&format!(
            "{:>3}  {:<24} {:<8} {}\n",
            p.index, p.point, state, p.detail
        ));
    }
    let count = |state: State| statuses.iter().filter(|p| p.state == state).count();
    s.push_str(&format!(
        "{} point(s): {} done, {} running, {} queued, {} pending, {} failed\n",
        statuses.len(),
        count(State::Done),
        count(State::Running),
        count(State::Queued),
        count(State::Pending),
        count(State::Failed)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::plan::points;
    use crate::sweep::point::Row;
    use crate::train::TrainConfig;

    fn write_row(out: &Path, plan: &SweepPlan, i: usize, done: bool) {
        let p = &plan.points[i];
        let mut row = Row::failed(p, &p.dir(out).join("run"), "boom".into(), 1.0);
        if done {
            row.status = "done".into();
            row.error = None;
        }
        crate::files::write_json(&p.dir(out).join("row.json"), &row).unwrap();
    }

    #[test]
    fn states_come_from_the_rows_and_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let plan = SweepPlan {
            points: points(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0), None], 1),
            base: TrainConfig::default(),
            classifier_steps: None,
            audit_trials: 0,
            dp_model: None,
        };
        write_row(out, &plan, 0, true);
        write_row(out, &plan, 1, false);
        let subs = vec![Submission {
            array_job: "7".into(),
            report_job: "8".into(),
            points: vec![1, 2, 3, 4],
            submitted_at: String::new(),
        }];
        let queue = Queue::parse("7_2|RUNNING\n7_3|PENDING\n8|PENDING\n");
        let s = statuses(&plan, out, Some((&subs, &queue)));
        let states: Vec<State> = s.iter().map(|p| p.state).collect();
        assert_eq!(
            states,
            [
                State::Done,
                State::Failed,
                State::Running,
                State::Queued,
                State::Failed
            ]
        );
        assert_eq!(s[1].detail, "boom");
        assert!(s[4].detail.contains("7_4"), "{}", s[4].detail);
        assert_eq!(to_submit(&s), [1, 4]);
        // Without Slurm, nothing is queued and the point that never ran is pending.
        let local = statuses(&plan, out, None);
        assert_eq!(local[4].state, State::Pending);
        assert_eq!(to_submit(&local), [1, 2, 3, 4]);
        assert!(text(&s).contains("5 point(s): 1 done, 1 running, 1 queued, 0 pending, 2 failed"));
    }
}
