//! `trailhound story`: the picture of the storylines and composite alerts in a file of
//! findings, as one self-contained HTML page; and the page `scan --story` writes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use trailhound::sources::printable_path;
use trailhound::story::{html, Stories};

/// How many skipped lines a note names by file:line before it only counts.
const NAMED_LINES: usize = 5;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 drawn; 1 drawn, but some lines were not JSON or some stories did not parse; \
                        2 nothing to draw."
)]
pub struct Args {
    /// OCSF Detection Findings as JSON lines, as `scan --format json` prints them and a file
    /// sink writes them. Findings without a story are passed over.
    findings: PathBuf,
    /// Draw only the story of this finding uid (`finding_info.uid`, shared by all its
    /// revisions); without it, every story, storylines first, by severity.
    #[arg(long)]
    uid: Option<String>,
    /// Write the page here instead of to stdout.
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.findings)
        .with_context(|| format!("cannot read {}", printable_path(&args.findings)))?;
    let source = printable_path(&args.findings).to_string();
    let stories = trailhound::story::read::lines(&bytes);
    let trouble = notes(&stories, &source);
    let chosen = stories.select(args.uid.as_deref()).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    if chosen.is_empty() {
        bail!("{source}: no finding there carries a story (storyline and composite findings do)");
    }
    let page = html::page(&chosen, &source);
    match &args.out {
        Some(path) => {
            write(path, &page)?;
            eprintln!("story: {} drawn into {}", count(chosen.len()), printable_path(path));
        }
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(page.as_bytes()).context("writing the page to stdout")?;
        }
    }
    Ok(if trouble { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// For `scan --story`: the page of the run's stories, or a note that there were none.
///
/// # Errors
/// The file cannot be written.
pub fn write_run(stories: &Stories, path: &Path) -> anyhow::Result<()> {
    if stories.drawn.is_empty() {
        eprintln!("story: the run reported no storyline or composite; {} not written", printable_path(path));
        return Ok(());
    }
    let chosen: Vec<_> = stories.drawn.iter().collect();
    write(path, &html::page(&chosen, "the findings of this scan"))?;
    eprintln!("story: {} drawn into {}", count(chosen.len()), printable_path(path));
    Ok(())
}

fn write(path: &Path, page: &str) -> anyhow::Result<()> {
    std::fs::write(path, page).with_context(|| format!("cannot write the page to {}", printable_path(path)))
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 story".into()
    } else {
        format!("{n} stories")
    }
}

/// The lines passed over, on stderr; whether any of them needs looking at (not JSON, or a
/// story that does not parse — findings without a story are expected in a findings file).
fn notes(stories: &Stories, source: &str) -> bool {
    let named = |lines: &[usize]| {
        let mut text: Vec<String> = lines.iter().take(NAMED_LINES).map(|l| format!("{source}:{l}")).collect();
        if lines.len() > NAMED_LINES {
            text.push(format!("and {} more", lines.len() - NAMED_LINES));
        }
        text.join(", ")
    };
    if !stories.not_json.is_empty() {
        eprintln!(
            "note: {} lines are not JSON findings, skipped: {}",
            stories.not_json.len(),
            named(&stories.not_json)
        );
    }
    if !stories.without_story.is_empty() {
        eprintln!(
            "note: {} findings carry no story, skipped: {}",
            stories.without_story.len(),
            named(&stories.without_story)
        );
    }
    for (line, error) in &stories.broken {
        eprintln!("warning: {source}:{line}: {error}");
    }
    !stories.not_json.is_empty() || !stories.broken.is_empty()
}
