//! The fault-injection table of BENCHMARKS.md, written by the sweep itself: one section per flow
//! between markers, rows the flow's store calls in order, columns the two ways each call fails.
//! `SEIKYU_BLESS=1` rewrites a flow's section; otherwise it must be what the sweep just found.

use std::sync::Mutex;

use super::faults_flows::Flow;
use super::template::root;

pub(crate) struct Row {
    pub k: u64,
    pub call: &'static str,
    pub before: &'static str,
    pub after: &'static str,
}

/// What a cell says: consistent, and how the client got there.
pub(crate) fn cell(saw: Option<&str>) -> &'static str {
    match saw {
        None => "consistent (no error reached the client)",
        Some(s) if s.starts_with("worker") => "consistent after redelivery",
        Some(_) => "consistent after retry",
    }
}

fn name(flow: Flow) -> &'static str {
    match flow {
        Flow::Issue => "issue",
        Flow::Upload => "upload",
        Flow::Keys => "keys",
        Flow::Offboard => "offboard",
        Flow::Run => "run",
    }
}

fn title(flow: Flow) -> &'static str {
    match flow {
        Flow::Issue => "Issuing an invoice (`POST …/billings/{id}/issue`: number, render, store the PDF, mark issued)",
        Flow::Upload => "An external upload (upload-url, the presigned PUT, upload-complete)",
        Flow::Keys => "Key management (onboard, tier change, rotate the key, suspend; each change read first, as the CLI does)",
        Flow::Offboard => "Offboarding (`PATCH …{\"status\": \"offboarded\"}`: the key deleted)",
        Flow::Run => "A month-end run (`POST /v1/invoice-runs` with an Idempotency-Key, then the worker until its queue is empty)",
    }
}

fn markers(flow: Flow) -> (String, String) {
    (format!("<!-- faults:{}:begin -->", name(flow)), format!("<!-- faults:{}:end -->", name(flow)))
}

fn render(flow: Flow, rows: &[Row]) -> String {
    let mut s = format!("\n**{}**: {} store calls, each failed both ways.\n\n", title(flow), rows.len());
    s.push_str("| # | call | fails before the call | fails after the call (it happened) |\n|---:|---|---|---|\n");
    for r in rows {
        s.push_str(&format!("| {} | `{}` | {} | {} |\n", r.k, r.call, r.before, r.after));
    }
    s.push('\n');
    s
}

static FILE: Mutex<()> = Mutex::new(());

fn section(text: &str, flow: Flow) -> Option<(usize, usize)> {
    let (begin, end) = markers(flow);
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    Some((start, stop))
}

/// Checks the flow's section of BENCHMARKS.md against `rows`, or rewrites it (`SEIKYU_BLESS=1`).
pub(crate) fn check_or_bless(flow: Flow, rows: &[Row]) {
    let _one_at_a_time = FILE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = root().join("BENCHMARKS.md");
    let text = std::fs::read_to_string(&path).expect("BENCHMARKS.md");
    let (start, stop) = section(&text, flow).unwrap_or_else(|| panic!("BENCHMARKS.md has no {:?} markers", markers(flow)));
    let want = render(flow, rows);
    if std::env::var("SEIKYU_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, format!("{}{want}{}", &text[..start], &text[stop..])).expect("write BENCHMARKS.md");
    } else {
        assert!(text[start..stop] == want, "BENCHMARKS.md's {flow:?} fault table is stale; run with SEIKYU_BLESS=1 to rewrite it:\n{want}");
    }
}

/// The calls of a flow's table (the embedded sweep's), to hold another adapter's steps to.
pub(crate) fn check_same_steps(flow: Flow, rows: &[Row]) {
    let text = std::fs::read_to_string(root().join("BENCHMARKS.md")).expect("BENCHMARKS.md");
    let (start, stop) = section(&text, flow).unwrap_or_else(|| panic!("no {flow:?} section"));
    let documented: Vec<&str> =
        text[start..stop].lines().filter(|l| l.starts_with("| ") && !l.starts_with("| #")).filter_map(|l| l.split('`').nth(1)).collect();
    let here: Vec<&str> = rows.iter().map(|r| r.call).collect();
    assert_eq!(here, documented, "{flow:?}: the adapters take the same steps");
}
