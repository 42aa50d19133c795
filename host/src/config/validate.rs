//! The checks serde cannot express: values in range, names unique, log types known, at least
//! one of each stage. Each problem names the field it is about, so the error can point at its
//! line.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Config, FieldPath, Problem, SourceConfig};
use crate::engine::settings::{ranges, Range};
use crate::normalize::SourceType;
use crate::pack;
use crate::sinks::{nats, syslog, webhook, SinkConfig};

impl Config {
    /// Checks what the types cannot: at least one source and one sink; an enabled plugin, or
    /// none named (the pack), with a plugin for each `[pack]` key given;
    /// engine values in range; log types known; plugin names unique and well-formed; no two
    /// sinks writing the same place. Every problem, each naming its field, in the order of the file.
    pub fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check_engine(&mut problems);
        for (key, value, range) in self.input.ranges() {
            in_range(&mut problems, FieldPath::of("input").key(key), value, &range);
        }
        self.check_sources(&mut problems);
        self.check_plugins(&mut problems);
        self.check_sinks(&mut problems);
        self.check_routes(&mut problems);
        self.check_packs(&mut problems);
        problems
    }

    fn check_packs(&self, problems: &mut Vec<Problem>) {
        for (index, trusted) in self.packs.trusted.iter().enumerate() {
            let field = FieldPath::of("packs").key("trusted").index(index);
            if trusted.key.is_some() == trusted.key_file.is_some() {
                problems.push(Problem::new(field.clone(), "give key or key_file, one of them"));
            }
            if let Some(key) = &trusted.key {
                if minisign::PublicKey::from_base64(key.trim()).is_err() {
                    problems.push(Problem::new(
                        field.key("key"),
                        "not a minisign public key (the base64 line of its .pub file)",
                    ));
                }
            }
        }
    }

    fn check_engine(&self, problems: &mut Vec<Problem>) {
        let engine = &self.engine;
        let field = |key| FieldPath::of("engine").key(key);
        if let Some(workers) = engine.workers {
            in_range(problems, field("workers"), workers as u64, &ranges::WORKERS);
        }
        in_range(problems, field("batch_size"), engine.batch_size as u64, &ranges::BATCH_SIZE);
        in_range(problems, field("deadline_ms"), engine.deadline_ms, &ranges::DEADLINE_MS);
        in_range(problems, field("memory_limit_mb"), engine.memory_limit_mb as u64, &ranges::MEMORY_LIMIT_MB);
        in_range(problems, field("max_failures"), u64::from(engine.max_failures), &ranges::MAX_FAILURES);
        in_range(problems, field("quarantine_secs"), engine.quarantine_secs, &ranges::QUARANTINE_SECS);
        in_range(problems, field("max_time_skew_secs"), engine.max_time_skew_secs, &ranges::TIME_SKEW_SECS);
        in_range(problems, field("linger_ms"), engine.linger_ms, &ranges::LINGER_MS);
        in_range(problems, field("epoch_tick_ms"), engine.epoch_tick_ms, &ranges::EPOCH_TICK_MS);
        in_range(problems, field("tick_interval_ms"), engine.tick_interval_ms, &ranges::TICK_INTERVAL_MS);
        in_range(problems, field("recent_events"), engine.recent_events as u64, &ranges::RECENT_EVENTS);
        in_range(
            problems,
            field("lineage_capacity"),
            engine.lineage_capacity as u64,
            &ranges::LINEAGE_CAPACITY,
        );
        let queued = engine.queued_batches_per_worker as u64;
        in_range(problems, field("queued_batches_per_worker"), queued, &ranges::QUEUED_BATCHES_PER_WORKER);
        in_range(problems, field("detection_queue"), engine.detection_queue as u64, &ranges::DETECTION_QUEUE);
        let interval = engine.checkpoint_interval_secs;
        in_range(problems, field("checkpoint_interval_secs"), interval, &ranges::CHECKPOINT_INTERVAL_SECS);
        if engine.state_dir.as_ref().is_some_and(|d| d.as_os_str().is_empty()) {
            problems.push(Problem::new(field("state_dir"), "must name a folder"));
        }
        check_budget(problems, field("budget"), &engine.budget);
    }

    fn check_sources(&self, problems: &mut Vec<Problem>) {
        if self.sources.is_empty() {
            problems.push(Problem::new(
                FieldPath::of("sources"),
                "no source: add a [[sources]] table with type = \"files\", \"stdin\", \"http\" or \"nats\"",
            ));
        }
        let mut stdin = None;
        let mut listening = std::collections::BTreeMap::new();
        for (i, source) in self.sources.iter().enumerate() {
            let field = FieldPath::of("sources").index(i);
            if let Some(Err(message)) = source.log_type_name().map(SourceType::parse) {
                problems.push(Problem::new(field.key("log_type"), message));
            }
            match source {
                SourceConfig::Files(files) => {
                    if files.paths.is_empty() {
                        problems
                            .push(Problem::new(field.key("paths"), "must name at least one file or folder"));
                    }
                    if let Some(j) = files.paths.iter().position(|p| p.as_os_str().is_empty()) {
                        problems.push(Problem::new(field.key("paths").index(j), "must not be empty"));
                    }
                }
                SourceConfig::Stdin(_) => {
                    if let Some(first) = stdin.replace(i) {
                        problems.push(Problem::new(
                            field.key("type"),
                            format!("stdin can be read once; sources[{first}] already reads it"),
                        ));
                    }
                }
                SourceConfig::Http(http) => {
                    // Each address keeps its own journal in the state folder.
                    if let Some(first) = listening.insert(http.listen, i) {
                        problems.push(Problem::new(
                            field.key("listen"),
                            format!("sources[{first}] already listens on {}", http.listen),
                        ));
                    }
                    if http.max_body_bytes == 0 {
                        problems.push(Problem::new(field.key("max_body_bytes"), "must be at least 1"));
                    }
                    if http.max_queued_requests == 0 {
                        problems.push(Problem::new(field.key("max_queued_requests"), "must be at least 1"));
                    }
                    if http.token_env.as_ref().is_some_and(|name| name.is_empty()) {
                        problems
                            .push(Problem::new(field.key("token_env"), "must name an environment variable"));
                    }
                }
                SourceConfig::Nats(nats) => {
                    for (key, message) in nats.problems(self.engine.checkpoint_interval_secs) {
                        problems.push(Problem::new(field.key(key), message));
                    }
                    if self.engine.state_dir.is_none() {
                        problems.push(Problem::new(
                            field.key("type"),
                            "a nats source acknowledges messages once their findings are delivered, which \
                             checkpoints record: set engine.state_dir",
                        ));
                    }
                }
            }
        }
    }

    fn check_plugins(&self, problems: &mut Vec<Problem>) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, plugin) in self.plugins.iter().enumerate() {
            let field = FieldPath::of("plugins").index(i);
            if plugin.name.is_empty()
                || !plugin.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                problems.push(Problem::new(
                    field.key("name"),
                    format!("{:?} is not a plugin name: use letters, digits, '-', '_' and '.'", plugin.name),
                ));
            }
            if let Some(first) = names.insert(&plugin.name, i) {
                problems.push(Problem::new(
                    field.key("name"),
                    format!("duplicate plugin name {:?}: plugins[{first}] already uses it", plugin.name),
                ));
            }
            if plugin.path.as_os_str().is_empty() {
                problems.push(Problem::new(field.key("path"), "must name a component file (.wasm)"));
            }
            if plugin.budget.is_some() {
                match plugin.budget(&self.engine.budget) {
                    Ok(budget) => check_budget(problems, field.key("budget"), &budget),
                    Err(e) => {
                        problems.push(Problem::new(field.key("budget"), e.message().trim_end().to_string()))
                    }
                }
            }
        }
        if !self.runs_pack() {
            for (key, plugin, files) in [
                ("rules", pack::RULES_PLUGIN, &self.pack.rules),
                ("sigma", pack::SIGMA_PLUGIN, &self.pack.sigma),
            ] {
                if !files.is_empty() && !self.plugins.iter().any(|p| p.enabled && p.name == plugin) {
                    problems.push(Problem::new(
                        FieldPath::of("pack").key(key),
                        format!(
                            "no enabled plugin is named {plugin:?} to read these files: name no [[plugins]] to \
                             run the bundled pack, or add a {plugin:?} plugin"
                        ),
                    ));
                }
            }
        }
        if !self.runs_pack() && !self.plugins.iter().any(|p| p.enabled) {
            problems.push(Problem::new(
                FieldPath::of("plugins").index(0).key("enabled"),
                "every plugin is disabled: enable at least one",
            ));
        }
    }

    fn check_sinks(&self, problems: &mut Vec<Problem>) {
        if self.sinks.is_empty() {
            problems.push(Problem::new(
                FieldPath::of("sinks"),
                format!(
                    "no sink, findings would go nowhere: add a [[sinks]] table (type = {:?})",
                    SinkConfig::TYPES
                ),
            ));
        }
        let mut stdout = None;
        let mut files: HashMap<&PathBuf, usize> = HashMap::new();
        for (i, sink) in self.sinks.iter().enumerate() {
            let field = FieldPath::of("sinks").index(i);
            if let Err(invalid) = sink.check() {
                // A key of a table inside the sink's (`tls.ca_file`) is a path of keys.
                let at = invalid.key.split('.').fold(field.clone(), |at, key| at.key(key));
                problems.push(Problem::new(at, invalid.message));
            }
            match sink {
                SinkConfig::Stdout(_) => {
                    if let Some(first) = stdout.replace(i) {
                        problems.push(Problem::new(
                            field.key("type"),
                            format!("only one stdout sink: sinks[{first}] already writes to stdout"),
                        ));
                    }
                }
                SinkConfig::Webhook(webhook::WebhookConfig { dead_letter, .. })
                | SinkConfig::Syslog(syslog::SyslogConfig { dead_letter, .. })
                | SinkConfig::Nats(nats::NatsConfig { dead_letter, .. }) => {
                    if let Some(path) = dead_letter {
                        if let Some(first) = files.insert(path, i) {
                            problems.push(Problem::new(
                                field.key("dead_letter"),
                                format!("sinks[{first}] already writes to {}", path.display()),
                            ));
                        }
                    }
                }
                SinkConfig::File(file) => {
                    let path = &file.path;
                    if let Some(first) = files.insert(path, i) {
                        problems.push(Problem::new(
                            field.key("path"),
                            format!("sinks[{first}] already writes to {}", path.display()),
                        ));
                    }
                }
            }
        }
    }
}

