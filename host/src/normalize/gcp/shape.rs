//! The shape of a GCP Cloud Audit Logs entry as the normalizer reads it: a Cloud Logging
//! `LogEntry` whose `protoPayload` is a `google.cloud.audit.AuditLog`, only the fields the
//! event model needs, every one read leniently ([`crate::normalize::lenient`]).
//!
//! Exporters fold the entry's own keys to lower case (`insertid`, `protopayload`), so the top
//! level is read with its keys folded ([`FoldedKeys`]) and names them in lower case; the
//! payload's keys are matched as Google writes them.

use serde::Deserialize;

use crate::normalize::lenient::{FoldedKeys, List, Loose, Object};

/// A whole record: the entry, its keys folded.
pub type Record<'a> = FoldedKeys<LogEntry<'a>>;

/// The `LogEntry`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogEntry<'a> {
    #[serde(borrow, rename = "insertid")]
    pub insert_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "logname")]
    pub log_name: Option<Loose<'a>>,
    #[serde(borrow)]
    pub timestamp: Option<Loose<'a>>,
    #[serde(borrow, rename = "receivetimestamp")]
    pub receive_timestamp: Option<Loose<'a>>,
    #[serde(borrow)]
    pub resource: Object<MonitoredResource<'a>>,
    #[serde(borrow)]
    pub operation: Object<Operation<'a>>,
    /// `None` when the entry has no payload at all: then it is not an audit log entry.
    #[serde(borrow, rename = "protopayload")]
    pub proto_payload: Option<Object<AuditLog<'a>>>,
}

/// `resource`: the monitored resource the entry is about (`gce_instance`, `gcs_bucket`, ...).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MonitoredResource<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
    #[serde(borrow)]
    pub labels: Object<ResourceLabels<'a>>,
}

/// `resource.labels`: the ones that say where.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResourceLabels<'a> {
    #[serde(borrow)]
    pub project_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub location: Option<Loose<'a>>,
    #[serde(borrow)]
    pub zone: Option<Loose<'a>>,
    #[serde(borrow)]
    pub region: Option<Loose<'a>>,
    /// `audited_resource` entries name the service here.
    #[serde(borrow)]
    pub service: Option<Loose<'a>>,
}

/// `operation`: the long-running operation an entry belongs to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Operation<'a> {
    #[serde(borrow)]
    pub id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub producer: Option<Loose<'a>>,
}

/// `protoPayload`: the `AuditLog`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditLog<'a> {
    #[serde(borrow, rename = "@type")]
    pub type_url: Option<Loose<'a>>,
    /// `@type` as exporters that cannot write `@` spell it.
    #[serde(borrow)]
    pub at_type: Option<Loose<'a>>,
    #[serde(borrow, rename = "serviceName")]
    pub service_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "methodName")]
    pub method_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "resourceName")]
    pub resource_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "authenticationInfo")]
    pub authentication_info: Object<AuthenticationInfo<'a>>,
    #[serde(borrow, rename = "authorizationInfo")]
    pub authorization_info: List<AuthorizationInfo<'a>>,
    #[serde(borrow, rename = "requestMetadata")]
    pub request_metadata: Object<RequestMetadata<'a>>,
    #[serde(borrow)]
    pub status: Object<Status<'a>>,
}

/// `authenticationInfo`: who called.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthenticationInfo<'a> {
    #[serde(borrow, rename = "principalEmail")]
    pub principal_email: Option<Loose<'a>>,
    #[serde(borrow, rename = "principalSubject")]
    pub principal_subject: Option<Loose<'a>>,
    #[serde(borrow, rename = "serviceAccountKeyName")]
    pub service_account_key_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "serviceAccountDelegationInfo")]
    pub delegation: List<Delegation<'a>>,
}

/// One entry of `serviceAccountDelegationInfo`: a principal the caller acts for.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Delegation<'a> {
    #[serde(borrow, rename = "principalSubject")]
    pub principal_subject: Option<Loose<'a>>,
    #[serde(borrow, rename = "firstPartyPrincipal")]
    pub first_party: Object<FirstPartyPrincipal<'a>>,
    #[serde(borrow, rename = "thirdPartyPrincipal")]
    pub third_party: Object<ThirdPartyPrincipal<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FirstPartyPrincipal<'a> {
    #[serde(borrow, rename = "principalEmail")]
    pub principal_email: Option<Loose<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThirdPartyPrincipal<'a> {
    #[serde(borrow, rename = "thirdPartyClaims")]
    pub claims: Object<ThirdPartyClaims<'a>>,
}

/// `thirdPartyClaims` is free-form; these are the OpenID Connect claims that name someone.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThirdPartyClaims<'a> {
    #[serde(borrow)]
    pub email: Option<Loose<'a>>,
    #[serde(borrow)]
    pub sub: Option<Loose<'a>>,
}

/// One entry of `authorizationInfo`: a permission checked on a resource.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizationInfo<'a> {
    #[serde(borrow)]
    pub resource: Option<Loose<'a>>,
    #[serde(borrow)]
    pub permission: Option<Loose<'a>>,
    #[serde(borrow)]
    pub granted: Option<Loose<'a>>,
    #[serde(borrow, rename = "resourceAttributes")]
    pub resource_attributes: Object<ResourceAttributes<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResourceAttributes<'a> {
    #[serde(borrow)]
    pub name: Option<Loose<'a>>,
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
}

/// `requestMetadata`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestMetadata<'a> {
    #[serde(borrow, rename = "callerIp")]
    pub caller_ip: Option<Loose<'a>>,
    /// `callerIp` as some exports spell it.
    #[serde(borrow, rename = "callerIP")]
    pub caller_ip_upper: Option<Loose<'a>>,
    #[serde(borrow, rename = "callerSuppliedUserAgent")]
    pub user_agent: Option<Loose<'a>>,
    #[serde(borrow, rename = "requestAttributes")]
    pub request_attributes: Object<RequestAttributes<'a>>,
}

/// `requestMetadata.requestAttributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestAttributes<'a> {
    /// When the service received the request.
    #[serde(borrow)]
    pub time: Option<Loose<'a>>,
}

/// `status`: a `google.rpc.Status`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status<'a> {
    #[serde(borrow)]
    pub code: Option<Loose<'a>>,
    #[serde(borrow)]
    pub message: Option<Loose<'a>>,
}
