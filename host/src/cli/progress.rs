//! A progress line on an interactive terminal; nothing when piped or under CI.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner counting events, or `None` when stderr is not a terminal or `CI` is set.
pub fn events_spinner() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {human_pos} events  {per_sec}  {elapsed}").ok()?);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
