//! Progress bars on stderr (indicatif): drawn only on a terminal, so scripts and logs get the
//! results alone.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

fn target(quiet: bool) -> ProgressDrawTarget {
    if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() }
}

fn styled(bar: ProgressBar, template: &str) -> ProgressBar {
    match ProgressStyle::with_template(template) {
        // indicatif's own {per_sec} prints four decimals: whole items a second read better.
        Ok(style) => bar.with_style(style.progress_chars("=> ").with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", s.per_sec());
        })),
        // A template is a constant: only a typo gets here, and the default style still works.
        Err(_) => bar,
    }
}

/// Items done out of `total`, with their rate and the time left.
pub fn counter(total: u64, unit: &str, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), target(quiet));
    styled(bar, &format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{rate}}  ETA {{eta}}  {{msg}}"))
}

/// Bytes received; a bar with the time left when the size is known, a running count otherwise.
pub fn bytes(total: Option<u64>, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, target(quiet));
    match total {
        Some(_) => styled(bar, "{bar:40} {bytes}/{total_bytes}  {bytes_per_sec}  ETA {eta}"),
        None => styled(bar, "{spinner} {bytes}  {bytes_per_sec}  {elapsed}"),
    }
}