impl Config {
    /// Sink names unique and well-formed; every route names sinks that exist and matches
    /// something; at most one default route; throttle bounds in range.
    fn check_routes(&self, problems: &mut Vec<Problem>) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        for (i, sink) in self.sinks.iter().enumerate() {
            let Some(name) = sink.name() else { continue };
            let field = FieldPath::of("sinks").index(i).key("name");
            if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                problems.push(Problem::new(
                    field.clone(),
                    format!("{name:?} is not a sink name: use letters, digits, '-', '_' and '.'"),
                ));
            }
            if let Some(first) = names.insert(name, i) {
                problems.push(Problem::new(
                    field,
                    format!("duplicate sink name {name:?}: sinks[{first}] already uses it"),
                ));
            }
        }
        let mut default = None;
        for (i, route) in self.routes.iter().enumerate() {
            let field = FieldPath::of("routes").index(i);
            if route.sinks.is_empty() {
                problems.push(Problem::new(field.key("sinks"), "must name at least one sink"));
            }
            for (j, sink) in route.sinks.iter().enumerate() {
                if !names.contains_key(sink.as_str()) {
                    let known: Vec<&str> = self.sinks.iter().filter_map(SinkConfig::name).collect();
                    problems.push(Problem::new(
                        field.key("sinks").index(j),
                        format!("no sink is named {sink:?}; give a [[sinks]] table name = {sink:?} (named: {known:?})"),
                    ));
                }
            }
            if route.default {
                if let Some(first) = default.replace(i) {
                    problems.push(Problem::new(
                        field.key("default"),
                        format!("routes[{first}] is already the default route"),
                    ));
                }
            }
        }
        let throttle = &self.throttle;
        let field = |key| FieldPath::of("throttle").key(key);
        if throttle.window_secs > 0 && throttle.max_per_window == 0 {
            problems.push(Problem::new(
                field("max_per_window"),
                "must be at least 1: 0 would hold back every finding",
            ));
        }
        if throttle.max_keys == 0 {
            problems.push(Problem::new(field("max_keys"), "must be at least 1"));
        }
        if throttle.window_secs > 30 * 86_400 {
            problems.push(Problem::new(field("window_secs"), "must be at most 2592000 (30 days)"));
        }
    }
}

fn check_budget(problems: &mut Vec<Problem>, field: FieldPath, budget: &crate::engine::Budget) {
    for (key, value, range) in budget.ranges() {
        in_range(problems, field.key(key), value, &range);
    }
}

fn in_range(problems: &mut Vec<Problem>, field: FieldPath, value: u64, range: &Range) {
    if let Err(message) = range.check(value) {
        problems.push(Problem::new(field, message));
    }
}
