//! Existing Falco rules files load unmodified: each `.yaml` file in the folder named by
//! `FALCO_RULES_DIR` (for example the `rules/` folders of Falco's cloudtrail, k8saudit and
//! gcpaudit plugins) is loaded and compiled on its own.

use rules::Rules;
use trailhound_sdk::testing::Harness;
use trailhound_sdk::File;

#[test]
fn upstream_falco_rules_files_load_unmodified() {
    let Some(dir) = std::env::var_os("FALCO_RULES_DIR") else {
        println!("SKIPPED: set FALCO_RULES_DIR to a folder of Falco rules files");
        return;
    };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("FALCO_RULES_DIR is readable")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no rules files in {dir:?}");
    let mut failures = Vec::new();
    for path in paths {
        let contents = std::fs::read(&path).expect("a readable rules file");
        let file = File { path: path.display().to_string(), contents };
        match Harness::<Rules>::with_files(serde_json::Value::Null, vec![file]) {
            Ok(harness) => println!("{}: {} rules", path.display(), harness.detector().rules().len()),
            Err(error) => failures.push(error),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
