//! The peer rows: the native Sigma engine over the SigmaHQ CloudTrail rules, on the same
//! records, and trailhound's sigma plugin on the same rules and events, natively and as a
//! component, each read against the peer.

use std::path::Path;

use crate::boundary::{self, Component, Projected};
use crate::measure::{measure, Outcome, Row};
use crate::sigma_peer::SigmaPeer;

/// The sigma plugin's rows against the peer's events/s, and its WASM events/s.
pub struct PluginRows {
    pub rows: Vec<(Row, String)>,
    pub wasm_rate: f64,
}

/// The sigma plugin given every rule file under `rules` (sorted, as the host expands a
/// folder), run on `events` natively and as the component at `path`, in batches of 512.
pub fn plugin_rows(
    rules: &Path,
    path: &Path,
    cache_dir: &Path,
    events: &[(trailhound::event::Event, std::sync::Arc<str>)],
    peer_rate: f64,
) -> anyhow::Result<PluginRows> {
    let paths = vec![rules.to_path_buf()];
    let component = Component::load("sigma", path, paths.clone(), cache_dir)?;
    let projected: Vec<Projected> = boundary::project(events, component.info())?;
    let native = boundary::native::<sigma::Sigma>("sigma", &projected, 512, &paths)?;
    let wasm = boundary::wasm("sigma", &component, &projected, 512)?;
    let vs = |row: &Row| format!("{:.2}× the peer", row.events_per_sec() / peer_rate);
    let wasm_rate = wasm.events_per_sec();
    Ok(PluginRows { rows: vec![(native.clone(), vs(&native)), (wasm.clone(), vs(&wasm))], wasm_rate })
}

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
