//! `trailhound-bench`: the throughput and memory of every stage of trailhound, the same
//! detectors natively and as WASM components, and a native Sigma engine as the peer — in one
//! process and one run, printed as one table (and written to `BENCHMARKS.md` on request).
//!
//! [`data`] generates the seeded synthetic CloudTrail the rows read; [`stages`] measures the
//! pipeline as `trailhound scan` runs it; [`boundary`] measures one detector natively and as a
//! component; [`sigma_peer`] is the native Sigma engine, which [`peer`] runs beside trailhound's
//! sigma plugin on the same rules and events; [`report`] renders the table.

mod boundary;
mod data;
#[cfg(test)]
mod fixture;
mod measure;
mod peer;
mod principals;
mod reload;
mod report;
mod rss;
mod sigma_peer;
mod stages;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;
use trailhound::engine::PluginSpec;
use trailhound_sdk::Detector;

use crate::boundary::Component;
use crate::measure::Row;
use crate::report::Figure;

// The same allocator as the `trailhound` binary, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measure every stage and print one table.
#[derive(Debug, Parser)]
#[command(name = "trailhound-bench", version, about)]
struct Args {
    /// Events generated for the read, decode and normalize rows.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Of those, how many the whole-scan rows read (every plugin and worker count is a scan).
    #[arg(long, default_value_t = 200_000)]
    scan_events: usize,
    /// Of those, how many are held normalized in memory for the boundary and peer rows.
    #[arg(long, default_value_t = 100_000)]
    memory_events: usize,
    /// Distinct principals streamed through each stateful plugin for its memory figure.
    #[arg(long, default_value_t = 1_000_000)]
    principals: usize,
    /// Seed of the generator: the same seed gives the same events.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// A few seconds' run for CI: small data, every row still measured once.
    #[arg(long)]
    quick: bool,
    /// Where generated data and build output go (reused across runs with the same sizes).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// SigmaHQ CloudTrail rules for the peer and sigma plugin rows.
    #[arg(long)]
    sigma_rules: Option<PathBuf>,
    /// Also write the report, with the machine and the legend, to this file (BENCHMARKS.md).
    #[arg(long)]
    write: Option<PathBuf>,
}

const EXAMPLE: &str = "minimal-detector";
/// How many instances of one plugin are kept alive to measure the memory of one.
const LIVE_INSTANCES: usize = 16;

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trailhound-bench: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The memory and start time of one instance of `component`, after one batch of `events`;
/// and its resident MiB.
fn instance_figure(
    name: &str,
    component: &Component,
    events: &[boundary::Projected],
) -> anyhow::Result<(Figure, f64)> {
    let (rss_mib, linear_mib) = boundary::memory_per_instance(name, component, events, LIVE_INSTANCES)?;
    let start_us = boundary::startup_micros(component, 8)?;
    let value = format!(
        "{rss_mib:.2} MiB resident each ({LIVE_INSTANCES} live instances after one batch), linear memory {linear_mib:.2} MiB, start {start_us:.0} µs"
    );
    Ok((Figure { name: format!("{name} instance"), value }, rss_mib))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench/ has a parent").to_path_buf()
}

