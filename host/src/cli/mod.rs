//! Command-line parsing and dispatch; each subcommand lives in its own module.

mod generate;
mod logging;
mod pack;
mod plugin_build;
mod plugin_new;
mod plugin_test;
mod progress;
mod reload;
mod rulepack;
mod run;
mod scan;
mod story;
mod summary;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Cloud audit events in, sandboxed WebAssembly detectors, findings out.
#[derive(Debug, Parser)]
#[command(name = "trailhound", version, about)]
struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// `text` (default) or `json`: one JSON object per log line, for a log collector.
    #[arg(long, value_enum, default_value_t = logging::Format::Text, global = true)]
    log_format: logging::Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files, folders or stdin (`-`) once with the bundled pack (or the given plugins) and
    /// print the findings.
    Scan(scan::Args),
    /// Run as a service from a config file.
    Run {
        /// The TOML config (see examples/trailhound.toml).
        #[arg(short, long)]
        config: PathBuf,
    },
    /// Check a config file; errors name the line and column.
    Validate { config: PathBuf },
    /// Draw the storylines and composite alerts in a file of findings as one HTML page (an
    /// SVG graph of the trail across planes, the steps in time order, severity by colour).
    Story(story::Args),
    /// Generate seeded synthetic CloudTrail (S3 layout or JSON lines) for benchmarks and tests.
    Generate(generate::Args),
    /// Build and test plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Make, sign, verify, install, list and remove signed rule packs.
    #[command(subcommand)]
    Pack(rulepack::Command),
}

#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Start a detector in plugins/NAME, in Rust, Python or JavaScript, with a native test and
    /// a cases.yaml; it builds and passes as it is.
    New(plugin_new::Args),
    /// Build every plugin in the workspace (Rust crates, Python and JavaScript modules) into components.
    Build(plugin_build::Args),
    /// Run declarative test cases (YAML: events in, findings expected) against plugins.
    Test(plugin_test::Args),
}

/// Exit codes: 0 success, 1 the run finished but something must be looked at (unreadable
/// input, failed test case, invalid config), 2 the command could not run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.log_format);
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Run { config } => run::run(&config),
        Command::Validate { config } => validate::run(&config),
        Command::Story(args) => story::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Plugin(PluginCommand::New(args)) => plugin_new::run(args),
        Command::Plugin(PluginCommand::Build(args)) => plugin_build::run(args),
        Command::Plugin(PluginCommand::Test(args)) => plugin_test::run(args),
        Command::Pack(command) => rulepack::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", trailhound::text::chain(&error));
            ExitCode::from(2)
        }
    }
}
