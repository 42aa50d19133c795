//! trailhound-synth: a deterministic, seeded generator of synthetic CloudTrail for the
//! benchmarks, the tests and `trailhound generate`. It is a crate of its own so that the
//! runtime library carries neither the generator nor a PRNG.
//!
//! Records are realistic (0.5–3 KB, the full CloudTrail shape), from thousands of principals
//! of every identity type across several accounts and regions, with assumed-role chains,
//! errors and read-only calls in realistic proportions and a configurable share of suspicious
//! activity. The same seed gives byte-identical output.
//!
//! [`mix`] is the event mix as data; [`principals`] the population; `record` and `calls`
//! write one record; `suspicious` plans the attack scenarios; [`write`] lays records out as
//! CloudTrail delivers them to S3, or as JSON lines. [`example`] writes the bundled example
//! day (`examples/data/`) on every plane, its stories told call by call rather than drawn from
//! the mix.

mod calls;
pub mod example;
mod ids;
mod json;
pub mod mix;
pub mod principals;
mod record;
mod suspicious;
pub mod write;

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};

pub use mix::{Mix, MixError};
pub use write::{write_jsonl, write_s3, WriteError, WriteSummary};

use principals::{Sessions, World, REGIONS, SERVICES};
use record::{Caller, Ctx, Planned};

/// The PRNG: ChaCha8 is portable and its output stream is fixed for a seed, so generated data
/// is identical across platforms and crate versions.
pub(crate) type Rng8 = rand::rngs::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GeneratorOptions {
    /// The same seed gives the same records, byte for byte.
    pub seed: u64,
    /// Share of records that belong to suspicious scenarios (0 to 1).
    pub suspicious_share: f64,
    /// Which calls, how often.
    pub mix: Mix,
    /// `eventTime` of the first record, in seconds since the epoch.
    pub start: i64,
    /// Mean event rate; gaps between records are exponentially distributed around it.
    pub events_per_second: f64,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        GeneratorOptions {
            seed: 1,
            suspicious_share: 0.005,
            mix: Mix::default(),
            // 2025-03-01T00:00:00Z.
            start: 1_740_787_200,
            // A mid-sized organisation: a million events span about five and a half hours.
            events_per_second: 50.0,
        }
    }
}

/// Facts about a record just generated (for laying out files, and for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordMeta {
    /// Index of the recipient account; [`Generator::account_id`] gives its id.
    pub account: u16,
    pub region: &'static str,
    /// `eventTime`, seconds since the epoch.
    pub time: i64,
    /// Part of a suspicious scenario.
    pub suspicious: bool,
}

pub struct Generator {
    seed: u64,
    rng: Rng8,
    world: World,
    sessions: Sessions,
    mix: Mix,
    share: f64,
    pending: VecDeque<Planned<'static>>,
    clock_ms: f64,
    mean_gap_ms: f64,
    time_cache: (i64, String),
    emitted: u64,
    suspicious: u64,
}

