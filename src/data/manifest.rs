//! A dataset's manifest: a CSV file with the columns `path,label,subject` and any others.
//!
//! `path` is relative to the manifest's folder (or absolute). Rows are checked before any image
//! is read: every file must exist, every field be non-empty, and the labels name at least two
//! classes. Extra columns (e.g. `modality`) are kept as text.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{DataError, Result};

#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// The image file, resolved against the manifest's folder.
    pub path: PathBuf,
    pub label: String,
    pub subject: String,
    /// Every other column, by header name.
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub path: PathBuf,
    pub rows: Vec<ManifestRow>,
    /// Sorted distinct labels: the class names; a label's index is its class id.
    pub class_names: Vec<String>,
}

pub const REQUIRED_COLUMNS: [&str; 3] = ["path", "label", "subject"];

impl Manifest {
    /// Reads and checks `manifest` (see the module docs).
    pub fn read(manifest: &Path) -> Result<Self> {
        let folder = manifest.parent().unwrap_or(Path::new("."));
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(manifest)
            .map_err(|e| csv_error(manifest, e))?;
        let headers = reader
            .headers()
            .map_err(|e| csv_error(manifest, e))?
            .clone();
        let mut index = [0usize; 3];
        for (slot, name) in index.iter_mut().zip(REQUIRED_COLUMNS) {
            *slot = headers.iter().position(|h| h == name).ok_or_else(|| {
                DataError::bad_file(
                    manifest,
                    format!(
                        "no `{name}` column (the header must contain path,label,subject; found {})",
                        headers.iter().collect::<Vec<_>>().join(",")
                    ),
                )
            })?;
        }
        let mut rows = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let line = n + 2;
            let record = record.map_err(|e| csv_error(manifest, e))?;
            let field = |i: usize, name: &str| -> Result<String> {
                match record.get(i) {
                    Some(v) if !v.is_empty() => Ok(v.to_string()),
                    _ => Err(DataError::bad_file(
                        manifest,
                        format!("line {line}: empty `{name}`"),
                    )),
                }
            };
            let rel = field(index[0], "path")?;
            let path = folder.join(&rel);
            if !path.is_file() {
                return Err(DataError::bad_file(
                    manifest,
                    format!("line {line}: file {} does not exist", path.display()),
                ));
            }
            let extra = headers
                .iter()
                .enumerate()
                .filter(|(i, _)| !index.contains(i))
                .map(|(i, h)| (h.to_string(), record.get(i).unwrap_or("").to_string()))
                .collect();
            rows.push(ManifestRow {
                path,
                label: field(index[1], "label")?,
                subject: field(index[2], "subject")?,
                extra,
            });
        }
        if rows.is_empty() {
            return Err(DataError::bad_file(manifest, "has no rows"));
        }
        let mut class_names: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        class_names.sort();
        class_names.dedup();
        if class_names.len() < 2 {
            return Err(DataError::bad_file(
                manifest,
                format!(
                    "the label column has one class only ({:?}); a class-conditional GAN needs at least 2",
                    class_names[0]
                ),
            ));
        }
        Ok(Manifest {
            path: manifest.to_path_buf(),
            rows,
            class_names,
        })
    }

    /// The class id of a label.
    pub fn class_of(&self, label: &str) -> usize {
        self.class_names
            .binary_search_by(|c| c.as_str().cmp(label))
            .expect("labels come from the rows")
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::io(path, io),
        other => DataError::bad_file(path, format!("not a valid CSV manifest ({other:?})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("manifest.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_rows_and_classes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.nii"), b"").unwrap();
        std::fs::write(dir.path().join("b.nii"), b"").unwrap();
        let m = Manifest::read(&write(
            dir.path(),
            "path,label,subject,modality\na.nii,mri,s1,MR\nb.nii,ct,s2,CT\n",
        ))
        .unwrap();
        assert_eq!(m.class_names, vec!["ct", "mri"]);
        assert_eq!(m.class_of("mri"), 1);
        assert_eq!(m.rows[1].extra["modality"], "CT");
    }

    #[test]
    fn missing_file_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.nii"), b"").unwrap();
        let err = Manifest::read(&write(
            dir.path(),
            "path,label,subject\na.nii,x,s1\nmissing.nii,y,s2\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("manifest.csv") && err.contains("line 3") && err.contains("missing.nii"),
            "{err}"
        );
    }

    #[test]
    fn one_class_only_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.nii"), b"").unwrap();
        let err = Manifest::read(&write(
            dir.path(),
            "path,label,subject\na.nii,x,s1\na.nii,x,s2\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(err.contains("one class only"), "{err}");
    }

    #[test]
    fn missing_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = Manifest::read(&write(dir.path(), "file,label\na,b\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `path` column"), "{err}");
    }
}
