//! docs/ARCHITECTURE.md names every source file: a file added under src/ without a line in
//! its table fails here, so the map a newcomer reads stays complete.

use std::path::Path;

fn source_files(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            let relative = path.strip_prefix(root).expect("under the crate");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn architecture_names_every_source_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("read the doc");
    let mut files = Vec::new();
    source_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !doc.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/ARCHITECTURE.md does not name {} source files (add a line to its table): {missing:#?}",
        missing.len()
    );
}
