//! The repair sweep: finds what a crash (or a timeout that was never retried) left half done, and
//! completes it where that is safe, or reports it where a person must decide. Every write path is
//! retry-safe, so a client that retries converges on its own; this is for the ones that did not.
//!
//! | what it finds | what it does |
//! |---|---|
//! | an invoice still `rendering` | issues it as a retry of `issue` would (the stored PDF when there is one, else rendered now); without a renderer and without a stored PDF, reports it |
//! | an external invoice whose checked PDF was copied into place but never marked issued | marks it issued with the stored bytes, deletes the staging upload |
//! | an external invoice still awaiting its upload past the URL's life | reports it (only the operator's system has the PDF) |
//! | a staging upload whose invoice no longer waits for one | deletes it (never an invoice's PDF) |
//! | an object no invoice accounts for, a delivered invoice whose PDF is missing | reports it (issued PDFs are never deleted or written over) |
//! | a tenant whose API key is on the wrong plan, enabled when it must not be, or whose registry record disagrees | brings it in line (`set_key` again) |
//! | a key at the gateway that no tenant holds | deletes it (once older than the grace period) |
//! | a tenant whose key is missing at the gateway | reports it (rotate the key: only the operator can hand a new one over) |
//! | a run whose counts disagree with its items | reports it |
//! | a run running with nothing pending, or stuck with work queued long ago | finishes it, or queues its messages again |
//!
//! Work younger than `Options::grace` is left alone: a request may be finishing it right now.
//! A dry run reports what it would do and changes nothing.

mod invoices;
mod keys;
mod runs;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::app::App;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Owner, PrincipalArn};

/// How the sweep goes about it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Report what would be done, change nothing.
    pub dry_run: bool,
    /// Leave alone what changed less than this long ago (a request may still be finishing it).
    pub grace: TimeDelta,
    /// An active run untouched for this long with work left gets its messages queued again.
    pub stale_run: TimeDelta,
}

impl Default for Options {
    fn default() -> Self {
        Self { dry_run: false, grace: TimeDelta::minutes(15), stale_run: TimeDelta::hours(1) }
    }
}

/// What was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A rendered invoice numbered but never issued.
    InvoiceRendering,
    /// An external invoice whose checked PDF is in place, never marked issued.
    UploadNotFinished,
    /// An external invoice still waiting for its PDF after its upload URL expired.
    UploadOverdue,
    /// A staging upload whose invoice no longer waits for one.
    StagedUpload,
    /// An object no invoice accounts for.
    OrphanObject,
    /// A delivered invoice whose PDF is missing, or not the size recorded.
    MissingPdf,
    /// A tenant's key on the wrong plan, enabled when it must not be, or its registry record out of step.
    KeyDrift,
    /// A tenant whose key is missing at the gateway.
    MissingKey,
    /// A key at the gateway that no tenant holds.
    OrphanKey,
    /// A run whose counts disagree with its items.
    RunCounts,
    /// A run stuck: running with nothing pending, or queued or pending for too long.
    StuckRun,
}

/// What the sweep did about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Completed (or brought in line).
    Repaired,
    /// Deleted (staging uploads and keys no one holds; never an invoice's PDF).
    Deleted,
    /// Left for a person, with what to do in the detail.
    Reported,
    /// A dry run: this is what it would have done.
    WouldRepair,
    /// The repair itself failed; the next sweep tries again.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: Kind,
    /// What it is about: an invoice number, an object key, a key id, a run id.
    pub subject: String,
    pub action: Action,
    pub detail: String,
}

/// Findings of one kind, by what was done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub found: u64,
    pub repaired: u64,
    pub reported: u64,
    pub failed: u64,
}

