//! The stateful plugins' memory under many principals: a stream where every call is another
//! principal with its own access key and address (the worst case: nothing is seen twice), fed
//! to one WASM instance and to the same detector natively, in batches of 512 with a tick after
//! each. The baseline gets the calls, the storyline calls it weighs, the composite a finding
//! about each principal. What each keeps is bounded by its caps, so memory levels off however many
//! principals come.

use trailhound::engine::lowering::Sent;
use trailhound::event::{AccessLevel, Actor, Alert, Category, Event, OcsfClass, Plane};
use trailhound_sdk::testing::Harness;
use trailhound_sdk::{Detector, Severity};

use crate::boundary::Component;
use crate::measure::{measure, Outcome, Row};
use crate::rss;

const BATCH: usize = 512;
/// Millisecond spacing of the calls: 1M principals over about three hours of stream time.
const SPACING_MS: i64 = 10;

/// Call `i`: principal `i`, its key and address, listing buckets.
fn call(i: usize) -> Event {
    let account = format!("{:012}", 100_000_000_000 + i % 1000);
    Event {
        id: format!("bench-principal-{i}"),
        time: 1_780_000_000_000 + i as i64 * SPACING_MS,
        provider: "aws".into(),
        source: "aws-cloudtrail".into(),
        service: "s3.amazonaws.com".into(),
        action: "ListBuckets".into(),
        access_level: Some(AccessLevel::List),
        success: true,
        account: account.clone(),
        region: "us-east-1".into(),
        source_ip: Some(format!("198.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)),
        user_agent: Some("aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux".into()),
        actor: Actor {
            id: format!("arn:aws:iam::{account}:user/bench-{i}"),
            kind: "IAMUser".into(),
            account,
            access_key: Some(format!("AKIA{i:016}")),
            ..Actor::default()
        },
        ..Event::default()
    }
}

/// Call `i` as another plugin's finding about principal `i`, offered back on the finding
/// plane (as the host offers it to plugins that ask for findings).
fn finding(i: usize) -> Event {
    let call = call(i);
    Event {
        id: format!("bench-finding-{i}"),
        source: "finding".into(),
        plane: Plane::Finding,
        class: OcsfClass::DetectionFinding,
        category: Category::Security,
        service: "rules".into(),
        action: "bench.new-principal".into(),
        access_level: None,
        alert: Some(Box::new(Alert {
            rule: "bench.new-principal".into(),
            severity: Severity::Medium,
            tags: vec!["T1078.004".into()],
            reporter: "rules".into(),
        })),
        ..call
    }
}

/// Call `i` as a behavior a storyline weighs (a policy's default version changed), so that
/// every principal opens a trail.
fn policy_change(i: usize) -> Event {
    Event {
        service: "iam.amazonaws.com".into(),
        action: "SetDefaultPolicyVersion".into(),
        access_level: Some(AccessLevel::PermissionsManagement),
        ..call(i)
    }
}

/// What each stateful plugin is fed: calls for the baseline, calls it weighs for the
/// storyline, findings for the composite.
pub fn events_for(plugin: &str) -> fn(usize) -> Event {
    match plugin {
        "composite" => finding,
        "storyline" => policy_change,
        _ => call,
    }
}

/// `count` principals through detector `D` natively; the row (its note says what `held`
/// reports of the state left), and the RSS it grew by in MiB.
pub fn native<D: Detector>(
    name: &str,
    count: usize,
    make: fn(usize) -> Event,
    held: impl Fn(&D) -> String,
) -> anyhow::Result<(Row, f64)> {
    let mut harness = Harness::<D>::new();
    rss::settle();
    let before = rss::resident().now;
    let row = measure("principals", format!("{name} native, {count} distinct principals"), 0, || {
        for start in (0..count).step_by(BATCH) {
            let events: Vec<Event> = (start..(start + BATCH).min(count)).map(make).collect();
            let batch = harness.prepare(events.iter().map(|e| (e, &[][..], None)));
            harness.batch(&batch);
            harness.tick(events.last().map_or(0, |e| e.time));
        }
        Ok(Outcome { events: count as u64, note: held(harness.detector()) })
    })?;
    rss::settle();
    let grown = rss::resident().now.saturating_sub(before) as f64 / (1 << 20) as f64;
    drop(harness);
    Ok((row, grown))
}

/// `count` principals through one instance of the component; the row and the instance's
/// peak linear memory in MiB.
pub fn wasm(
    name: &str,
    component: &Component,
    count: usize,
    make: fn(usize) -> Event,
) -> anyhow::Result<(Row, f64)> {
    let mut instance = component.instance()?;
    let row = measure("principals", format!("{name} WASM, {count} distinct principals"), 0, || {
        let mut findings = 0;
        for start in (0..count).step_by(BATCH) {
            let events: Vec<Event> = (start..(start + BATCH).min(count)).map(make).collect();
            let sent: Vec<Sent<'_>> = events
                .iter()
                .filter(|e| component.wants(e))
                .map(|e| Sent { event: e, fields: vec![None; component.info().fields.len()], raw: None })
                .collect();
            findings += instance.on_events(&sent).map_err(|f| anyhow::anyhow!("{name}: {f}"))?.len();
            let now = events.last().map_or(0, |e| e.time);
            findings += instance.on_tick(now).map_err(|f| anyhow::anyhow!("{name}: {f}"))?.len();
        }
        Ok(Outcome { events: count as u64, note: format!("{findings} findings") })
    })?;
    Ok((row, instance.peak_memory() as f64 / (1 << 20) as f64))
}
