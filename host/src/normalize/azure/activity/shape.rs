//! The shape of an Azure Activity Log record as the normalizer reads it, in both of the forms
//! Microsoft documents: the storage export of diagnostic settings (`identity.claims`,
//! `resultType`, names as strings) and the REST API's event data (`caller`, `claims`,
//! `status`, names as `{value, localizedValue}`), plus the fields resource logs of the common
//! schema add (a storage account's `statusCode`, `properties.userAgentHeader`). Exporters
//! fold the top-level keys to lower case, so they are read folded and named in lower case.

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::super::values::{Claims, Localized};
use crate::normalize::lenient::{FoldedKeys, Loose, Object};

pub type Record<'a> = FoldedKeys<Activity<'a>>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Activity<'a> {
    #[serde(borrow, rename = "operationname")]
    pub operation_name: Localized<'a>,
    #[serde(borrow)]
    pub category: Localized<'a>,
    #[serde(borrow)]
    pub time: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventtimestamp")]
    pub event_timestamp: Option<Loose<'a>>,
    #[serde(borrow, rename = "resourceid")]
    pub resource_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "resourceprovidername")]
    pub resource_provider_name: Localized<'a>,
    #[serde(borrow, rename = "subscriptionid")]
    pub subscription_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "tenantid")]
    pub tenant_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub location: Option<Loose<'a>>,
    #[serde(borrow, rename = "resulttype")]
    pub result_type: Option<Loose<'a>>,
    #[serde(borrow, rename = "resultsignature")]
    pub result_signature: Option<Loose<'a>>,
    #[serde(borrow, rename = "resultdescription")]
    pub result_description: Option<Loose<'a>>,
    #[serde(borrow)]
    pub status: Localized<'a>,
    #[serde(borrow, rename = "substatus")]
    pub sub_status: Localized<'a>,
    /// A resource log's HTTP status (storage accounts).
    #[serde(borrow, rename = "statuscode")]
    pub status_code: Option<Loose<'a>>,
    #[serde(borrow, rename = "statustext")]
    pub status_text: Option<Loose<'a>>,
    #[serde(borrow, rename = "calleripaddress")]
    pub caller_ip_address: Option<Loose<'a>>,
    #[serde(borrow, rename = "httprequest")]
    pub http_request: Object<HttpRequest<'a>>,
    #[serde(borrow)]
    pub caller: Option<Loose<'a>>,
    #[serde(borrow)]
    pub claims: Claims<'a>,
    #[serde(borrow)]
    pub identity: Object<Identity<'a>>,
    #[serde(borrow, rename = "correlationid")]
    pub correlation_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "operationid")]
    pub operation_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "eventdataid")]
    pub event_data_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub properties: Object<Properties<'a>>,
}

/// `httpRequest` (REST API form).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HttpRequest<'a> {
    #[serde(borrow, rename = "clientIpAddress")]
    pub client_ip_address: Option<Loose<'a>>,
}

/// `identity` (storage export form; resource logs).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Identity<'a> {
    #[serde(borrow)]
    pub claims: Claims<'a>,
    #[serde(borrow)]
    pub authorization: Object<Authorization<'a>>,
    /// How a storage request was authorized: `OAuth`, `SAS`, `AccountKey`, `Anonymous`.
    #[serde(borrow, rename = "type")]
    pub kind: Option<Loose<'a>>,
    /// Which key or SAS signed a storage request.
    #[serde(borrow, rename = "tokenHash")]
    pub token_hash: Option<Loose<'a>>,
    /// The principal of an OAuth storage request.
    #[serde(borrow)]
    pub requester: Object<Requester<'a>>,
}

/// `identity.authorization`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Authorization<'a> {
    #[serde(borrow)]
    pub evidence: Object<Evidence<'a>>,
}

/// `identity.authorization.evidence`: the role assignment that let the caller through.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Evidence<'a> {
    #[serde(borrow, rename = "principalId")]
    pub principal_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "principalType")]
    pub principal_type: Option<Loose<'a>>,
}

/// `identity.requester`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Requester<'a> {
    #[serde(borrow, rename = "objectId")]
    pub object_id: Option<Loose<'a>>,
    #[serde(borrow)]
    pub upn: Option<Loose<'a>>,
    #[serde(borrow, rename = "appId")]
    pub app_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "tenantId")]
    pub tenant_id: Option<Loose<'a>>,
}

/// `properties`: what the normalizer reads of them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Properties<'a> {
    /// The HTTP status of the call, by name (`Created`, `Forbidden`).
    #[serde(borrow, rename = "statusCode")]
    pub status_code: Option<Loose<'a>>,
    /// A failed call's error: JSON text (`{"error":{"code":...,"message":...}}`).
    #[serde(borrow, rename = "statusMessage")]
    pub status_message: Option<Loose<'a>>,
    #[serde(borrow, rename = "serviceRequestId")]
    pub service_request_id: Option<Loose<'a>>,
    #[serde(borrow, rename = "clientRequestId")]
    pub client_request_id: Option<Loose<'a>>,
    /// The resource a policy event is about.
    #[serde(borrow)]
    pub entity: Option<Loose<'a>>,
    #[serde(borrow, rename = "userAgentHeader")]
    pub user_agent_header: Option<Loose<'a>>,
    /// Only in Entra ID's audit records: tells them apart.
    #[serde(rename = "initiatedBy")]
    pub initiated_by: Option<IgnoredAny>,
}

/// The error in `properties.statusMessage`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusMessage<'a> {
    #[serde(borrow)]
    pub error: Object<ErrorBody<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ErrorBody<'a> {
    #[serde(borrow)]
    pub code: Option<Loose<'a>>,
    #[serde(borrow)]
    pub message: Option<Loose<'a>>,
}
