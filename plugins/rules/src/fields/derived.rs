//! Fields whose value Falco's plugins compute rather than read from one place: from several
//! raw fields (`s3.uri`, `gcp.location`), from the model (`s3.cnt.get`), or from a field's
//! text (`ka.uri.param[name]`).

use std::borrow::Cow;

use serde_json::Value;
use trailhound_sdk::Event;

use super::each::text;
use super::model::Model;

const BUCKET: &str = "$.requestParameters.bucketName";
const KEY: &str = "$.requestParameters.key";
const HOST: &str = "$.requestParameters.Host";
const BYTES_IN: &str = "$.additionalEventData.bytesTransferredIn";
const BYTES_OUT: &str = "$.additionalEventData.bytesTransferredOut";
const IDENTITY_TYPE: &str = "$.userIdentity.type";
const IDENTITY_ARN: &str = "$.userIdentity.arn";
const PRINCIPAL_ID: &str = "$.userIdentity.principalId";
const USER_NAME: &str = "$.userIdentity.userName";
const REQUEST_URI: &str = "$.requestURI";
const TARGET_RESOURCE: &str = "$.objectRef.resource";
const TARGET_SUBRESOURCE: &str = "$.objectRef.subresource";
const RESPONSE_NAME: &str = "$.responseObject.metadata.name";
const TAG_SPECIFICATIONS: &str = "$.requestParameters.tagSpecificationSet.items";
const INSTANCES: &str = "$.responseElements.instancesSet.items";
const RESOURCES: &str = "$.resources";
const GCP_RESOURCE_TYPE: &str = "$.resource.type";
const GCP_LOCATION: [&str; 3] =
    ["$.resource.labels.location", "$.resource.labels.region", "$.resource.labels.zone"];
const GCP_SINK: &str = "$.resource.labels.name";
const GCP_BUCKET_DELTAS: &str = "$.protoPayload.serviceData.policyDelta.bindingDeltas";
const GCP_DATASET_DELTAS: &str = "$.protoPayload.metadata.datasetChange.bindingDeltas";
/// Where a request names the image it runs, when the response lists no instances.
const REQUEST_IMAGES: [&str; 3] = [
    "$.requestParameters.imageId",
    "$.requestParameters.DescribeFastLaunchImagesRequest.ImageId.content",
    "$.requestParameters.launchSpecification.imageId",
];

