//! Rendering a [`Detection`] as an OCSF Detection Finding (class_uid 2004).
//!
//! STUB: owned by the findings/sinks/config work.

use super::Detection;

pub fn to_json(detection: &Detection) -> serde_json::Value {
    serde_json::json!({ "class_uid": 2004, "finding_info": { "analytic": { "uid": detection.finding.rule_id } } })
}
