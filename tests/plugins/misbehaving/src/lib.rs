//! A detector that misbehaves on purpose, chosen by its config, so the host's deadline,
//! memory cap and fault isolation can be tested both ways:
//!
//! - `{"spin": N}`: burns N loop iterations per batch; `{"spin": "forever"}` never returns.
//! - `{"alloc_mib": N}`: keeps N more MiB alive per batch; `{"alloc_mib": "forever"}` allocates without end.
//! - `{"trap_on": "Action"}`: panics (a trap) on any event with that action.
//!
//! And to test its budget, what it makes the host hold or write, per batch:
//! - `{"findings": N}`: N findings instead of one;
//! - `{"title_bytes": N}`: a finding whose title is N bytes long;
//! - `{"metric_names": N}`: N counters with names it never used before;
//! - `{"metric_name_bytes": N}`: a counter whose name is N bytes long;
//! - `{"log_lines": N, "log_bytes": M}`: N log lines of M bytes each (M defaults to 10).
//!
//! Every batch it survives yields one `test.batch-seen` finding citing the batch's first event,
//! with the files its config named (as the host read them) as evidence: `file.PATH` = bytes.
//! With `{"echo": true}` that finding also carries every field of every event as it read
//! them, `ID.FIELD` = value (absent fields left out), so a test can check what crossed.
//! `{"fields": ["$.path", ...]}` declares those paths once configured (as a rules engine
//! declares what its rules read); echoed as `ID.field.PATH`. `{"wants_findings": true}` asks
//! for the findings of other plugins.
//!
//! To test reloads: `{"per_event": true, "label": "v7"}` makes one `test.event-seen` finding
//! per event instead, citing it, with the label and `seen`, the events this plugin has seen
//! on its worker, counted across versions (its state: the snapshot is the count). With
//! `{"refuse_restore": true}` it refuses any state it is given.
use trailhound_sdk::prelude::*;

#[derive(Default)]
pub struct Misbehaving {
    spin: Option<u64>,
    spin_forever: bool,
    alloc_mib: Option<usize>,
    alloc_forever: bool,
    trap_on: Option<String>,
    kept: Vec<Vec<u8>>,
    findings: usize,
    title_bytes: Option<usize>,
    metric_names: u64,
    log_lines: u64,
    log_bytes: usize,
    metrics_made: u64,
    metric_name_bytes: Option<usize>,
    /// The files the host handed over: path and size.
    files: Vec<(String, usize)>,
    echo: bool,
    /// Paths declared from the config.
    fields: Vec<String>,
    wants_findings: bool,
    per_event: bool,
    label: String,
    seen: u64,
    refuse_restore: bool,
}

impl Detector for Misbehaving {
    fn info() -> Info {
        Info::new("misbehaving", "0.1.0")
    }

    fn declared(&self) -> Info {
        let info = if self.wants_findings { Self::info().findings() } else { Self::info() };
        let info = if self.per_event { info.stateful() } else { info };
        self.fields.iter().fold(info, |info, path| info.field(path.clone()))
    }

    fn load_files(&mut self, files: &[trailhound_sdk::File]) -> Result<(), String> {
        self.files = files.iter().map(|f| (f.path.clone(), f.contents.len())).collect();
        Ok(())
    }

