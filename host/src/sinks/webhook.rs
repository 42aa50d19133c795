//! The webhook sink: findings POSTed as JSON arrays of OCSF Detection Findings to an HTTP(S)
//! endpoint, in batches, from the sink's own thread ([`super::queued`]). A batch the endpoint
//! refuses (5xx, 408, 429, a connection that fails) is retried with exponential backoff and
//! jitter; a 4xx other than those is final (sending it again cannot help). After the last
//! attempt the batch goes to the dead-letter file, when one is set, and the run's summary
//! says how many did.
//!
//! The `Authorization` header comes from an environment variable, so no secret sits in the
//! config file. `format = "slack"` sends one readable message per finding instead
//! ([`super::slack`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use super::backoff::Backoff;
use super::queued::{Batches, QueuedSink};
use super::{Invalid, Sink, SinkSettings};

/// `[[sinks]] type = "webhook"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// What routes call the sink. Default: none.
    pub name: Option<String>,
    /// The endpoint: `https://…` (or `http://…`). Required.
    pub url: String,
    /// The environment variable whose value is sent as the `Authorization` header
    /// (`Bearer …`). Default: none, no header.
    pub auth_env: Option<String>,
    /// Findings per request. Default: 100.
    #[serde(default = "super::backoff::defaults::batch_size")]
    pub batch_size: usize,
    /// Attempts per batch before it is given up (and dead-lettered). Default: 6.
    #[serde(default = "super::backoff::defaults::max_attempts")]
    pub max_attempts: u32,
    /// The first retry's delay in milliseconds, doubled each attempt, with up to half of it
    /// again as random jitter. Default: 500.
    #[serde(default = "super::backoff::defaults::backoff_ms")]
    pub backoff_ms: u64,
    /// The longest delay between two attempts, in milliseconds. Default: 30000.
    #[serde(default = "super::backoff::defaults::max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// One request's timeout, in milliseconds. Default: 10000.
    #[serde(default = "super::backoff::defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Findings waiting for the sender before delivery waits for it. Default: 10000.
    #[serde(default = "super::backoff::defaults::queue")]
    pub queue: usize,
    /// Where batches that ran out of attempts are appended as JSON lines; relative to the
    /// config file's folder. Default: none (they are counted as lost).
    pub dead_letter: Option<PathBuf>,
    /// `ocsf` (default): JSON arrays of OCSF Detection Findings; `slack`: one readable
    /// message per finding, as Slack's incoming webhooks (and the tools that copy them) take.
    #[serde(default)]
    pub format: Format,
}

/// What a request carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Ocsf,
    Slack,
}

impl SinkSettings for WebhookConfig {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    fn build(&self) -> anyhow::Result<Box<dyn Sink>> {
        let auth = crate::config::secret_from_env(self.auth_env.as_deref(), "webhook sink", "auth_env")?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_millis(self.timeout_ms)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        let backoff = Backoff::new(self.backoff_ms, self.max_backoff_ms);
        let poster = Poster { config: self.clone(), agent, auth, backoff };
        // A Slack message is one finding.
        let batch_size = if self.format == Format::Slack { 1 } else { self.batch_size };
        Ok(Box::new(QueuedSink::start(poster, self.queue, batch_size, self.dead_letter.clone())?))
    }

    fn check(&self) -> Result<(), Invalid> {
        if !(self.url.starts_with("https://") || self.url.starts_with("http://")) {
            return Err(Invalid {
                key: "url",
                message: format!("{:?} is not an http:// or https:// URL", self.url),
            });
        }
        super::backoff::check(&[
            ("batch_size", self.batch_size as u64),
            ("max_attempts", u64::from(self.max_attempts)),
            ("queue", self.queue as u64),
            ("timeout_ms", self.timeout_ms),
        ])?;
        super::backoff::check_delays(self.backoff_ms, self.max_backoff_ms)
    }

    fn resolve_paths(&mut self, base: &Path) {
        if let Some(path) = &mut self.dead_letter {
            super::resolve(path, base);
        }
    }
}

struct Poster {
    config: WebhookConfig,
    agent: ureq::Agent,
    auth: Option<String>,
    backoff: Backoff,
}

impl Poster {
    /// One POST; whether to retry when it failed.
    fn post(&self, body: &str) -> Result<(), (anyhow::Error, bool)> {
        let mut request = self.agent.post(&self.config.url).header("Content-Type", "application/json");
        if let Some(auth) = &self.auth {
            request = request.header("Authorization", auth);
        }
        match request.send(body) {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return Ok(());
                }
                let retry = status >= 500 || status == 408 || status == 429;
                Err((anyhow::anyhow!("answered HTTP {status}"), retry))
            }
            Err(e) => Err((anyhow::Error::new(e).context("request failed"), true)),
        }
    }
}

impl Batches for Poster {
    fn describe(&self) -> String {
        format!("webhook {}", self.config.url)
    }

    fn send(&mut self, batch: &[serde_json::Value], retries: &AtomicU64) -> anyhow::Result<()> {
        let bodies: Vec<String> = match self.config.format {
            Format::Ocsf => vec![serde_json::Value::Array(batch.to_vec()).to_string()],
            // One message each (and batches of one, see `build`, so a failure retries only it).
            Format::Slack => batch.iter().map(|f| super::slack::message(f).to_string()).collect(),
        };
        for body in bodies {
            let mut attempt = 1;
            loop {
                match self.post(&body) {
                    Ok(()) => break,
                    Err((error, retry)) if retry && attempt < self.config.max_attempts => {
                        let delay = self.backoff.delay(attempt);
                        tracing::warn!(url = %self.config.url, attempt, ?delay, "webhook failed, retrying: {error:#}");
                        std::thread::sleep(delay);
                        attempt += 1;
                        retries.fetch_add(1, Ordering::Relaxed);
                    }
                    Err((error, _)) => {
                        bail!("{} finding(s) after {attempt} attempt(s): {error:#}", batch.len())
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> WebhookConfig {
        toml::from_str(&format!("url = {url:?}")).unwrap()
    }

    #[test]
    fn defaults_and_checks() {
        let c = config("https://hooks.example/x");
        assert_eq!((c.batch_size, c.max_attempts, c.backoff_ms, c.queue), (100, 6, 500, 10_000));
        assert!(c.check().is_ok());
        assert_eq!(config("ftp://x").check().unwrap_err().key, "url");
        let zero = WebhookConfig { batch_size: 0, ..config("http://x") };
        assert_eq!(zero.check().unwrap_err().key, "batch_size");
        let backwards = WebhookConfig { backoff_ms: 10, max_backoff_ms: 5, ..config("http://x") };
        assert_eq!(backwards.check().unwrap_err().key, "backoff_ms");
    }
}