impl Generator {
    pub fn new(options: GeneratorOptions) -> Generator {
        let mut rng = Rng8::seed_from_u64(options.seed);
        let world = World::new(&mut rng);
        let sessions = Sessions::new(&mut rng, &world, options.start);
        Generator {
            seed: options.seed,
            rng,
            world,
            sessions,
            mix: options.mix,
            share: options.suspicious_share.clamp(0.0, 1.0),
            pending: VecDeque::new(),
            clock_ms: options.start as f64 * 1000.0,
            mean_gap_ms: 1000.0 / options.events_per_second.max(1e-6),
            time_cache: (i64::MIN, String::new()),
            emitted: 0,
            suspicious: 0,
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The 12-digit id of an account index from [`RecordMeta`].
    pub fn account_id(&self, account: u16) -> &str {
        &self.world.accounts[account as usize].id
    }

    /// The clock: `eventTime` of the last record, seconds since the epoch.
    pub fn now(&self) -> i64 {
        (self.clock_ms / 1000.0) as i64
    }

    /// Records generated so far, and how many of them were suspicious.
    pub fn counts(&self) -> (u64, u64) {
        (self.emitted, self.suspicious)
    }

    /// Appends the next record's JSON (one line, no newline) to `out`.
    pub fn next_into(&mut self, out: &mut Vec<u8>) -> RecordMeta {
        let gap = -(1.0 - self.rng.random::<f64>()).ln() * self.mean_gap_ms;
        self.clock_ms += gap;
        let now = (self.clock_ms / 1000.0) as i64;
        if self.time_cache.0 != now {
            self.time_cache = (now, iso_time(now));
        }
        let Generator { rng, world, sessions, mix, pending, time_cache, .. } = self;

        let scheduled = !pending.is_empty() && rng.random_bool(0.5);
        let planned: Planned<'_> = if scheduled {
            pending.pop_front().expect("checked non-empty")
        } else {
            let owed =
                ((self.suspicious + pending.len() as u64) as f64) < self.share * (self.emitted + 1) as f64;
            if self.share > 0.0 && owed && rng.random_bool(0.1) {
                pending.extend(suspicious::plan(rng, world, sessions));
            }
            let entry = mix.draw(rng);
            Planned {
                source: &entry.source,
                name: &entry.name,
                callers: entry.callers,
                caller: choose_caller(rng, world, sessions, entry.callers),
                region: None,
                origin: None,
                suspicious: false,
                error: None,
            }
        };
        let mut ctx = Ctx { rng, world, sessions, now, now_text: &time_cache.1 };
        let written = record::write(out, &mut ctx, &planned);
        if let Some(session) = written.new_session {
            let person = !matches!(planned.caller, Caller::Service { .. } | Caller::WebIdentity(_));
            sessions.push(session, person);
        }
        self.emitted += 1;
        self.suspicious += u64::from(planned.suspicious);
        RecordMeta {
            account: written.account,
            region: REGIONS[written.region as usize].0,
            time: now,
            suspicious: planned.suspicious,
        }
    }

    /// The next record as a JSON value (slower; for tests and small samples).
    pub fn next_value(&mut self) -> serde_json::Value {
        let mut out = Vec::with_capacity(2048);
        self.next_into(&mut out);
        serde_json::from_slice(&out).expect("the generator writes valid JSON")
    }
}

/// Who makes a call of the given kind. The shares follow real trails: role sessions make most
/// calls, long-lived IAM users a quarter, services their own share; root is rare.
fn choose_caller(rng: &mut Rng8, world: &World, sessions: &Sessions, callers: mix::Callers) -> Caller {
    use mix::Callers as C;
    let accounts = world.accounts.len() as u16;
    let account = |rng: &mut Rng8| rng.random_range(0..accounts);
    let session = |rng: &mut Rng8| {
        // Sessions created moments ago act next: the second half of an assumed-role chain.
        if !sessions.recent.is_empty() && rng.random_bool(0.3) {
            Caller::Session(sessions.recent[rng.random_range(0..sessions.recent.len())])
        } else {
            Caller::Session(rng.random_range(0..sessions.ring.len()) as u32)
        }
    };
    let user = |rng: &mut Rng8| Caller::User(rng.random_range(0..world.users.len()) as u32);
    let foreign = |rng: &mut Rng8| Caller::Account {
        foreign: rng.random_range(0..world.foreign.len()) as u16,
        account: rng.random_range(0..accounts),
    };
    let roll: f64 = rng.random();
    match callers {
        C::People => match roll {
            r if r < 0.62 => session(rng),
            r if r < 0.92 => user(rng),
            r if r < 0.97 => Caller::Federated(rng.random_range(0..world.federated.len()) as u32),
            r if r < 0.975 => Caller::Root(account(rng)),
            _ => session(rng),
        },
        C::Service => match roll {
            r if r < 0.7 => {
                Caller::Service { service: rng.random_range(0..SERVICES.len()) as u16, account: account(rng) }
            }
            r if r < 0.95 => session(rng),
            _ => foreign(rng),
        },
        C::Data => match roll {
            r if r < 0.72 => session(rng),
            r if r < 0.84 => user(rng),
            r if r < 0.94 => {
                Caller::Service { service: rng.random_range(0..SERVICES.len()) as u16, account: account(rng) }
            }
            _ => foreign(rng),
        },
        // Instance profiles, functions and tasks (the first three services) refresh
        // credentials; people and role sessions hop.
        C::Assume => match roll {
            r if r < 0.6 => Caller::Service { service: rng.random_range(0..3), account: account(rng) },
            r if r < 0.85 => session(rng),
            _ => user(rng),
        },
        C::Console => match roll {
            r if r < 0.4 => user(rng),
            r if r < 0.85 => session(rng),
            r if r < 0.92 => Caller::Root(account(rng)),
            _ => Caller::Unknown { account: account(rng) },
        },
        C::IdentityCenter => Caller::IdentityCenter(rng.random_range(0..world.identity_center.len()) as u32),
        C::Saml => Caller::Saml(rng.random_range(0..world.saml.len()) as u32),
        C::WebIdentity => Caller::WebIdentity(rng.random_range(0..world.web.len()) as u32),
    }
}

/// `2025-03-01T12:00:00Z`.
pub(crate) fn iso_time(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
