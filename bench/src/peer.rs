//! The peer row: the native Sigma engine over the SigmaHQ CloudTrail rules, on the same records.

use std::path::Path;

use crate::measure::{measure, Outcome, Row};
use crate::sigma_peer::SigmaPeer;

/// Loads the rules (load time is not measured) and evaluates all of them on every record.
pub fn row<'a>(
    rules: &Path,
    records: impl ExactSizeIterator<Item = &'a serde_json::Value>,
) -> anyhow::Result<Row> {
    let (peer, report) = SigmaPeer::load(rules)?;
    let name = format!("Sigma peer, {} SigmaHQ CloudTrail rules", report.loaded);
    measure("peer", name, 0, || {
        let events = records.len() as u64;
        let hits: usize = records.map(|r| usize::from(peer.matches(r) > 0)).sum();
        let skipped = report.skipped.len();
        Ok(Outcome {
            events,
            note: format!("{hits} events matched a rule; {skipped} rule files or documents skipped"),
        })
    })
}
