//! The fields a condition or an output can name, and their values on an event: the
//! normalized model by the SDK view's accessor names (`action`, `actor.id`, ...), raw fields
//! by JSONPath (`$.requestParameters.bucketName`) or JSON pointer (`jevt.value[/eventName]`,
//! `json.value[/a/b]`), and Falco's CloudTrail plugin fields (`ct.*`, `s3.*`) mapped onto
//! either.

use std::borrow::Cow;

use trailhound_sdk::Event;

/// A field a rule reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Id,
    Provider,
    Source,
    Service,
    /// The service without its `.amazonaws.com` suffix (Falco's `ct.shortsrc`).
    ShortService,
    Action,
    Account,
    Region,
    SourceIp,
    UserAgent,
    ErrorCode,
    ErrorMessage,
    RequestId,
    /// The IAM access level of the action (`List`, `Read`, `Write`, `Permissions management`,
    /// `Tagging`).
    AccessLevel,
    Success,
    ReadOnly,
    Management,
    ActorId,
    ActorKind,
    ActorAccount,
    ActorName,
    ActorAccessKey,
    ActorSessionName,
    ActorSessionIssuer,
    ActorMfa,
    /// A raw field the host projects, by JSONPath.
    Path(String),
}

/// Falco CloudTrail plugin fields that name a raw field, and the JSONPath each reads.
const CLOUDTRAIL_PATHS: [(&str, &str); 17] = [
    ("ct.user.principalid", "$.userIdentity.principalId"),
    ("ct.user.accountid", "$.userIdentity.accountId"),
    ("ct.request.availabilityzone", "$.requestParameters.availabilityZone"),
    ("ct.request.cluster", "$.requestParameters.cluster"),
    ("ct.request.functionname", "$.requestParameters.functionName"),
    ("ct.request.groupname", "$.requestParameters.groupName"),
    ("ct.request.serialnumber", "$.requestParameters.serialNumber"),
    ("ct.request.servicename", "$.requestParameters.serviceName"),
    ("ct.request.subnetid", "$.requestParameters.subnetId"),
    ("ct.request.taskdefinition", "$.requestParameters.taskDefinition"),
    ("ct.request.username", "$.requestParameters.userName"),
    ("ct.response.reservationid", "$.responseElements.reservationId"),
    ("ct.response.subnetid", "$.responseElements.subnet.subnetId"),
    ("ecr.repository", "$.requestParameters.repositoryName"),
    ("ecr.imagetag", "$.requestParameters.imageTag"),
    ("s3.bucket", "$.requestParameters.bucketName"),
    ("s3.key", "$.requestParameters.key"),
];

impl Field {
    /// The field a name means, or `None` when no field has that name.
    pub fn parse(name: &str) -> Option<Field> {
        if name.starts_with('$') {
            return Some(Field::Path(name.to_string()));
        }
        if let Some(pointer) = name.strip_prefix("jevt.value[").or_else(|| name.strip_prefix("json.value[")) {
            return pointer.strip_suffix(']').and_then(pointer_to_path).map(Field::Path);
        }
        if let Some((_, path)) = CLOUDTRAIL_PATHS.iter().find(|(n, _)| *n == name) {
            return Some(Field::Path((*path).to_string()));
        }
        Some(match name {
            "id" | "ct.id" => Field::Id,
            "provider" => Field::Provider,
            "source" => Field::Source,
            "service" | "ct.src" => Field::Service,
            "ct.shortsrc" => Field::ShortService,
            "action" | "ct.name" => Field::Action,
            "account" => Field::Account,
            "region" | "ct.region" => Field::Region,
            "source_ip" | "ct.srcip" => Field::SourceIp,
            "user_agent" | "ct.useragent" => Field::UserAgent,
            "error_code" | "ct.error" => Field::ErrorCode,
            "error_message" => Field::ErrorMessage,
            "request_id" => Field::RequestId,
            "access_level" => Field::AccessLevel,
            "success" => Field::Success,
            "read_only" | "ct.readonly" => Field::ReadOnly,
            "management" | "ct.managementevent" => Field::Management,
            "actor.id" | "ct.user.arn" => Field::ActorId,
            "actor.kind" | "ct.user.identitytype" => Field::ActorKind,
            "actor.account" => Field::ActorAccount,
            "actor.name" | "ct.user" => Field::ActorName,
            "actor.access_key" => Field::ActorAccessKey,
            "actor.session_name" => Field::ActorSessionName,
            "actor.session_issuer" => Field::ActorSessionIssuer,
            "actor.mfa" => Field::ActorMfa,
            _ => return None,
        })
    }

