//! The normalized event's fields, by the SDK view's accessor names (`action`, `actor.id`, ...)
//! and by the Falco names that mean the same thing on every event (`ct.name`, `ct.srcip`, ...).

use std::borrow::Cow;

use trailhound_sdk::Event;

/// A field of the normalized event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
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
    /// Falco's `ct.user`: the actor's name, the service for an AWS service, the identity type
    /// for an account or a federated user, `AssumedRole` for a role session without an issuer.
    CloudTrailUser,
    ActorAccessKey,
    ActorSessionName,
    ActorSessionIssuer,
    ActorMfa,
    /// The pod a Kubernetes or container event is about (Falco's `k8s.pod.name`).
    Pod,
    /// Its namespace (Falco's `k8s.ns.name`).
    Namespace,
    /// The event time in nanoseconds since the epoch (Falco's `jevt.rawtime`).
    RawTime,
}

impl Model {
    /// The model field a name means, if any.
    pub fn parse(name: &str) -> Option<Model> {
        Some(match name {
            "id" | "ct.id" => Model::Id,
            "provider" => Model::Provider,
            "source" => Model::Source,
            "service" | "ct.src" => Model::Service,
            "ct.shortsrc" => Model::ShortService,
            "action" | "ct.name" => Model::Action,
            "account" => Model::Account,
            "region" | "ct.region" => Model::Region,
            "source_ip" | "ct.srcip" => Model::SourceIp,
            "user_agent" | "ct.useragent" => Model::UserAgent,
            "error_code" | "ct.error" => Model::ErrorCode,
            "error_message" | "ct.errormessage" => Model::ErrorMessage,
            "request_id" => Model::RequestId,
            "access_level" => Model::AccessLevel,
            "success" => Model::Success,
            "read_only" | "ct.readonly" => Model::ReadOnly,
            "management" | "ct.managementevent" => Model::Management,
            "actor.id" | "ct.user.arn" => Model::ActorId,
            "actor.kind" | "ct.user.identitytype" => Model::ActorKind,
            "actor.account" => Model::ActorAccount,
            "actor.name" => Model::ActorName,
            "ct.user" => Model::CloudTrailUser,
            "actor.access_key" => Model::ActorAccessKey,
            "actor.session_name" => Model::ActorSessionName,
            "actor.session_issuer" => Model::ActorSessionIssuer,
            "actor.mfa" => Model::ActorMfa,
            "k8s.pod.name" => Model::Pod,
            "k8s.ns.name" => Model::Namespace,
            "jevt.rawtime" => Model::RawTime,
            _ => return None,
        })
    }

    /// Whether its values are numbers.
    pub fn numeric(self) -> bool {
        self == Model::RawTime
    }

    /// The field's value on the event; `None` when the event has none (an empty text too).
    pub fn value<'a>(self, event: &Event<'a>) -> Option<Cow<'a, str>> {
        let flag = |b: bool| Some(Cow::Borrowed(if b { "true" } else { "false" }));
        let text = |s: &'a str| (!s.is_empty()).then_some(Cow::Borrowed(s));
        let actor = event.actor();
        match self {
            Model::Id => text(event.id()),
            Model::Provider => text(event.provider()),
            Model::Source => text(event.source()),
            Model::Service => text(event.service()),
            Model::ShortService => text(event.service().trim_end_matches(".amazonaws.com")),
            Model::Action => text(event.action()),
            Model::Account => text(event.account()),
            Model::Region => text(event.region()),
            Model::SourceIp => event.source_ip().and_then(text),
            Model::UserAgent => event.user_agent().and_then(text),
            Model::ErrorCode => event.error_code().and_then(text),
            Model::ErrorMessage => event.error_message().and_then(text),
            Model::RequestId => event.request_id().and_then(text),
            Model::AccessLevel => event.access_level().map(|level| Cow::Borrowed(level.as_str())),
            Model::Success => flag(event.success()),
            Model::ReadOnly => flag(event.read_only()),
            Model::Management => flag(event.management()),
            Model::ActorId => text(actor.id()),
            Model::ActorKind => text(actor.kind()),
            Model::ActorAccount => text(actor.account()),
            Model::ActorName => actor.name().and_then(text),
            Model::CloudTrailUser => match actor.kind() {
                "AWSService" => actor.invoked_by().and_then(text),
                kind @ ("AWSAccount" | "FederatedUser") => text(kind),
                "AssumedRole" => actor.name().and_then(text).or(Some(Cow::Borrowed("AssumedRole"))),
                _ => actor.name().and_then(text),
            },
            Model::ActorAccessKey => actor.access_key().and_then(text),
            Model::ActorSessionName => actor.session_name().and_then(text),
            Model::ActorSessionIssuer => actor.session_issuer().and_then(text),
            Model::ActorMfa => flag(actor.mfa()),
            Model::Pod => event.process().and_then(|p| p.pod()).and_then(text),
            Model::Namespace => event.process().and_then(|p| p.namespace()).and_then(text),
            Model::RawTime => Some(Cow::Owned((i128::from(event.time()) * 1_000_000).to_string())),
        }
    }
}
