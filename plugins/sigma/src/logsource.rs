//! Which of trailhound's log sources a rule's `logsource` is, and the event service that
//! tells apart the two Entra ID logs sharing the `azure-audit` source.

use serde_yaml_ng::Value;

/// A log source this plugin runs rules on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    CloudTrail,
    GcpAudit,
    AzureActivity,
    /// Entra ID's sign-in logs.
    AzureSignIn,
    /// Entra ID's audit log.
    AzureAudit,
    K8sAudit,
}

impl Kind {
    /// The event source (`Event::source`) of the rule's events.
    pub fn source(self) -> &'static str {
        match self {
            Kind::CloudTrail => "aws-cloudtrail",
            Kind::GcpAudit => "gcp-audit",
            Kind::AzureActivity => "azure-activity",
            Kind::AzureSignIn | Kind::AzureAudit => "azure-audit",
            Kind::K8sAudit => "k8s-audit",
        }
    }

    /// The event service the Entra ID normalizer names each of its logs by, for the rules
    /// of one of them.
    pub fn service(self) -> Option<&'static str> {
        match self {
            Kind::AzureSignIn => Some("signinlogs"),
            Kind::AzureAudit => Some("auditlogs"),
            _ => None,
        }
    }

    /// Whether the provider names actions with a fixed case, so a rule's action values as
    /// written are the names the host filters events by (Azure's operation names come in
    /// any case, and Sigma compares them case-insensitively).
    pub fn actions_are_cased(self) -> bool {
        matches!(self, Kind::CloudTrail | Kind::GcpAudit)
    }
}

/// The log source a rule's `logsource` mapping names, written `product/service` (or
/// `product/category`) as the load report counts it.
pub fn label(logsource: Option<&Value>) -> String {
    let get = |key: &str| logsource.and_then(|l| l.get(key)).and_then(Value::as_str);
    let parts: Vec<&str> =
        [get("product"), get("service").or(get("category"))].into_iter().flatten().collect();
    if parts.is_empty() {
        "(no logsource)".into()
    } else {
        parts.join("/")
    }
}

/// # Errors
/// Why a log source is not one this plugin reads.
pub fn resolve(logsource: Option<&Value>) -> Result<Kind, String> {
    let get = |key: &str| logsource.and_then(|l| l.get(key)).and_then(Value::as_str);
    let kind = match (get("product"), get("service"), get("category")) {
        (Some("aws"), Some("cloudtrail"), _) => Kind::CloudTrail,
        (Some("gcp"), Some("gcp.audit"), _) => Kind::GcpAudit,
        (Some("azure"), Some("activitylogs"), _) => Kind::AzureActivity,
        (Some("azure"), Some("signinlogs"), _) => Kind::AzureSignIn,
        (Some("azure"), Some("auditlogs"), _) => Kind::AzureAudit,
        (Some("kubernetes"), Some("audit"), _) | (Some("kubernetes"), None, Some("audit")) => Kind::K8sAudit,
        _ => {
            return Err(format!(
                "log source {} is not one trailhound reads (it reads aws/cloudtrail, gcp/gcp.audit, azure/activitylogs, azure/signinlogs, azure/auditlogs and kubernetes/audit)",
                label(logsource)
            ))
        }
    };
    Ok(kind)
}
