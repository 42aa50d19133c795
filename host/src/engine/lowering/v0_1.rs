//! The event as it crosses into a plugin built against contract 0.1.0: that contract's
//! `event` record, borrowed from the host's own event instead of copied into the generated
//! bindings' owned types. wasmtime
//! writes every string straight from the host's event into the guest's memory, so the
//! boundary costs one copy per string rather than two plus a free.
//!
//! The records here mirror `wit/deps/detector-0.1.0/types.wit` field for field; wasmtime type-checks them
//! against the component's own types whenever a batch is sent, so a mismatch is an error
//! on the first call, never a misread value.

use wasmtime::component::{ComponentType, Lower};

/// `types.event`, borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct EventView<'a> {
    id: &'a str,
    time: i64,
    provider: &'a str,
    source: &'a str,
    category: &'a str,
    service: &'a str,
    action: &'a str,
    #[component(name = "access-level")]
    access_level: &'a str,
    success: bool,
    #[component(name = "error-code")]
    error_code: Option<&'a str>,
    #[component(name = "error-message")]
    error_message: Option<&'a str>,
    #[component(name = "read-only")]
    read_only: bool,
    management: bool,
    account: &'a str,
    region: &'a str,
    actor: ActorView<'a>,
    #[component(name = "source-ip")]
    source_ip: Option<&'a str>,
    #[component(name = "user-agent")]
    user_agent: Option<&'a str>,
    resources: Vec<ResourceView<'a>>,
    fields: &'a [Option<String>],
    raw: Option<&'a str>,
}

/// `types.actor`, borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct ActorView<'a> {
    id: &'a str,
    kind: &'a str,
    account: &'a str,
    name: Option<&'a str>,
    #[component(name = "access-key")]
    access_key: Option<&'a str>,
    #[component(name = "session-name")]
    session_name: Option<&'a str>,
    #[component(name = "session-issuer")]
    session_issuer: Option<&'a str>,
    #[component(name = "source-identity")]
    source_identity: Option<&'a str>,
    mfa: bool,
    #[component(name = "invoked-by")]
    invoked_by: Option<&'a str>,
}

/// `types.resource`, borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub struct ResourceView<'a> {
    kind: &'a str,
    id: &'a str,
    account: Option<&'a str>,
}

/// 0.1.0 has no way to say "unknown"; Write is what its normalizer guessed then.
fn legacy_access_level(event: &crate::event::Event) -> &'static str {
    event.access_level.map_or("Write", |level| level.as_str())
}

/// The batch as a 0.1.0 plugin is sent it.
pub fn batch<'a>(sent: &'a [super::Sent<'a>]) -> Vec<EventView<'a>> {
    sent.iter().map(|s| EventView::new(s.event, &s.fields, s.raw)).collect()
}

impl<'a> EventView<'a> {
    fn new(event: &'a crate::event::Event, fields: &'a [Option<String>], raw: Option<&'a str>) -> Self {
        let actor = &event.actor;
        EventView {
            id: &event.id,
            time: event.time,
            provider: &event.provider,
            source: &event.source,
            category: event.category.as_str(),
            service: &event.service,
            action: &event.action,
            access_level: legacy_access_level(event),
            success: event.success,
            error_code: event.error_code.as_deref(),
            error_message: event.error_message.as_deref(),
            read_only: event.read_only,
            management: event.management,
            account: &event.account,
            region: &event.region,
            actor: ActorView {
                id: &actor.id,
                kind: &actor.kind,
                account: &actor.account,
                name: actor.name.as_deref(),
                access_key: actor.access_key.as_deref(),
                session_name: actor.session_name.as_deref(),
                session_issuer: actor.session_issuer.as_deref(),
                source_identity: actor.source_identity.as_deref(),
                mfa: actor.mfa,
                invoked_by: actor.invoked_by.as_deref(),
            },
            source_ip: event.source_ip.as_deref(),
            user_agent: event.user_agent.as_deref(),
            resources: event
                .resources
                .iter()
                .map(|r| ResourceView { kind: &r.kind, id: &r.id, account: r.account.as_deref() })
                .collect(),
            fields,
            raw,
        }
    }
}
