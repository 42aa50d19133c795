//! The shape of an Entra ID audit or sign-in record as diagnostic settings export it: the
//! common envelope (`time`, `category`, `resultType`, ...; its keys read folded, as
//! exporters fold them) around the Microsoft Graph `directoryAudit` or `signIn` resource in
//! `properties`, whose keys are matched as Microsoft writes them.

use serde::Deserialize;

use crate::normalize::lenient::{FoldedKeys, List, Loose, Object};

pub type Record<'a> = FoldedKeys<Envelope<'a>>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Envelope<'a> {
    #[serde(borrow, rename = "operationname")]
    pub operation_name: Option<Loose<'a>>,
    #[serde(borrow)]
    pub category: Option<Loose<'a>>,
    #[serde(borrow)]
    pub time: Option<Loose<'a>>,
    #[serde(borrow, rename = "resourceid")]
    pub resource_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "tenantid")]
    pub tenant_id: Option<Loose<'a>>,
    /// A sign-in's error code (`0` for success), or `Success`/`Failure`.
    #[serde(borrow, rename = "resulttype")]
    pub result_type: Option<Loose<'a>>,
    #[serde(borrow, rename = "resultdescription")]
    pub result_description: Option<Loose<'a>>,
    /// An audit record's result, where an export wrote it at the top.
    #[serde(borrow)]
    pub result: Option<Loose<'a>>,
    #[serde(borrow, rename = "calleripaddress")]
    pub caller_ip_address: Option<Loose<'a>>,
    #[serde(borrow, rename = "correlationid")]
    pub correlation_id: Option<Loose<'a>>,
    /// The display name of who acted.
    #[serde(borrow)]
    pub identity: Option<Loose<'a>>,
    /// A sign-in's country.
    #[serde(borrow)]
    pub location: Option<Loose<'a>>,
    #[serde(borrow)]
    pub properties: Object<Properties<'a>>,
}

/// `properties`: the fields of a `signIn` and of a `directoryAudit` the normalizer reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Properties<'a> {
    #[serde(borrow)]
    pub id: Option<Loose<'a>>,
    #[serde(borrow, rename = "correlationId")]
    pub correlation_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "originalRequestId")]
    pub original_request_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "ipAddress")]
    pub ip_address: Option<Loose<'a>>,
    #[serde(borrow, rename = "userAgent")]
    pub user_agent: Option<Loose<'a>>,
    // A sign-in.
    #[serde(borrow, rename = "createdDateTime")]
    pub created_date_time: Option<Loose<'a>>,
    #[serde(borrow, rename = "userPrincipalName")]
    pub user_principal_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "userId")]
    pub user_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "userDisplayName")]
    pub user_display_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "servicePrincipalId")]
    pub service_principal_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "servicePrincipalName")]
    pub service_principal_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "appId")]
    pub app_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "homeTenantId")]
    pub home_tenant_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub status: Object<SignInStatus<'a>>,
    #[serde(borrow)]
    pub location: Object<SignInLocation<'a>>,
    // A directory audit.
    #[serde(borrow, rename = "activityDateTime")]
    pub activity_date_time: Option<Loose<'a>>,
    #[serde(borrow, rename = "activityDisplayName")]
    pub activity_display_name: Option<Loose<'a>>,
    #[serde(borrow)]
    pub result: Option<Loose<'a>>,
    #[serde(borrow, rename = "resultReason")]
    pub result_reason: Option<Loose<'a>>,
    #[serde(borrow, rename = "initiatedBy")]
    pub initiated_by: Option<Object<InitiatedBy<'a>>>,
    #[serde(borrow, rename = "targetResources")]
    pub target_resources: List<TargetResource<'a>>,
}

/// A sign-in's `status`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInStatus<'a> {
    #[serde(borrow, rename = "errorCode")]
    pub error_code: Option<Loose<'a>>,
    #[serde(borrow, rename = "failureReason")]
    pub failure_reason: Option<Loose<'a>>,
}

/// A sign-in's `location`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInLocation<'a> {
    #[serde(borrow, rename = "countryOrRegion")]
    pub country_or_region: Option<Loose<'a>>,
}

/// An audit record's `initiatedBy`: a user or an application.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitiatedBy<'a> {
    #[serde(borrow)]
    pub user: Object<InitiatingUser<'a>>,
    #[serde(borrow)]
    pub app: Object<InitiatingApp<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitiatingUser<'a> {
    #[serde(borrow)]
    pub id: Option<Loose<'a>>,
    #[serde(borrow, rename = "userPrincipalName")]
    pub user_principal_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "displayName")]
    pub display_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "ipAddress")]
    pub ip_address: Option<Loose<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InitiatingApp<'a> {
    #[serde(borrow, rename = "appId")]
    pub app_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "servicePrincipalId")]
    pub service_principal_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "displayName")]
    pub display_name: Option<Loose<'a>>,
}

/// One of an audit record's `targetResources`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetResource<'a> {
    #[serde(borrow)]
    pub id: Option<Loose<'a>>,
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
    #[serde(borrow, rename = "userPrincipalName")]
    pub user_principal_name: Option<Loose<'a>>,
    #[serde(borrow, rename = "displayName")]
    pub display_name: Option<Loose<'a>>,
}