/// How much the sweep looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checked {
    pub tenants: u64,
    pub invoices: u64,
    pub objects: u64,
    /// `None`: no key manager here, keys not checked.
    pub keys: Option<u64>,
    pub runs: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub checked: Checked,
    pub counts: BTreeMap<Kind, Tally>,
    pub findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, kind: Kind, subject: impl Into<String>, action: Action, detail: impl Into<String>) {
        let finding = Finding { kind, subject: subject.into(), action, detail: detail.into() };
        match finding.action {
            Action::Failed => tracing::error!(kind = ?kind, subject = %finding.subject, detail = %finding.detail, "repair failed"),
            _ => tracing::warn!(kind = ?kind, subject = %finding.subject, action = ?finding.action, detail = %finding.detail, "repair sweep finding"),
        }
        let tally = self.counts.entry(kind).or_default();
        tally.found += 1;
        match action {
            Action::Repaired | Action::Deleted | Action::WouldRepair => tally.repaired += 1,
            Action::Reported => tally.reported += 1,
            Action::Failed => tally.failed += 1,
        }
        self.findings.push(finding);
    }

    /// Records the outcome of a repair (or, on a dry run, that it would be done).
    fn outcome(&mut self, kind: Kind, subject: impl Into<String>, done: Action, detail: impl Into<String>, result: Result<(), ApiError>) {
        let detail = detail.into();
        match result {
            Ok(()) => self.add(kind, subject, if self.dry_run { Action::WouldRepair } else { done }, detail),
            Err(e) => self.add(kind, subject, Action::Failed, format!("{detail}; failed: {e:?}")),
        }
    }

    /// Findings of `kind`.
    pub fn of(&self, kind: Kind) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.kind == kind).collect()
    }

    /// Nothing found at all.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.checked;
        let keys = c.keys.map_or_else(|| "not checked".to_owned(), |k| k.to_string());
        writeln!(
            f,
            "repair sweep{}: {} tenants, {} invoices, {} objects, keys {keys}, {} runs",
            if self.dry_run { " (dry run)" } else { "" },
            c.tenants,
            c.invoices,
            c.objects,
            c.runs
        )?;
        if self.is_clean() {
            return writeln!(f, "nothing to repair");
        }
        writeln!(f, "{:<20} {:>6} {:>9} {:>9} {:>7}", "kind", "found", "repaired", "reported", "failed")?;
        for (kind, t) in &self.counts {
            writeln!(f, "{:<20} {:>6} {:>9} {:>9} {:>7}", format!("{kind:?}"), t.found, t.repaired, t.reported, t.failed)?;
        }
        for x in &self.findings {
            writeln!(f, "{:?} {} [{:?}]: {}", x.kind, x.subject, x.action, x.detail)?;
        }
        Ok(())
    }
}

/// Who the sweep acts as: the operator, through the sweep.
fn sweeper() -> Result<Caller, ApiError> {
    let principal = PrincipalArn::parse("arn:aws:iam::000000000000:role/seikyu-repair-sweep").map_err(ApiError::Internal)?;
    Ok(Caller { principal, owner: Owner::Operator, api_key_id: None })
}

/// Whether something last changed at `at` is old enough to touch.
fn settled(at: DateTime<Utc>, now: DateTime<Utc>, grace: TimeDelta) -> bool {
    now - at >= grace
}

/// Sweeps every tenant's invoices and objects, every tenant's API key, and every run. Its changes
/// are audited as the sweep's (route `repair-sweep`).
pub async fn sweep(app: &App, options: &Options) -> Result<Report, ApiError> {
    let actor = crate::audit::Actor::new("repair-sweep", String::new(), app.ids.token(4), app.clock.now());
    crate::audit::scope(actor, async {
        let caller = sweeper()?;
        crate::audit::set_caller(caller.principal.as_str(), caller.role(), None);
        sweep_in_scope(app, options).await
    })
    .await
}

async fn sweep_in_scope(app: &App, options: &Options) -> Result<Report, ApiError> {
    let started_at = app.clock.now();
    let mut report =
        Report { dry_run: options.dry_run, started_at, finished_at: started_at, checked: Checked::default(), counts: BTreeMap::new(), findings: Vec::new() };
    let tenants = super::all_pages(|page| async move { app.stores.tenants.list_tenants(&page).await }).await?;
    report.checked.tenants = tenants.len() as u64;
    for tenant in &tenants {
        invoices::sweep_tenant(app, options, &tenant.tenant_id, &mut report).await?;
    }
    keys::sweep(app, options, &tenants, &mut report).await?;
    runs::sweep(app, options, &mut report).await?;
    report.finished_at = app.clock.now();
    tracing::info!(findings = report.findings.len(), dry_run = options.dry_run, "repair sweep done");
    Ok(report)
}