    fn configure(&mut self, config: &serde_json::Value) -> Result<(), String> {
        if !(config.is_object() || config.is_null()) {
            return Err(format!("config must be a table, got {config}"));
        }
        let forever = |v: &serde_json::Value| v.as_str() == Some("forever");
        self.spin_forever = forever(&config["spin"]);
        self.spin = config["spin"].as_u64();
        self.alloc_forever = forever(&config["alloc_mib"]);
        self.alloc_mib = config["alloc_mib"].as_u64().map(|n| n as usize);
        self.trap_on = config["trap_on"].as_str().map(String::from);
        let number = |key: &str| config[key].as_u64();
        self.findings = number("findings").unwrap_or(1) as usize;
        self.title_bytes = number("title_bytes").map(|n| n as usize);
        self.metric_names = number("metric_names").unwrap_or(0);
        self.log_lines = number("log_lines").unwrap_or(0);
        self.log_bytes = number("log_bytes").unwrap_or(10) as usize;
        self.metric_name_bytes = number("metric_name_bytes").map(|n| n as usize);
        self.echo = config["echo"].as_bool().unwrap_or(false);
        self.wants_findings = config["wants_findings"].as_bool().unwrap_or(false);
        self.per_event = config["per_event"].as_bool().unwrap_or(false);
        self.label = config["label"].as_str().unwrap_or_default().to_string();
        self.refuse_restore = config["refuse_restore"].as_bool().unwrap_or(false);
        let paths = config["fields"].as_array().into_iter().flatten();
        self.fields = paths.filter_map(|p| p.as_str().map(String::from)).collect();
        Ok(())
    }

    fn snapshot(&self) -> Vec<u8> {
        self.seen.to_le_bytes().to_vec()
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), String> {
        if self.refuse_restore {
            return Err("asked to refuse every state".into());
        }
        if state.is_empty() {
            return Ok(());
        }
        let bytes: [u8; 8] = state.try_into().map_err(|_| format!("{} bytes is not a count", state.len()))?;
        self.seen = u64::from_le_bytes(bytes);
        Ok(())
    }