    /// The JSONPath the host must project for this field, if it is a raw one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Field::Path(path) => Some(path),
            _ => None,
        }
    }

    /// The field's value on the event; `None` when the event has none (an empty text too).
    pub fn value<'a>(&self, event: &Event<'a>) -> Option<Cow<'a, str>> {
        let flag = |b: bool| Some(Cow::Borrowed(if b { "true" } else { "false" }));
        let text = |s: &'a str| (!s.is_empty()).then_some(Cow::Borrowed(s));
        let actor = event.actor();
        match self {
            Field::Id => text(event.id()),
            Field::Provider => text(event.provider()),
            Field::Source => text(event.source()),
            Field::Service => text(event.service()),
            Field::ShortService => text(event.service().trim_end_matches(".amazonaws.com")),
            Field::Action => text(event.action()),
            Field::Account => text(event.account()),
            Field::Region => text(event.region()),
            Field::SourceIp => event.source_ip().and_then(text),
            Field::UserAgent => event.user_agent().and_then(text),
            Field::ErrorCode => event.error_code().and_then(text),
            Field::ErrorMessage => event.error_message().and_then(text),
            Field::RequestId => event.request_id().and_then(text),
            Field::AccessLevel => event.access_level().map(|level| Cow::Borrowed(level.as_str())),
            Field::Success => flag(event.success()),
            Field::ReadOnly => flag(event.read_only()),
            Field::Management => flag(event.management()),
            Field::ActorId => text(actor.id()),
            Field::ActorKind => text(actor.kind()),
            Field::ActorAccount => text(actor.account()),
            Field::ActorName => actor.name().and_then(text),
            Field::ActorAccessKey => actor.access_key().and_then(text),
            Field::ActorSessionName => actor.session_name().and_then(text),
            Field::ActorSessionIssuer => actor.session_issuer().and_then(text),
            Field::ActorMfa => flag(actor.mfa()),
            Field::Path(path) => event.field(path).map(Cow::Borrowed),
        }
    }
}

/// A JSON pointer (`/a/b~1c/0`) as the JSONPath the host projects (`$.a['b/c'][0]`).
fn pointer_to_path(pointer: &str) -> Option<String> {
    let rest = pointer.strip_prefix('/')?;
    let mut path = String::from("$");
    for segment in rest.split('/') {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            path.push('.');
            path.push_str(&segment);
        } else {
            path.push_str(&format!("['{}']", segment.replace('\'', "\\'")));
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_model_or_a_path() {
        assert_eq!(Field::parse("ct.name"), Some(Field::Action));
        assert_eq!(Field::parse("actor.id"), Some(Field::ActorId));
        assert_eq!(Field::parse("s3.bucket"), Some(Field::Path("$.requestParameters.bucketName".into())));
        assert_eq!(Field::parse("jevt.value[/eventName]"), Some(Field::Path("$.eventName".into())));
        assert_eq!(
            Field::parse("json.value[/requestParameters/x-amz-acl/0]"),
            Some(Field::Path("$.requestParameters['x-amz-acl'][0]".into()))
        );
        assert_eq!(
            Field::parse("ct.response.subnetid"),
            Some(Field::Path("$.responseElements.subnet.subnetId".into()))
        );
        assert_eq!(Field::parse("$.a.b"), Some(Field::Path("$.a.b".into())));
        assert_eq!(Field::parse("ct.nope"), None);
        assert_eq!(Field::parse("json.value[eventName]"), None);
    }
}
