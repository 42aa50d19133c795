//! `trailhound generate`: seeded synthetic CloudTrail, in the S3 layout or as JSON lines; or,
//! with `--example`, the bundled example day (`examples/data/`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use trailhound_synth::{self as synth, Generator, GeneratorOptions, Mix};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many records to write.
    #[arg(long, required_unless_present = "example")]
    events: Option<u64>,
    /// Write the bundled example day instead (three attack stories across AWS, GCP, Azure,
    /// Kubernetes, a host and the network, in a day of benign activity, as in examples/data),
    /// replacing the folder --out.
    #[arg(long, conflicts_with_all = ["events", "seed", "format", "records_per_file", "suspicious_share", "mix_from", "gzip"])]
    example: bool,
    /// The same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// `s3`: gzipped `{"Records":[...]}` files under AWSLogs/...; `jsonl`: one record per line.
    #[arg(long, value_enum, default_value_t = Format::S3)]
    format: Format,
    /// Records per file (s3 format).
    #[arg(long, default_value_t = 1000)]
    records_per_file: usize,
    /// Share of records that belong to suspicious scenarios (0 to 1).
    #[arg(long, default_value_t = 0.005)]
    suspicious_share: f64,
    /// Take the call distribution from a fixture file (JSON lines of rows with an `event`, or of
    /// CloudTrail records) instead of the built-in table.
    #[arg(long)]
    mix_from: Option<PathBuf>,
    /// Gzip the JSON lines (implied when --out ends in .gz).
    #[arg(long)]
    gzip: bool,
    /// A folder (s3), or a file or `-` for stdout (jsonl).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    S3,
    Jsonl,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(events) = args.events else { return example(&args.out) };
    if !(0.0..=1.0).contains(&args.suspicious_share) {
        bail!("--suspicious-share must be between 0 and 1, got {}", args.suspicious_share);
    }
    let stdout = args.out.as_os_str() == "-";
    if stdout && args.format == Format::S3 {
        bail!("--out - (stdout) needs --format jsonl; the s3 format writes a folder tree");
    }
    let mix = match &args.mix_from {
        Some(path) => Mix::from_file(path)?,
        None => Mix::default(),
    };
    let origin = mix.origin.clone();
    let mut generator = Generator::new(GeneratorOptions {
        seed: args.seed,
        suspicious_share: args.suspicious_share,
        mix,
        ..GeneratorOptions::default()
    });
    let started = Instant::now();
    let summary = match args.format {
        Format::S3 => synth::write_s3(&mut generator, events, &args.out, args.records_per_file),
        Format::Jsonl => {
            let gzip = args.gzip || args.out.extension().is_some_and(|e| e == "gz");
            synth::write_jsonl(&mut generator, events, &args.out, gzip)
        }
    }
    .with_context(|| format!("generating {} events into {}", events, args.out.display()))?;
    let elapsed = started.elapsed();
    let (_, suspicious) = generator.counts();
    eprintln!(
        "wrote {} events ({} suspicious) in {} file(s) to {}: {:.1} MB on disk, {:.1} MB of JSON \
         (avg {} B/record), in {:.2?} ({:.0} events/s); seed {}, mix from {origin}",
        summary.events,
        suspicious,
        summary.files,
        args.out.display(),
        summary.bytes as f64 / 1e6,
        summary.json_bytes as f64 / 1e6,
        summary.json_bytes / summary.events.max(1),
        elapsed,
        summary.events as f64 / elapsed.as_secs_f64().max(1e-9),
        args.seed,
    );
    Ok(ExitCode::SUCCESS)
}

fn example(out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let summary = trailhound_synth::example::write_example(out)
        .with_context(|| format!("writing the example day into {}", out.display()))?;
    eprintln!(
        "wrote {} CloudTrail records in {} files plus one JSON-lines file, and {} records of the other planes in {} files, to {}",
        summary.records,
        summary.files,
        summary.other_records,
        summary.other_files,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
