//! The shape of a Kubernetes audit event (`audit.k8s.io/v1` `Event`) as the normalizer reads
//! it: the request, who made it, its outcome, and, for pods and the workloads that template
//! them, what the pod would run. Host namespaces and host-path volumes have no place in the
//! event model; detectors read them from the record (`$.requestObject.spec.hostPID`). Every
//! field is read leniently ([`crate::normalize::lenient`]).

use serde::Deserialize;

use crate::normalize::lenient::{List, Loose, Object, Scalars};

/// The top level of an audit event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Audit<'a> {
    #[serde(borrow)]
    pub verb: Option<Loose<'a>>,
    #[serde(borrow, rename = "auditID")]
    pub audit_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub stage: Option<Loose<'a>>,
    #[serde(borrow, rename = "requestURI")]
    pub request_uri: Option<Loose<'a>>,
    #[serde(borrow, rename = "userAgent")]
    pub user_agent: Option<Loose<'a>>,
    #[serde(borrow, rename = "sourceIPs")]
    pub source_ips: Scalars<'a>,
    #[serde(borrow, rename = "requestReceivedTimestamp")]
    pub request_received: Option<Loose<'a>>,
    #[serde(borrow, rename = "stageTimestamp")]
    pub stage_timestamp: Option<Loose<'a>>,
    #[serde(borrow)]
    pub user: Object<UserInfo<'a>>,
    #[serde(borrow, rename = "impersonatedUser")]
    pub impersonated_user: Object<UserInfo<'a>>,
    #[serde(borrow, rename = "objectRef")]
    pub object_ref: Object<ObjectRef<'a>>,
    #[serde(borrow, rename = "responseStatus")]
    pub response_status: Object<Status<'a>>,
    #[serde(borrow)]
    pub annotations: Object<Annotations<'a>>,
    #[serde(borrow, rename = "requestObject")]
    pub request_object: Object<Manifest<'a>>,
}

/// `user` and `impersonatedUser` (`authentication.k8s.io/v1` `UserInfo`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserInfo<'a> {
    #[serde(borrow)]
    pub username: Option<Loose<'a>>,
    #[serde(borrow)]
    pub uid: Option<Loose<'a>>,
    #[serde(borrow)]
    pub extra: Object<Extra<'a>>,
}

/// `user.extra`: what EKS's authenticator says about the IAM principal behind a user.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Extra<'a> {
    #[serde(borrow)]
    pub arn: Scalars<'a>,
    #[serde(borrow, rename = "canonicalArn")]
    pub canonical_arn: Scalars<'a>,
    #[serde(borrow, rename = "accessKeyId")]
    pub access_key_id: Scalars<'a>,
    #[serde(borrow, rename = "sessionName")]
    pub session_name: Scalars<'a>,
}

/// `objectRef`: what the request was about.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ObjectRef<'a> {
    #[serde(borrow)]
    pub resource: Option<Loose<'a>>,
    #[serde(borrow)]
    pub subresource: Option<Loose<'a>>,
    #[serde(borrow)]
    pub namespace: Option<Loose<'a>>,
    #[serde(borrow)]
    pub name: Option<Loose<'a>>,
    #[serde(borrow, rename = "apiGroup")]
    pub api_group: Option<Loose<'a>>,
}

/// `responseStatus` (`meta/v1` `Status`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status<'a> {
    #[serde(borrow)]
    pub code: Option<Loose<'a>>,
    #[serde(borrow)]
    pub reason: Option<Loose<'a>>,
    #[serde(borrow)]
    pub message: Option<Loose<'a>>,
}

/// `annotations`: the authorizer's decision.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Annotations<'a> {
    #[serde(borrow, rename = "authorization.k8s.io/decision")]
    pub decision: Option<Loose<'a>>,
}

/// `requestObject` of a pod, or of a workload that templates pods.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Manifest<'a> {
    #[serde(borrow)]
    pub metadata: Object<Metadata<'a>>,
    #[serde(borrow)]
    pub spec: Object<Spec<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metadata<'a> {
    #[serde(borrow)]
    pub name: Option<Loose<'a>>,
    #[serde(borrow)]
    pub namespace: Option<Loose<'a>>,
}

/// A pod's spec, or a workload's spec whose `template` (Deployment, DaemonSet, Job, ...) or
/// `jobTemplate` (CronJob) holds one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Spec<'a> {
    #[serde(borrow)]
    pub containers: List<Container<'a>>,
    #[serde(borrow, rename = "initContainers")]
    pub init_containers: List<Container<'a>>,
    #[serde(borrow)]
    pub template: Object<Template<'a>>,
    #[serde(borrow, rename = "jobTemplate")]
    pub job_template: Object<Template<'a>>,
    #[serde(borrow)]
    pub volumes: List<Volume<'a>>,
    #[serde(borrow, rename = "hostPID")]
    pub host_pid: Option<Loose<'a>>,
    #[serde(borrow, rename = "hostNetwork")]
    pub host_network: Option<Loose<'a>>,
}

/// One of `spec.volumes`; only a `hostPath` volume matters here.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Volume<'a> {
    #[serde(borrow, rename = "hostPath")]
    pub host_path: Object<HostPath<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HostPath<'a> {
    #[serde(borrow)]
    pub path: Option<Loose<'a>>,
}

/// `spec.template` and `spec.jobTemplate`: a spec one level down (optional, so that an empty
/// spec does not hold an empty template holding an empty spec, without end).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Template<'a> {
    #[serde(borrow)]
    pub spec: Option<Box<Object<Spec<'a>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Container<'a> {
    #[serde(borrow)]
    pub image: Option<Loose<'a>>,
    #[serde(borrow, rename = "securityContext")]
    pub security_context: Object<SecurityContext<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SecurityContext<'a> {
    #[serde(borrow)]
    pub privileged: Option<Loose<'a>>,
}
