//! Every SigmaHQ rule of the fixtures loads or is refused with a reason; the counts per log
//! source are printed.

mod support;

use std::time::Instant;

use sigma::Sigma;
use trailhound_sdk::Detector;

#[test]
fn every_fixture_rule_loads_or_is_refused_with_a_reason() {
    let Some(files) = support::fixture_rules() else { return };
    let started = Instant::now();
    let mut sigma = Sigma::default();
    sigma.load_files(&files).unwrap();
    let elapsed = started.elapsed();
    let report = sigma.report();
    println!("{report}");
    println!("{} (in {elapsed:?})", report.summary());
    let documents = files.iter().filter(|f| f.path.ends_with(".yml")).count();
    assert_eq!(report.loaded() + report.refused(), documents, "one outcome per rule file");
    assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
    for (source, counts) in &report.sources {
        for refusal in &counts.refused {
            assert!(!refusal.reason.is_empty(), "{source}: {} refused without a reason", refusal.what);
        }
    }
    for source in ["aws/cloudtrail", "gcp/gcp.audit", "azure/activitylogs", "kubernetes/audit"] {
        let counts = &report.sources[source];
        assert!(counts.refused.is_empty(), "{source}: {:?}", counts.refused);
    }
    assert!(elapsed.as_secs() < 2, "loading the fixture rules took {elapsed:?}");
}
