//! The crate's modules stand on floors: a module may use only modules on lower floors (the
//! bottom holds errors, file writing and device names; the CLI is the top). Checked from the
//! source text: every `crate::<module>` reference outside comments and test modules. Within a
//! folder module, the files' `super::<file>` references form no cycle (the dataset registry
//! once did: dataset ↔ default_dataset ↔ fashion_mnist).
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every top-level module of `src/` and its floor.
const FLOORS: &[(&str, u32)] = &[
    ("alloc", 0),
    ("error", 0),
    ("device", 1),
    ("files", 1),
    ("info", 1),
    ("dp", 2),
    ("layout", 2),
    ("picture", 2),
    ("audit", 3),
    ("data", 3),
    ("model", 3),
    ("train", 4),
    ("sample", 5),
    ("eval", 6),
    ("attack", 7),
    ("classify", 8),
    ("bench", 9),
    ("release", 9),
    ("sweep", 10),
    ("cli", 11),
];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file without its `#[cfg(test)]` items and comments.
fn code(path: &Path) -> String {
    let mut text = std::fs::read_to_string(path).unwrap();
    while let Some(start) = text.find("#[cfg(test)]") {
        let rest = &text[start..];
        let (brace, semicolon) = (rest.find('{'), rest.find(';'));
        if let (Some(semicolon), Some(brace)) = (semicolon, brace) {
            if semicolon < brace {
                // an item without a body (`use …;`)
                text.replace_range(start..start + semicolon + 1, "");
                continue;
            }
        }
        // the item's braces, matched outside string and character literals
        let open = start + brace.unwrap();
        let end = open + block_len(&text[open..]);
        text.replace_range(start..end, "");
    }
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The length of the `{ … }` block `text` starts with, braces inside string and character
/// literals not counted (the whole rest where it does not close).
fn block_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            // '{', '}', '\'' and the like; a lifetime has no closing quote two or three on
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') => i += 3,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// The names following `prefix` (`crate::`, `super::`), also inside `prefix{a, b::c}` groups.
fn referenced(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                names.insert(ident(item.trim()));
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_module_uses_one_on_a_higher_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let floors: BTreeMap<&str, u32> = FLOORS.iter().copied().collect();
    let mut violations = Vec::new();
    for file in rust_files(&src) {
        let from = top_module(&src, &file);
        if from == "lib" || from == "main" {
            continue;
        }
        let Some(&floor) = floors.get(from.as_str()) else {
            panic!("src/{from} has no floor: add it to FLOORS");
        };
        for to in referenced(&code(&file), "crate::") {
            if to == from || to.starts_with(char::is_uppercase) {
                continue; // the module itself, or a root re-export (InputError: floor 0)
            }
            let Some(&other) = floors.get(to.as_str()) else {
                panic!("{} uses crate::{to}, which has no floor", file.display());
            };
            if other >= floor {
                violations.push(format!(
                    "{} (floor {floor}) uses crate::{to} (floor {other})",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_files_of_a_folder_module_use_each_other_without_a_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        // file → the sibling files it names through `super::`
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let name = file.file_stem().unwrap().to_str().unwrap().to_string();
            if name == "mod" {
                continue;
            }
            let mut names = referenced(&code(&file), "super::");
            names.retain(|n| n != &name && dir.join(format!("{n}.rs")).exists());
            uses.insert(name, names);
        }
        if let Some(cycle) = find_cycle(&uses) {
            panic!("{}: {}", dir.display(), cycle.join(" → "));
        }
    }
}

/// A cycle of the graph, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_checks_see_a_violation_and_a_cycle() {
    let code = "use crate::{cli::run, dp};\nlet x = crate::sweep::go();";
    let names = referenced(code, "crate::");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["cli", "dp", "sweep"]
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    // Braces in literals do not end a test module early.
    assert_eq!(block_len("{ let c = '{'; }x"), 16);
    assert_eq!(block_len("{ \"}\" }x"), 7);
    let mut acyclic = graph.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert!(find_cycle(&acyclic).is_none());
}
