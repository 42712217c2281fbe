//! Run files: written so that a crash never leaves a half-written one (bottom floor: every
//! module may use it), and configurations read with errors that name the file.
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;

use crate::InputError;

/// Writes `contents` to `path` through a temporary file in the same folder and a rename,
/// creating the folder if needed. The temporary name is unique to the process and the call, so
/// writers of the same file in several processes (a sweep's Slurm tasks) or threads never
/// share one: the last rename wins, whole.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!(
        "{}.{}-{call}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(contents)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// Writes `value` as pretty JSON, atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// The configuration file `--config FILE` names, as a `T` (`what`: "GAN", "classifier").
pub fn read_config_file<T: DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read --config {}: {e}", path.display())))?;
    parse_config(&text, path, what)
}

/// The `config.json` of the run directory `run`, as a `T` (`what`: "GAN", "classifier").
pub fn read_run_config<T: DeserializeOwned>(run: &Path, what: &str) -> anyhow::Result<T> {
    let path = run.join("config.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| InputError::new(format!("{} is not a run directory: {e}", run.display())))?;
    parse_config(&text, &path, what)
}

fn parse_config<T: DeserializeOwned>(text: &str, path: &Path, what: &str) -> anyhow::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        InputError::new(format!(
            "{} is not a valid {what} configuration: {e}",
            path.display()
        ))
        .into()
    })
}
/// The JSON file at `path` as a `T`. An unreadable file is bad input, said by `unreadable`
/// (given the I/O error); invalid JSON is bad input too.
pub fn read_json<T: DeserializeOwned>(
    path: &Path,
    unreadable: impl FnOnce(std::io::Error) -> String,
) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::new(unreadable(e)))?;
    serde_json::from_str(&text)
        .map_err(|e| InputError::new(format!("{} is not valid: {e}", path.display())).into())
}

/// `YYYYMMDD-HHMMSS` (UTC) for default run folders and records.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_writers_of_one_file_never_fail_and_leave_one_whole_version() {
        // Eight writers at once (a sweep's Slurm tasks all record the same sweep.json): with a
        // shared temporary name, one writer's rename took the file from under another's.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.json");
        std::thread::scope(|scope| {
            for writer in 0..8u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..50 {
                        write_atomic(path, &[writer; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert!(bytes.iter().all(|b| *b == bytes[0]), "a mixed file");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "temporary files left behind");
    }

    #[test]
    fn timestamps_have_the_right_shape() {
        let t = timestamp();
        assert_eq!(t.len(), 15);
        assert!(t.starts_with("20") && t.as_bytes()[8] == b'-');
    }
}