/// An S3 operation Falco counts (`s3.cnt.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Get,
    Put,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derived {
    /// `s3://bucket/key`, when the request names both.
    S3Uri,
    /// Bytes transferred in, out, or both added (truncated to whole numbers, as Falco does).
    S3Bytes { inbound: bool, outbound: bool },
    /// `1` when the action is of this kind; none otherwise.
    S3Count(Count),
    /// Falco's one-line summary of a CloudTrail event (`ct.info`).
    CtInfo,
    /// The user name as CloudTrail records it; for an assumed role, the session name.
    CtOriginalUser,
    /// The event's resources, each as JSON, joined with commas.
    CtResources,
    /// The first of these paths that has a value.
    FirstOf(Vec<&'static str>),
    /// The name of the instance being launched: its `Name` tag.
    Ec2Name,
    /// The images of the instances involved: every one, or the one at an index.
    Ec2ImageIds(Option<usize>),
    /// The first value of this query parameter of the request URI.
    UriParam(String),
    /// The pod created, for a request on `pods` with no subresource.
    TargetPodName,
    /// The resource's location: its `location` or `region` label, or its zone without the
    /// zone letter.
    GcpLocation,
    /// The sink's name, for an event on a logging sink.
    GcpSink,
    /// The binding deltas of a bucket's or a dataset's access policy.
    GcpPolicyDelta,
}

impl Derived {
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Derived::S3Uri => vec![BUCKET, KEY],
            Derived::S3Bytes { inbound, outbound } => [(inbound, BYTES_IN), (outbound, BYTES_OUT)]
                .into_iter()
                .filter(|(on, _)| **on)
                .map(|(_, p)| p)
                .collect(),
            Derived::S3Count(_) => Vec::new(),
            Derived::CtInfo => vec![BUCKET, KEY, HOST, BYTES_IN, BYTES_OUT],
            Derived::CtOriginalUser => vec![IDENTITY_TYPE, IDENTITY_ARN, PRINCIPAL_ID, USER_NAME],
            Derived::CtResources => vec![RESOURCES],
            Derived::FirstOf(paths) => paths.clone(),
            Derived::Ec2Name => vec![TAG_SPECIFICATIONS],
            Derived::Ec2ImageIds(_) => [INSTANCES].into_iter().chain(REQUEST_IMAGES).collect(),
            Derived::UriParam(_) => vec![REQUEST_URI],
            Derived::TargetPodName => vec![TARGET_RESOURCE, TARGET_SUBRESOURCE, RESPONSE_NAME],
            Derived::GcpLocation => GCP_LOCATION.to_vec(),
            Derived::GcpSink => vec![GCP_RESOURCE_TYPE, GCP_SINK],
            Derived::GcpPolicyDelta => vec![GCP_RESOURCE_TYPE, GCP_BUCKET_DELTAS, GCP_DATASET_DELTAS],
        }
    }

    pub fn is_list(&self) -> bool {
        matches!(self, Derived::Ec2ImageIds(None))
    }

    pub fn numeric(&self) -> bool {
        matches!(self, Derived::S3Bytes { .. } | Derived::S3Count(_))
    }

    pub fn values<'a>(&self, event: &Event<'a>) -> Vec<Cow<'a, str>> {
        let get = |path: &str| event.field(path).filter(|v| !v.is_empty());
        let one = |value: Option<String>| value.map(Cow::Owned).into_iter().collect::<Vec<_>>();
        match self {
            Derived::S3Uri => one(get(BUCKET).zip(get(KEY)).map(|(b, k)| format!("s3://{b}/{k}"))),
            Derived::S3Bytes { inbound, outbound } => {
                one(bytes(event, *inbound, *outbound).map(|n| n.to_string()))
            }
            Derived::S3Count(count) => {
                let counted = match (count, event.action()) {
                    (Count::Get, action) => action == "GetObject",
                    (Count::Put, action) => action == "PutObject",
                    (Count::Other, action) => action != "GetObject" && action != "PutObject",
                };
                if counted {
                    vec![Cow::Borrowed("1")]
                } else {
                    Vec::new()
                }
            }
            Derived::CtInfo => one(Some(info(event))),
            Derived::CtOriginalUser => one(if get(IDENTITY_TYPE) == Some("AssumedRole") {
                let from_arn = get(IDENTITY_ARN)
                    .map(|a| a.split('/').collect::<Vec<_>>())
                    .filter(|p| p.len() == 3)
                    .map(|p| p[2].to_string());
                from_arn.or_else(|| {
                    get(PRINCIPAL_ID)
                        .map(|p| p.split(':').collect::<Vec<_>>())
                        .filter(|p| p.len() == 2)
                        .map(|p| p[1].to_string())
                })
            } else {
                get(USER_NAME).map(str::to_string)
            }),
            Derived::CtResources => one(match get(RESOURCES).and_then(|r| serde_json::from_str(r).ok()) {
                Some(Value::Array(items)) if !items.is_empty() => {
                    Some(items.iter().map(Value::to_string).collect::<Vec<_>>().join(","))
                }
                _ => None,
            }),
            Derived::FirstOf(paths) => {
                paths.iter().find_map(|p| get(p)).map(Cow::Borrowed).into_iter().collect()
            }
            Derived::Ec2Name => one(ec2_name(get(TAG_SPECIFICATIONS))),
            Derived::Ec2ImageIds(index) => image_ids(event, *index),
            Derived::UriParam(name) => one(get(REQUEST_URI).and_then(|uri| query_param(uri, name))),
            Derived::TargetPodName => {
                if get(TARGET_RESOURCE) == Some("pods") && get(TARGET_SUBRESOURCE).is_none() {
                    get(RESPONSE_NAME).map(Cow::Borrowed).into_iter().collect()
                } else {
                    Vec::new()
                }
            }
            Derived::GcpLocation => {
                match (get(GCP_LOCATION[0]).or_else(|| get(GCP_LOCATION[1])), get(GCP_LOCATION[2])) {
                    (Some(location), _) => vec![Cow::Borrowed(location)],
                    // `europe-west1-b` is in `europe-west1`.
                    (None, Some(zone)) if zone.len() > 2 => {
                        vec![Cow::Borrowed(zone.get(..zone.len() - 2).unwrap_or(zone))]
                    }
                    (None, Some(zone)) => vec![Cow::Borrowed(zone)],
                    (None, None) => Vec::new(),
                }
            }
            Derived::GcpSink => match get(GCP_RESOURCE_TYPE) {
                Some("logging_sink") => get(GCP_SINK).map(Cow::Borrowed).into_iter().collect(),
                _ => Vec::new(),
            },
            Derived::GcpPolicyDelta => {
                let path = if get(GCP_RESOURCE_TYPE) == Some("gcs_bucket") {
                    GCP_BUCKET_DELTAS
                } else {
                    GCP_DATASET_DELTAS
                };
                get(path).map(Cow::Borrowed).into_iter().collect()
            }
        }
    }
}