fn run(mut args: Args) -> anyhow::Result<()> {
    if args.quick {
        (args.events, args.scan_events, args.memory_events, args.principals) = (4_000, 4_000, 2_000, 20_000);
    }
    let ws = workspace();
    let work = args.work_dir.clone().unwrap_or_else(|| bench_dir(&ws));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let cache_dir = work.join("compiled");

    eprintln!("building plugins…");
    let options = trailhound::build::BuildOptions::new(&ws);
    let built = trailhound::build::build(&options)?;
    let component = |name: &str| -> anyhow::Result<PathBuf> {
        built
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.path.clone())
            .with_context(|| format!("no plugin {name}"))
    };

    eprintln!("generating {} events (seed {})…", args.events, args.seed);
    let data = data::prepare(&work, args.events, args.scan_events, args.seed)?;

    let mut rows: Vec<(Row, String)> = Vec::new();
    eprintln!("stages:");
    let jsonl = stages::inputs(data.jsonl.clone())?;
    let s3 = stages::inputs(data.s3_dir.clone())?;
    rows.push((stages::read_decode("read + decode, JSON lines", &jsonl, data.jsonl_bytes)?, String::new()));
    rows.push((
        stages::read_decode("read + decode, S3 Records .json.gz", &s3, data.s3_json_bytes)?,
        String::new(),
    ));
    let normalize = stages::decode_normalize("decode + normalize, JSON lines", &jsonl, data.jsonl_bytes)?;
    let normalize_rate = normalize.events_per_sec();
    rows.push((normalize, String::new()));

    eprintln!("scans of {} events:", args.scan_events);
    let scan_inputs = stages::inputs(data.scan_jsonl.clone())?;
    let mut pack_rate = 0.0;
    // The pack as `scan` loads it (the rules plugin with the shipped rules), then each of its
    // plugins alone, and the example detector.
    let (pack, _) = trailhound::pack::load(&ws, &Default::default())?;
    let mut singles = pack.clone();
    singles.push(PluginSpec::new(EXAMPLE, component(EXAMPLE)?, serde_json::Value::Null));
    for plugin in &singles {
        for workers in [1, 2] {
            let row = stages::scan(
                &plugin.name,
                &scan_inputs,
                data.scan_bytes,
                std::slice::from_ref(plugin),
                workers,
                &cache_dir,
            )?;
            rows.push((row, String::new()));
        }
    }
    for workers in [1, 2] {
        let row =
            stages::scan("first-party pack", &scan_inputs, data.scan_bytes, &pack, workers, &cache_dir)?;
        let vs = format!("{:.0}% of normalize", 100.0 * row.events_per_sec() / normalize_rate);
        pack_rate = row.events_per_sec();
        rows.push((row, vs));
    }

    eprintln!("boundary, {} events in memory:", args.memory_events);
    let loaded = boundary::load_events(&scan_inputs, args.memory_events)?;
    let mut ratios = Vec::new();
    // The minimal detector's WASM and native time per event, batch 512.
    let mut boundary_ns = None;
    let mut figures = Vec::new();
    let mut stateless_rss: Vec<(String, f64)> = Vec::new();
    let files_of =
        |name: &str| pack.iter().find(|s| s.name == name).map_or_else(Vec::new, |s| s.files.clone());
    macro_rules! compare {
        ($name:expr, $detector:ty) => {{
            let name: &str = $name;
            let files = files_of(name);
            let component = Component::load(name, &component(name)?, files.clone(), &cache_dir)?;
            let events = boundary::project(&loaded, component.info())?;
            let native = boundary::native::<$detector>(name, &events, 512, &files)?;
            let wasm = boundary::wasm(name, &component, &events, 512)?;
            let ratio = native.events_per_sec() / wasm.events_per_sec();
            ratios.push((name.to_string(), ratio));
            if name == "minimal-detector" {
                boundary_ns = Some((1e9 / wasm.events_per_sec(), 1e9 / native.events_per_sec()));
            }
            rows.push((native, String::new()));
            rows.push((wasm, format!("{ratio:.2}× native")));
            let (figure, rss_mib) = instance_figure(name, &component, &events)?;
            if <$detector>::info().state == trailhound_sdk::StateScope::None {
                stateless_rss.push((name.to_string(), rss_mib));
            }
            figures.push(figure);
            (component, events)
        }};
    }
    compare!("storyline", storyline::Storyline);
    compare!("baseline", baseline::Baseline);
    compare!("s3-exposure", s3_exposure::S3Exposure);
    compare!("iam-risk", iam_risk::IamRisk);
    compare!("rules", rules::Rules);
    let (example, example_events) = compare!(EXAMPLE, minimal_detector::RootActivity);
    let base = rows.last().map(|(r, _)| r.events_per_sec()).unwrap_or(1.0);
    // The script-language examples, as WASM only: their logic has no native build.
    for name in ["python-detector", "js-detector"] {
        let component = Component::load(name, &component(name)?, Vec::new(), &cache_dir)?;
        let events = boundary::project(&loaded, component.info())?;
        rows.push((boundary::wasm(name, &component, &events, 512)?, String::new()));
        figures.push(instance_figure(name, &component, &events)?.0);
    }
    for batch in [1, 64] {
        let row = boundary::wasm(EXAMPLE, &example, &example_events, batch)?;
        let vs = format!("{:.2}× batch 512 time", base / row.events_per_sec());
        rows.push((row, vs));
    }

    eprintln!("{} distinct principals:", args.principals);
    macro_rules! principals {
        ($name:expr, $detector:ty, $held:expr) => {{
            let name: &str = $name;
            let make = principals::events_for(name);
            let (native, grown) = principals::native::<$detector>(name, args.principals, make, $held)?;
            let component = Component::load(name, &component(name)?, Vec::new(), &cache_dir)?;
            let (wasm, linear) = principals::wasm(name, &component, args.principals, make)?;
            let ratio = native.events_per_sec() / wasm.events_per_sec();
            figures.push(Figure {
                name: format!("{name} with {} distinct principals", args.principals),
                value: format!(
                    "linear memory of one instance {linear:.1} MiB at its peak; natively the state grew RSS by {grown:.1} MiB ({})",
                    native.note
                ),
            });
            rows.push((native, String::new()));
            rows.push((wasm, format!("{ratio:.2}× native")));
        }};
    }
    principals!("baseline", baseline::Baseline, |d: &baseline::Baseline| {
        let (principals, keys) = d.state().len();
        format!("{principals} principals and {keys} keys held, {} evicted", d.state().evicted)
    });
    principals!("storyline", storyline::Storyline, |d: &storyline::Storyline| {
        format!("{} trails held", d.state().trails.len())
    });
    principals!("composite", composite::Composite, |d: &composite::Composite| {
        format!("{} chains held", d.state().chains.len())
    });

    eprintln!("peer:");
    // The sigma plugin's WASM events/s and the peer's, on the same rules and events.
    let mut sigma_rates = None;
    let rules =
        args.sigma_rules.clone().unwrap_or_else(|| ws.join("../shared/fixtures/sigma/rules/cloud/aws"));
    if rules.is_dir() {
        // The peer reads parsed records; parsing them is not part of what it is measured on.
        let records: Vec<serde_json::Value> =
            loaded.iter().map(|(_, raw)| serde_json::from_str(raw)).collect::<Result<_, _>>()?;
        let peer_row = peer::row(&rules, records.iter())?;
        let peer_rate = peer_row.events_per_sec();
        rows.push((peer_row, String::new()));
        let plugin = peer::plugin_rows(&rules, &component("sigma")?, &cache_dir, &loaded, peer_rate)?;
        rows.extend(plugin.rows);
        sigma_rates = Some((plugin.wasm_rate, peer_rate));
    } else {
        eprintln!("  skipped: no Sigma rules at {}", rules.display());
        figures.push(Figure {
            name: "Sigma peer".into(),
            value: format!("not run: {} is absent", rules.display()),
        });
    }

    eprintln!("reload:");
    let extra = work.join("extra-rule.yaml");
    std::fs::write(
        &extra,
        "- rule: bench.extra\n  desc: one more rule\n  condition: action = NoSuchAction\n  output: o\n  priority: INFO\n",
    )?;
    let (row, total, held) = reload::row(&pack, &extra, &loaded, &cache_dir)?;
    rows.push((row, String::new()));
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    figures.push(Figure {
        name: "swap latency".into(),
        value: format!(
            "workers held p50 {:.1} ms, p99 {:.1} ms; request to swap p50 {:.1} ms, p99 {:.1} ms (the queued \
             batches worked through first): the rules plugin with the shipped rules, swapped {} times under a \
             stream on 2 workers",
            ms(held.p50),
            ms(held.p99),
            ms(total.p50),
            ms(total.p99),
            reload::SWAPS
        ),
    });

    let table = report::table(&rows);
    let targets = targets(normalize_rate, pack_rate, boundary_ns, &ratios, sigma_rates, &stateless_rss);
    let figures = report::figures(&figures);
    println!("{table}\n{figures}\n{targets}");
    if let Some(path) = &args.write {
        let command = if args.quick { "scripts/bench.sh --quick" } else { "scripts/bench.sh" };
        let report = report::Report {
            command,
            data: &data.describe(),
            table: &table,
            figures: &figures,
            targets: &targets,
        };
        std::fs::write(path, report.markdown()).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The targets, read against this run's figures (reported, never asserted).
fn targets(
    normalize: f64,
    pack: f64,
    boundary_ns: Option<(f64, f64)>,
    ratios: &[(String, f64)],
    sigma_rates: Option<(f64, f64)>,
    stateless_rss: &[(String, f64)],
) -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    let mut out = String::new();
    if let Some((wasm, native)) = boundary_ns {
        out += &format!(
            "- minimal-detector boundary ≤ 300 ns per event at batch 512: {wasm:.0} ns per event as WASM, \
             {:.0} ns over the same detector run natively (both lay out the batch)\n",
            wasm - native
        );
    }
    out += &format!(
        "- first-party pack, 2 workers ≥ 50% of decode + normalize: {:.0}% ({pack:.0} vs {normalize:.0} events/s)\n",
        100.0 * pack / normalize
    );
    out += &format!("- first-party pack ≥ 200K events/s per core: {:.0} events/s per core\n", pack / cores);
    for (name, ratio) in ratios {
        out += &format!("- WASM/native ≤ 1.5× for {name}: {ratio:.2}×\n");
    }
    out += &match sigma_rates {
        Some((wasm, peer)) => format!(
            "- trailhound Sigma plugin ≥ 5× the native Sigma peer: {:.2}× ({wasm:.0} events/s as WASM vs {peer:.0})\n",
            wasm / peer
        ),
        None => "- trailhound Sigma plugin ≥ 5× the native Sigma peer: not run (no Sigma rules)\n".into(),
    };
    for (name, mib) in stateless_rss {
        out += &format!("- ≤ 4 MiB resident per stateless instance, {name}: {mib:.2} MiB\n");
    }
    out
}

/// `<cargo target dir>/bench`, beside the built plugins.
fn bench_dir(ws: &Path) -> PathBuf {
    let plugins = trailhound::build::default_out_dir(ws);
    plugins.parent().map_or_else(|| ws.join("target"), Path::to_path_buf).join("bench")
}
