//! The event as a detector run natively receives it (its own tests, the bench's native side):
//! the SDK's event, built straight from the host's, with the detector's projected values and
//! the raw record when it asked for it.

use trailhound_sdk::event as sdk;
use trailhound_sdk::Text;

use crate::event::{AccessLevel, Category, Event, Plane, Risk};

pub fn sdk_event(e: &Event, fields: Vec<Option<String>>, raw: Option<&str>) -> trailhound_sdk::Event {
    let text = |s: &String| Text::from(s.as_str());
    let opt = |s: &Option<String>| s.as_deref().map(Text::from);
    let texts = |items: &[String]| items.iter().map(text).collect::<Vec<_>>();
    let a = &e.actor;
    let lineage = &e.enrichment.lineage;
    trailhound_sdk::Event {
        id: text(&e.id),
        time: e.time,
        provider: text(&e.provider),
        source: text(&e.source),
        plane: match e.plane {
            Plane::Cloud => sdk::Plane::Cloud,
            Plane::Kubernetes => sdk::Plane::Kubernetes,
            Plane::Network => sdk::Plane::Network,
            Plane::Host => sdk::Plane::Host,
            Plane::Finding => sdk::Plane::Finding,
        },
        class_uid: e.class.uid(),
        category: match e.category {
            Category::Compute => sdk::Category::Compute,
            Category::Storage => sdk::Category::Storage,
            Category::Network => sdk::Category::Network,
            Category::Database => sdk::Category::Database,
            Category::Identity => sdk::Category::Identity,
            Category::Management => sdk::Category::Management,
            Category::Security => sdk::Category::Security,
        },
        service: text(&e.service),
        action: text(&e.action),
        access_level: e.access_level.map(|level| match level {
            AccessLevel::List => sdk::AccessLevel::List,
            AccessLevel::Read => sdk::AccessLevel::Read,
            AccessLevel::Write => sdk::AccessLevel::Write,
            AccessLevel::PermissionsManagement => sdk::AccessLevel::PermissionsManagement,
            AccessLevel::Tagging => sdk::AccessLevel::Tagging,
        }),
        success: e.success,
        error_code: opt(&e.error_code),
        error_message: opt(&e.error_message),
        read_only: e.read_only,
        management: e.management,
        account: text(&e.account),
        region: text(&e.region),
        actor: sdk::Actor {
            id: text(&a.id),
            kind: text(&a.kind),
            account: text(&a.account),
            name: opt(&a.name),
            access_key: opt(&a.access_key),
            session_name: opt(&a.session_name),
            session_issuer: opt(&a.session_issuer),
            source_identity: opt(&a.source_identity),
            mfa: a.mfa,
            invoked_by: opt(&a.invoked_by),
            delegation: texts(&a.delegation),
        },
        source_ip: opt(&e.source_ip),
        user_agent: opt(&e.user_agent),
        resources: e
            .resources
            .iter()
            .map(|r| sdk::Resource { kind: text(&r.kind), id: text(&r.id), account: opt(&r.account) })
            .collect(),
        network: e.network.as_deref().map(|n| sdk::Network {
            src_addr: opt(&n.src_addr),
            src_port: n.src_port,
            dst_addr: opt(&n.dst_addr),
            dst_port: n.dst_port,
            protocol: n.protocol,
            bytes: n.bytes,
            packets: n.packets,
            allowed: n.allowed,
            interface: opt(&n.interface),
            end: n.end,
        }),
        process: e.process.as_deref().map(|p| sdk::Process {
            hostname: opt(&p.hostname),
            name: opt(&p.name),
            exe: opt(&p.exe),
            cmdline: opt(&p.cmdline),
            pid: p.pid,
            parent: opt(&p.parent),
            user: opt(&p.user),
            file: opt(&p.file),
            container_id: opt(&p.container_id),
            container_name: opt(&p.container_name),
            image: opt(&p.image),
            privileged: p.privileged,
            pod: opt(&p.pod),
            namespace: opt(&p.namespace),
        }),
        alert: e.alert.as_deref().map(|al| sdk::Alert {
            rule: text(&al.rule),
            severity: al.severity,
            tags: texts(&al.tags),
            reporter: text(&al.reporter),
        }),
        request_id: opt(&e.ids.request),
        correlation_id: opt(&e.ids.correlation),
        techniques: e.enrichment.techniques.iter().map(|t| Text::from(*t)).collect(),
        risks: sdk::Risks {
            privilege_escalation: e.enrichment.risks.contains(Risk::PrivilegeEscalation),
            resource_exposure: e.enrichment.risks.contains(Risk::ResourceExposure),
            data_exfiltration: e.enrichment.risks.contains(Risk::DataExfiltration),
            credential_exposure: e.enrichment.risks.contains(Risk::CredentialExposure),
            defense_evasion: e.enrichment.risks.contains(Risk::DefenseEvasion),
        },
        lineage: sdk::Lineage {
            origin: if lineage.origin.is_empty() { text(&a.id) } else { text(&lineage.origin) },
            hops: lineage.hops,
            key_obtained_by: opt(&lineage.key_obtained_by),
        },
        fields: fields.into_iter().map(|v| v.map(Text::from)).collect(),
        raw: raw.map(Text::from),
    }
}