    fn on_events(&mut self, events: &Batch, findings: &mut Vec<Finding>) {
        if self.per_event {
            for event in events.iter() {
                self.seen += 1;
                findings.push(
                    Finding::new("test.event-seen", "Event seen", Severity::Info)
                        .event(&event)
                        .evidence("label", self.label.clone())
                        .evidence("seen", self.seen.to_string()),
                );
            }
            return;
        }
        if let Some(action) = &self.trap_on {
            if let Some(e) = events.iter().find(|e| e.action() == action) {
                panic!("asked to trap on {} (event {})", e.action(), e.id());
            }
        }
        let mut counter = 0u64;
        if self.spin_forever {
            loop {
                counter = std::hint::black_box(counter.wrapping_add(1));
            }
        }
        for _ in 0..self.spin.unwrap_or(0) {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
        if self.alloc_forever {
            loop {
                self.kept.push(touched(1 << 20));
            }
        }
        if let Some(mib) = self.alloc_mib {
            self.kept.push(touched(mib << 20));
        }
        for _ in 0..self.metric_names {
            self.metrics_made += 1;
            trailhound_sdk::host::counter_add(&format!("made-up-{}", self.metrics_made), 1);
        }
        if let Some(n) = self.metric_name_bytes {
            trailhound_sdk::host::counter_add(&"m".repeat(n), 1);
        }
        let line = "x".repeat(self.log_bytes);
        for _ in 0..self.log_lines {
            trailhound_sdk::host::log(trailhound_sdk::host::LogLevel::Debug, &line);
        }
        if let Some(first) = events.get(0) {
            let title = self.title_bytes.map_or_else(|| "Batch seen".to_string(), |n| "t".repeat(n));
            for _ in 0..self.findings {
                let mut finding =
                    Finding::new("test.batch-seen", title.clone(), Severity::Info).event(&first);
                for (path, bytes) in &self.files {
                    finding = finding.evidence(format!("file.{path}"), bytes.to_string());
                }
                if self.echo {
                    for event in events.iter() {
                        for (field, value) in echo(&event) {
                            finding = finding.evidence(format!("{}.{field}", event.id()), value);
                        }
                        for path in &self.fields {
                            let value = event.field(path).unwrap_or("(none)");
                            finding = finding.evidence(format!("{}.field.{path}", event.id()), value);
                        }
                    }
                }
                findings.push(finding);
            }
        }
    }
}

/// Every field of `e` that has a value, as text.
fn echo(e: &Event) -> Vec<(&'static str, String)> {
    let a = e.actor();
    let l = e.lineage();
    let join = |items: &mut dyn Iterator<Item = &str>| items.collect::<Vec<_>>().join(",");
    let mut out = vec![
        ("time", e.time().to_string()),
        ("provider", e.provider().to_string()),
        ("source", e.source().to_string()),
        ("plane", e.plane().as_str().to_string()),
        ("class_uid", e.class_uid().to_string()),
        ("category", e.category().as_str().to_string()),
        ("service", e.service().to_string()),
        ("action", e.action().to_string()),
        ("success", e.success().to_string()),
        ("read_only", e.read_only().to_string()),
        ("management", e.management().to_string()),
        ("account", e.account().to_string()),
        ("region", e.region().to_string()),
        ("risks", e.risks().to_string()),
        ("actor.id", a.id().to_string()),
        ("actor.kind", a.kind().to_string()),
        ("actor.account", a.account().to_string()),
        ("actor.mfa", a.mfa().to_string()),
        ("actor.delegation", join(&mut a.delegation())),
        ("lineage.origin", l.origin().to_string()),
        ("lineage.hops", l.hops().to_string()),
        ("techniques", join(&mut e.techniques())),
        (
            "resources",
            e.resources()
                .map(|r| format!("{}={}@{}", r.kind(), r.id(), r.account().unwrap_or("-")))
                .collect::<Vec<_>>()
                .join(","),
        ),
    ];
    let optional = [
        ("access_level", e.access_level().map(|l| l.as_str())),
        ("error_code", e.error_code()),
        ("error_message", e.error_message()),
        ("source_ip", e.source_ip()),
        ("user_agent", e.user_agent()),
        ("request_id", e.request_id()),
        ("correlation_id", e.correlation_id()),
        ("actor.name", a.name()),
        ("actor.access_key", a.access_key()),
        ("actor.session_name", a.session_name()),
        ("actor.session_issuer", a.session_issuer()),
        ("actor.source_identity", a.source_identity()),
        ("actor.invoked_by", a.invoked_by()),
        ("lineage.key_obtained_by", l.key_obtained_by()),
    ];
    out.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?.to_string()))));
    if let Some(n) = e.network() {
        out.push((
            "network",
            format!(
                "{}:{} -> {}:{} proto {} bytes {} packets {} allowed {} on {} until {}",
                n.src_addr().unwrap_or("-"),
                n.src_port().unwrap_or(0),
                n.dst_addr().unwrap_or("-"),
                n.dst_port().unwrap_or(0),
                n.protocol().unwrap_or(0),
                n.bytes().unwrap_or(0),
                n.packets().unwrap_or(0),
                n.allowed().unwrap_or(false),
                n.interface().unwrap_or("-"),
                n.end().unwrap_or(0),
            ),
        ));
    }
    if let Some(p) = e.process() {
        let parts = [
            p.hostname(),
            p.name(),
            p.exe(),
            p.cmdline(),
            p.parent(),
            p.user(),
            p.file(),
            p.container_id(),
            p.container_name(),
            p.image(),
            p.pod(),
            p.namespace(),
        ];
        let parts: Vec<&str> = parts.iter().map(|v| v.unwrap_or("-")).collect();
        out.push((
            "process",
            format!(
                "{} pid {} privileged {} host paths [{}] host pid {:?} host network {:?}",
                parts.join("|"),
                p.pid().unwrap_or(0),
                p.privileged().unwrap_or(false),
                join(&mut p.host_paths()),
                p.host_pid(),
                p.host_network(),
            ),
        ));
    }
    if let Some(al) = e.alert() {
        out.push((
            "alert",
            format!(
                "{} {} [{}] by {}",
                al.rule(),
                al.severity().as_str(),
                join(&mut al.tags()),
                al.reporter()
            ),
        ));
    }
    out
}

/// A buffer whose pages are really written, so the allocation cannot be optimized away.
fn touched(bytes: usize) -> Vec<u8> {
    let mut buffer = vec![0u8; bytes];
    for page in buffer.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(buffer)
}

trailhound_sdk::export_detector!(Misbehaving);
