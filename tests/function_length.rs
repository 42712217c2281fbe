//! No function in `src/` or `privacy-accounting/src/` is longer than 120 lines, and the GAN's
//! `train()` stays under 80: long functions are where shared machinery gets copied instead of
//! reused (issue #22). Counted from the `fn` line to its closing brace at the same indentation,
//! `rustfmt`-formatted code assumed (`cargo fmt --check` runs in CI).
use std::path::{Path, PathBuf};

const LIMIT: usize = 120;
const TRAIN_LIMIT: usize = 80;

/// A function with a body: its name, first line (1-based) and length in lines.
#[derive(Debug, PartialEq)]
struct Function {
    name: String,
    line: usize,
    lines: usize,
}

/// The name of the function a line declares, with the line's indentation.
fn declares(line: &str) -> Option<(&str, String)> {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut rest = trimmed;
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some((indent, name))
}

fn functions(source: &str) -> Vec<Function> {
    let lines: Vec<&str> = source.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((indent, name)) = declares(line) else {
            continue;
        };
        // The signature ends at the first `{` (a body) or a `;` (a declaration without one).
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.contains('{') || l.ends_with(';')
        }) else {
            continue;
        };
        if !lines[open].contains('{') {
            continue;
        }
        if open == i && lines[open].trim_end().ends_with('}') {
            found.push(Function {
                name,
                line: i + 1,
                lines: 1,
            });
            continue;
        }
        let close = format!("{indent}}}");
        let end = (open..lines.len())
            .find(|&j| lines[j].trim_end() == close)
            .unwrap_or(lines.len() - 1);
        found.push(Function {
            name,
            line: i + 1,
            lines: end - i + 1,
        });
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_counter_measures_what_it_should() {
    let source = "fn one() {}\n\
                  pub fn three(\n    a: u8,\n) {\n    let x = 1;\n}\n\
                  impl T {\n    pub(crate) fn inner() -> u8 {\n        if true {\n        }\n        0\n    }\n}\n\
                  trait S {\n    fn declared(&self);\n}\n";
    let found = functions(source);
    let summary: Vec<(&str, usize)> = found.iter().map(|f| (f.name.as_str(), f.lines)).collect();
    assert_eq!(summary, vec![("one", 1), ("three", 5), ("inner", 5)]);
}

#[test]
fn no_function_is_longer_than_120_lines_and_train_is_under_80() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("privacy-accounting/src"), &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut long = Vec::new();
    let mut train = None;
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(root).unwrap().display().to_string();
        for f in functions(&source) {
            if f.lines > LIMIT {
                long.push(format!(
                    "{relative}:{} {} ({} lines)",
                    f.line, f.name, f.lines
                ));
            }
            if relative.ends_with("train/trainer.rs") && f.name == "train" {
                train = Some(f.lines);
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {LIMIT} lines (split them along their seams):\n{}",
        long.join("\n")
    );
    let train = train.expect("src/train/trainer.rs defines train()");
    assert!(
        train < TRAIN_LIMIT,
        "train() is {train} lines; the session (src/train/session.rs) should carry the shared \
         machinery"
    );
}
