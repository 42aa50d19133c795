//! The shape of a CloudTrail record as the normalizer reads it: only the fields the event
//! model needs, borrowed from the record's text where no escape forces a copy, and everything
//! else skipped without being built. This is what keeps decoding cheap: no tree of the whole
//! record is allocated (and later freed on another thread) just to read twenty fields.
//! Every field is read leniently ([`crate::normalize::lenient`]).
//!
//! Keys are matched exactly; records whose keys an exporter folded to lower case are first
//! given their keys back by [`super::fold`].

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::normalize::lenient::{List, Loose, Object};

/// The top level of a CloudTrail record.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloudTrail<'a> {
    #[serde(borrow, rename = "eventSource")]
    pub event_source: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventName")]
    pub event_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventTime")]
    pub event_time: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventID")]
    pub event_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "recipientAccountId")]
    pub recipient_account_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "errorCode")]
    pub error_code: Option<Loose<'a>>,
    #[serde(borrow, rename = "errorMessage")]
    pub error_message: Option<Loose<'a>>,
    #[serde(borrow, rename = "readOnly")]
    pub read_only: Option<Loose<'a>>,
    #[serde(borrow, rename = "managementEvent")]
    pub management_event: Option<Loose<'a>>,
    #[serde(borrow, rename = "awsRegion")]
    pub aws_region: Option<Loose<'a>>,
    #[serde(borrow, rename = "sourceIPAddress")]
    pub source_ip_address: Option<Loose<'a>>,
    #[serde(borrow, rename = "userAgent")]
    pub user_agent: Option<Loose<'a>>,
    #[serde(borrow, rename = "userIdentity")]
    pub user_identity: Object<UserIdentity<'a>>,
    #[serde(borrow, rename = "additionalEventData")]
    pub additional_event_data: Object<AdditionalEventData<'a>>,
    #[serde(borrow, rename = "responseElements")]
    pub response_elements: Object<ResponseElements<'a>>,
    #[serde(borrow, rename = "requestParameters")]
    pub request_parameters: Object<RequestParameters<'a>>,
    #[serde(borrow)]
    pub resources: List<ListedResource<'a>>,
    #[serde(borrow, rename = "requestID")]
    pub request_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "sharedEventID")]
    pub shared_event_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventCategory")]
    pub event_category: Option<Loose<'a>>,
    /// Only in Insights events.
    #[serde(rename = "insightDetails")]
    pub insight_details: Option<IgnoredAny>,
    /// Only in digest files.
    #[serde(rename = "digestStartTime")]
    pub digest_start_time: Option<IgnoredAny>,
}

/// `userIdentity`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
    #[serde(borrow)]
    pub arn: Option<Loose<'a>>,
    #[serde(borrow, rename = "principalId")]
    pub principal_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "accountId")]
    pub account_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "accessKeyId")]
    pub access_key_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "userName")]
    pub user_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "invokedBy")]
    pub invoked_by: Option<Loose<'a>>,
    #[serde(borrow, rename = "sourceIdentity")]
    pub source_identity: Option<Loose<'a>>,
    #[serde(borrow, rename = "onBehalfOf")]
    pub on_behalf_of: Object<OnBehalfOf<'a>>,
    #[serde(borrow, rename = "sessionContext")]
    pub session_context: Object<SessionContext<'a>>,
}

/// `userIdentity.onBehalfOf` (IAM Identity Center users).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OnBehalfOf<'a> {
    #[serde(borrow, rename = "userId")]
    pub user_id: Option<Loose<'a>>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionContext<'a> {
    #[serde(borrow, rename = "sourceIdentity")]
    pub source_identity: Option<Loose<'a>>,
    #[serde(borrow)]
    pub attributes: Object<SessionAttributes<'a>>,
    #[serde(borrow, rename = "sessionIssuer")]
    pub session_issuer: Object<SessionIssuer<'a>>,
}

/// `sessionContext.attributes`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionAttributes<'a> {
    #[serde(borrow, rename = "mfaAuthenticated")]
    pub mfa_authenticated: Option<Loose<'a>>,
}

/// `sessionContext.sessionIssuer`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SessionIssuer<'a> {
    #[serde(borrow)]
    pub arn: Option<Loose<'a>>,
    #[serde(borrow, rename = "userName")]
    pub user_name: Option<Loose<'a>>,
}

/// `additionalEventData`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AdditionalEventData<'a> {
    #[serde(borrow, rename = "MFAUsed")]
    pub mfa_used: Option<Loose<'a>>,
}

/// `responseElements`: only the outcome of a console sign-in.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResponseElements<'a> {
    #[serde(borrow, rename = "ConsoleLogin")]
    pub console_login: Option<Loose<'a>>,
}

/// One entry of CloudTrail's own `resources[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListedResource<'a> {
    #[serde(borrow, rename = "ARN", alias = "arn")]
    pub arn: Option<Loose<'a>>,
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
    #[serde(borrow, rename = "accountId")]
    pub account_id: Option<Loose<'a>>,
}

/// The `requestParameters` that name a resource (see `resources::NAMED_BY_REQUEST`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestParameters<'a> {
    #[serde(borrow, rename = "bucketName")]
    pub bucket_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "roleArn")]
    pub role_arn: Option<Loose<'a>>,
    #[serde(borrow, rename = "roleName")]
    pub role_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "policyArn")]
    pub policy_arn: Option<Loose<'a>>,
    #[serde(borrow, rename = "userName")]
    pub user_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "groupName")]
    pub group_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "instanceId")]
    pub instance_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub target: Option<Loose<'a>>,
    #[serde(borrow, rename = "snapshotId")]
    pub snapshot_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "imageId")]
    pub image_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "volumeId")]
    pub volume_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "groupId")]
    pub group_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "vpcId")]
    pub vpc_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "dBSnapshotIdentifier")]
    pub db_snapshot_identifier: Option<Loose<'a>>,
    #[serde(borrow, rename = "dBInstanceIdentifier")]
    pub db_instance_identifier: Option<Loose<'a>>,
    #[serde(borrow, rename = "functionName")]
    pub function_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "keyId")]
    pub key_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "secretId")]
    pub secret_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "trailName")]
    pub trail_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "detectorId")]
    pub detector_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "instancesSet")]
    pub instances_set: Object<InstancesSet<'a>>,
}

/// `requestParameters.instancesSet` (RunInstances, StartInstances, ...).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstancesSet<'a> {
    #[serde(borrow)]
    pub items: List<InstanceItem<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstanceItem<'a> {
    #[serde(borrow, rename = "instanceId")]
    pub instance_id: Option<Loose<'a>>,
}