/// The bytes transferred in, out or both, when the event records any of them.
fn bytes(event: &Event<'_>, inbound: bool, outbound: bool) -> Option<u64> {
    let read = |on: bool, path: &str| {
        if on {
            event.field(path).and_then(|v| v.parse::<f64>().ok()).map(|n| n as u64)
        } else {
            None
        }
    };
    match (read(inbound, BYTES_IN), read(outbound, BYTES_OUT)) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

/// `who via where [!]→ what` and the object it touched, as Falco's `ct.info` writes it.
fn info(event: &Event<'_>) -> String {
    let value = |model: Model| model.value(event).map(|v| v.into_owned()).unwrap_or_default();
    let (user, ip, name) = (value(Model::CloudTrailUser), value(Model::SourceIp), value(Model::Action));
    let error = if event.error_code().is_some() { "!" } else { "" };
    let arrow = if event.read_only() { "←" } else { "→" };
    let mut info = if user == ip {
        format!("{user} {error}{arrow} {name}")
    } else {
        format!("{user} via {ip} {error}{arrow} {name}")
    };
    if let Some(size) = bytes(event, true, true) {
        info.push_str(&format!(" Size={size}"));
    }
    let get = |path: &str| event.field(path).filter(|v| !v.is_empty());
    let detail = match (get(BUCKET), get(KEY)) {
        (Some(bucket), Some(key)) => Some(format!("URI=s3://{bucket}/{key}")),
        (Some(bucket), None) => Some(format!("Bucket={bucket}")),
        (None, Some(key)) => Some(format!("Key={key}")),
        (None, None) => get(HOST).map(|host| format!("Host={host}")),
    };
    if let Some(detail) = detail {
        info.push(' ');
        info.push_str(&detail);
    }
    info
}

/// The `Name` tag of the instance a launch request tags.
fn ec2_name(specifications: Option<&str>) -> Option<String> {
    let Value::Array(items) = serde_json::from_str(specifications?).ok()? else { return None };
    items
        .iter()
        .filter(|item| item.get("resourceType").and_then(Value::as_str) == Some("instance"))
        .flat_map(|item| item.get("tags").and_then(Value::as_array).into_iter().flatten())
        .find(|tag| tag.get("key").and_then(Value::as_str) == Some("Name"))
        .and_then(|tag| tag.get("value").and_then(Value::as_str))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
}

/// The images of the instances a response lists, or the one the request names (index 0 only).
fn image_ids<'a>(event: &Event<'a>, index: Option<usize>) -> Vec<Cow<'a, str>> {
    if let Some(Value::Array(items)) = event.field(INSTANCES).and_then(|v| serde_json::from_str(v).ok()) {
        let image = |item: &Value| item.get("imageId").map(text).filter(|i| !i.is_empty()).map(Cow::Owned);
        return match index {
            Some(i) => items.get(i).and_then(image).into_iter().collect(),
            None => items.iter().filter_map(image).collect(),
        };
    }
    if index.is_some_and(|i| i != 0) {
        return Vec::new();
    }
    REQUEST_IMAGES.iter().find_map(|p| event.field(p)).map(Cow::Borrowed).into_iter().collect()
}

/// The first value of query parameter `name` in `uri`, percent-decoded.
fn query_param(uri: &str, name: &str) -> Option<String> {
    let query = uri.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key) == name).then(|| decode(value))
    })
}

/// `+` as a space and `%XX` as its byte, as a URL query is written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match text.get(i + 1..i + 3).and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        let uri = "/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&stdin=true&x=a%20b+c";
        assert_eq!(query_param(uri, "command").as_deref(), Some("sh"));
        assert_eq!(query_param(uri, "x").as_deref(), Some("a b c"));
        assert_eq!(query_param(uri, "tty"), None);
        assert_eq!(query_param("/healthz", "x"), None);
    }
}
