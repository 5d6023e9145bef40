//! A tenant's invoices against the objects under its prefix.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::{Action, Kind, Options, Report, settled, sweeper};
use crate::app::App;
use crate::domain::{Invoice, InvoiceFilter, InvoiceStatus, PdfInfo, TenantId, lifecycle};
use crate::error::ApiError;
use crate::service::invoices::{self, pdf_key, stored_pdf};
use crate::service::uploads::{UPLOAD_TTL, upload_key};
use crate::store::{ListedObject, ObjectKey, StoreError};

pub(super) async fn sweep_tenant(app: &App, o: &Options, tenant: &TenantId, r: &mut Report) -> Result<(), ApiError> {
    let filter = &InvoiceFilter::default();
    let listed = crate::service::all_pages(|page| async move { app.stores.invoices.list_invoices(tenant, filter, &page).await }).await?;
    let prefix = &format!("tenants/{tenant}/");
    let objects = crate::service::all_pages(|page| async move { app.stores.objects.list_objects(prefix, &page).await }).await?;
    r.checked.invoices += listed.len() as u64;
    r.checked.objects += objects.len() as u64;
    let mut stored: BTreeMap<String, ListedObject> = objects.into_iter().map(|o| (o.key.clone(), o)).collect();
    // Each invoice's status once the sweep is done with it.
    let mut status: BTreeMap<String, InvoiceStatus> = BTreeMap::new();
    for invoice in &listed {
        let key = pdf_key(invoice)?;
        let now = app.clock.now();
        let number = invoice.invoice_number.to_string();
        let mut after = invoice.status();
        match invoice.status() {
            InvoiceStatus::Rendering if settled(invoice.updated_at, now, o.grace) => {
                after = finish_rendering(app, o, invoice, &key, stored.contains_key(key.as_str()), r).await;
            }
            InvoiceStatus::AwaitingUpload if stored.contains_key(key.as_str()) && settled(invoice.updated_at, now, o.grace) => {
                let done = if o.dry_run { Ok(()) } else { finish_upload(app, invoice, &key).await };
                if done.is_ok() {
                    after = InvoiceStatus::Issued;
                    stored.remove(upload_key(invoice)?.as_str());
                }
                let detail =
                    "its uploaded PDF was checked and copied into place, then the invoice was never marked issued: marked issued with the stored bytes";
                r.outcome(Kind::UploadNotFinished, &number, Action::Repaired, detail, done);
            }
            InvoiceStatus::AwaitingUpload if settled(invoice.updated_at, now, TimeDelta::seconds(UPLOAD_TTL.as_secs() as i64) + o.grace) => {
                let staged = stored.contains_key(upload_key(invoice)?.as_str());
                let what = if staged { "a PDF was uploaded but never completed" } else { "nothing was uploaded" };
                let detail = format!(
                    "numbered {} and still waiting for its PDF ({what}): ask for a new upload URL, PUT the PDF, then upload-complete",
                    invoice.updated_at
                );
                r.add(Kind::UploadOverdue, &number, Action::Reported, detail);
            }
            s if s.is_delivered() => {
                let recorded = invoice.pdf().map(|p| p.size);
                match stored.get(key.as_str()) {
                    None => r.add(Kind::MissingPdf, &number, Action::Reported, format!("{} but {key} is missing", s.as_str())),
                    Some(obj) if recorded != Some(obj.size) => {
                        r.add(Kind::MissingPdf, &number, Action::Reported, format!("{key} is {} bytes, the invoice records {recorded:?}", obj.size))
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
        status.insert(number, after);
    }
    for (full, obj) in std::mem::take(&mut stored) {
        let rest = full.strip_prefix(prefix.as_str()).unwrap_or(&full);
        let (folder, number) = match rest.split_once('/') {
            Some((folder, file)) => (folder, file.strip_suffix(".pdf").unwrap_or(file)),
            None => ("", rest),
        };
        match (folder, status.get(number)) {
            ("invoices", Some(_)) => {}
            ("uploads", Some(InvoiceStatus::AwaitingUpload)) => {}
            ("uploads", owner) if settled(obj.last_modified, app.clock.now(), o.grace) => {
                let why = match owner {
                    None => "no invoice has this number".to_owned(),
                    Some(s) => format!("its invoice is {} and waits for no upload", s.as_str()),
                };
                let deleted = if o.dry_run { Ok(()) } else { delete_staged(app, &full).await };
                r.outcome(Kind::StagedUpload, &full, Action::Deleted, format!("a staging upload ({} bytes) left behind: {why}", obj.size), deleted);
            }
            ("uploads", _) => {}
            _ => r.add(
                Kind::OrphanObject,
                &full,
                Action::Reported,
                format!("{} bytes that no invoice accounts for, left in place (issued PDFs are never deleted)", obj.size),
            ),
        }
    }
    Ok(())
}

/// Issues a rendered invoice as a retry of `issue` would; its status afterwards.
async fn finish_rendering(app: &App, o: &Options, invoice: &Invoice, key: &ObjectKey, pdf_stored: bool, r: &mut Report) -> InvoiceStatus {
    let number = invoice.invoice_number.to_string();
    let (tenant, billing) = (&invoice.tenant_id, &invoice.billing_id);
    if app.renderer.is_none() && !pdf_stored {
        let detail = "numbered, its PDF not stored, and no renderer here: issue the billing record again";
        r.add(Kind::InvoiceRendering, &number, Action::Reported, format!("{detail} ({tenant}, {billing})"));
        return invoice.status();
    }
    let how = if pdf_stored { "its PDF was stored, the invoice never marked issued" } else { "numbered, its PDF never stored" };
    let detail = format!("{how}: issued as a retry would (billing record {billing})");
    if o.dry_run {
        r.add(Kind::InvoiceRendering, &number, Action::WouldRepair, detail);
        return invoice.status();
    }
    let done = match &app.renderer {
        Some(_) => match sweeper() {
            Ok(caller) => invoices::issue(app, &caller, tenant, billing).await.map(|_| ()),
            Err(e) => Err(e),
        },
        None => match stored_pdf(app, key).await {
            Ok(Some((info, _))) => mark_issued(app, invoice, info).await,
            Ok(None) => Err(ApiError::Unavailable("the PDF is no longer listed".into())),
            Err(e) => Err(e),
        },
    };
    let after = if done.is_ok() { InvoiceStatus::Issued } else { invoice.status() };
    r.outcome(Kind::InvoiceRendering, &number, Action::Repaired, detail, done);
    after
}

/// Marks an external invoice issued with the PDF copied into place (only completion copies there,
/// after checking the upload), then deletes its staging upload.
async fn finish_upload(app: &App, invoice: &Invoice, key: &ObjectKey) -> Result<(), ApiError> {
    let (info, _) = stored_pdf(app, key).await?.ok_or_else(|| ApiError::Unavailable(format!("{key} is no longer there")))?;
    mark_issued(app, invoice, info).await?;
    app.stores.objects.delete_object(&upload_key(invoice)?).await?;
    Ok(())
}

/// Marks the invoice and its billing record issued with `pdf`.
async fn mark_issued(app: &App, invoice: &Invoice, pdf: PdfInfo) -> Result<(), ApiError> {
    let billing = app
        .stores
        .billings
        .get_billing(&invoice.tenant_id, &invoice.billing_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("invoice {} names a missing billing record", invoice.invoice_number)))?;
    let (issued, billing_issued) = lifecycle::issue(invoice, &billing, pdf, app.clock.now()).map_err(|e| ApiError::Conflict(e.0))?;
    match app.stores.invoices.update_invoice_and_billing(&issued, invoice.version, &billing_issued, billing.version).await {
        Ok(()) => Ok(()),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("the invoice changed meanwhile; the next sweep looks again".into())),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a staging upload (only ever a key under `uploads/`).
async fn delete_staged(app: &App, full: &str) -> Result<(), ApiError> {
    let key = ObjectKey::parse_full(full).map_err(ApiError::Internal)?;
    if key.as_str().split('/').nth(2) != Some("uploads") {
        return Err(ApiError::Internal(format!("{full} is not a staging upload")));
    }
    Ok(app.stores.objects.delete_object(&key).await?)
}
