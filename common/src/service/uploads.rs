//! PDFs made by the operator's own system: the invoice is numbered first
//! (`invoices::issue_external`), then its PDF is uploaded straight to storage through a presigned
//! PUT (type and length pinned, short expiry) to a staging key of its own, then a completion call
//! checks what arrived (a PDF, within the size limit, with the SHA-256 the client announced),
//! copies exactly those bytes to the invoice's key with a write that cannot replace anything, and
//! only then marks the invoice issued. A refused upload is deleted: nothing is left behind. A PUT
//! with the same URL after completion lands on the staging key and changes nothing.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::invoices::{pdf_key, stored_pdf};
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{Invoice, InvoiceNumber, InvoiceStatus, PdfInfo, PdfSource, TenantId, lifecycle};
use crate::error::ApiError;
use crate::store::{ObjectKey, StoreError};
use crate::validation::FieldError;

/// Largest PDF an upload may carry.
pub const MAX_UPLOAD: u64 = 100 * 1024 * 1024;
/// How long an upload URL works.
pub const UPLOAD_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadRequest {
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 104_857_600))]
    pub content_length: i64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^PUT$"))]
    pub method: &'static str,
    pub url: String,
    /// Send exactly these headers with the PUT.
    pub headers: std::collections::BTreeMap<&'static str, String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadComplete {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9A-Fa-f]{64}$"))]
    pub sha256: String,
}

/// Where an uploaded PDF lands until it is checked: a key of its own, never the invoice's. The
/// invoice's key is written once, by completion, with a write that cannot replace anything.
pub fn upload_key(invoice: &Invoice) -> Result<ObjectKey, ApiError> {
    ObjectKey::new(&invoice.tenant_id, &format!("uploads/{}.pdf", invoice.invoice_number)).map_err(ApiError::Internal)
}

/// The invoice waiting for an uploaded PDF.
async fn awaiting(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<Invoice, ApiError> {
    caller.require_operator()?;
    still_awaiting(app.stores.invoices.get_invoice(tenant, number).await?.ok_or(ApiError::NotFound)?)
}

/// `invoice`, if it still waits for its uploaded PDF.
fn still_awaiting(invoice: Invoice) -> Result<Invoice, ApiError> {
    let number = &invoice.invoice_number;
    match invoice.status() {
        InvoiceStatus::AwaitingUpload => Ok(invoice),
        InvoiceStatus::Rendering => Err(ApiError::Conflict(format!(
            "Invoice {number} is rendered by seikyu, not uploaded: issue the billing record with ?pdf=external to upload its PDF."
        ))),
        s => Err(ApiError::Conflict(format!("Invoice {number} is {}: its PDF is stored and can no longer be replaced.", s.as_str()))),
    }
}

pub async fn upload_url(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: UploadRequest) -> Result<UploadUrl, ApiError> {
    let invoice = awaiting(app, caller, tenant, number).await?;
    let length = u64::try_from(input.content_length).ok().filter(|l| (1..=MAX_UPLOAD).contains(l));
    let Some(length) = length else {
        return Err(ApiError::field("contentLength", format!("must be the PDF's size in bytes, 1 to {MAX_UPLOAD}")));
    };
    let url = app.stores.objects.presign_put(&upload_key(&invoice)?, "application/pdf", length, UPLOAD_TTL).await?;
    let expires_at = app.clock.now() + TimeDelta::seconds(UPLOAD_TTL.as_secs() as i64);
    let headers = [("Content-Type", "application/pdf".to_owned()), ("Content-Length", length.to_string())].into_iter().collect();
    Ok(UploadUrl { method: "PUT", url, headers, expires_at })
}

/// Checks the uploaded object, puts it in the invoice's place and issues the invoice; a bad upload
/// is deleted and refused field by field (422). Completing an issued invoice again with the same
/// SHA-256 returns it as it is.
pub async fn complete(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: UploadComplete) -> Result<Invoice, ApiError> {
    let announced = input.sha256.to_ascii_lowercase();
    if announced.len() != 64 || !announced.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::field("sha256", "must be the PDF's SHA-256 as 64 hex digits"));
    }
    caller.require_operator()?;
    let invoice = app.stores.invoices.get_invoice(tenant, number).await?.ok_or(ApiError::NotFound)?;
    // Completing again with the same bytes answers the issued invoice.
    if invoice.status().is_delivered() && invoice.pdf_source == PdfSource::External && invoice.pdf().is_some_and(|p| p.sha256 == announced) {
        return Ok(invoice);
    }
    let invoice = still_awaiting(invoice)?;
    let staged = upload_key(&invoice)?;
    let object = app
        .stores
        .objects
        .get_object(&staged, None)
        .await?
        .ok_or_else(|| ApiError::field("upload", "nothing was uploaded yet: PUT the PDF to the upload URL first"))?;
    let mut problems = Vec::new();
    if object.meta.size > MAX_UPLOAD {
        problems.push(FieldError::new("upload", format!("is {} bytes; PDFs are at most {MAX_UPLOAD}", object.meta.size)));
    }
    let etag = object.meta.etag.clone();
    let (mut hasher, mut head, mut size) = (Sha256::new(), Vec::<u8>::with_capacity(5), 0u64);
    let mut stream = object.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::Unavailable(format!("reading the upload: {e}")))?;
        if head.len() < 5 {
            head.extend(chunk.iter().take(5 - head.len()));
        }
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    if head != b"%PDF-" {
        problems.push(FieldError::new("upload", "is not a PDF (it does not start with %PDF-)"));
    }
    let sha256 = hex::encode(hasher.finalize());
    if sha256 != announced {
        problems.push(FieldError::new("sha256", "does not match the uploaded bytes"));
    }
    if !problems.is_empty() {
        app.stores.objects.delete_object(&staged).await?;
        tracing::info!(invoice = %number, "refused an uploaded PDF and deleted it");
        return Err(ApiError::UnprocessableFields(problems));
    }
    let final_key = pdf_key(&invoice)?;
    match app.stores.objects.copy_object(&staged, &final_key, &etag).await {
        Ok(_) => {}
        // An earlier completion copied it and stopped before issuing: fine if it is these bytes.
        Err(StoreError::AlreadyExists) => {
            let stored = stored_pdf(app, &final_key).await?.map(|(info, _)| info.sha256);
            if stored.as_deref() != Some(sha256.as_str()) {
                return Err(ApiError::Internal(format!("{final_key} holds bytes other than the checked upload")));
            }
        }
        Err(StoreError::VersionMismatch) => {
            return Err(ApiError::Conflict(
                "The upload was replaced while it was being checked; complete again with the SHA-256 of the PDF you uploaded last.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let billing = app
        .stores
        .billings
        .get_billing(tenant, &invoice.billing_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("invoice {number} names a missing billing record")))?;
    let (issued, billing_issued) = lifecycle::issue(&invoice, &billing, PdfInfo { sha256, size }, app.clock.now()).map_err(|e| ApiError::Conflict(e.0))?;
    match app.stores.invoices.update_invoice_and_billing(&issued, invoice.version, &billing_issued, billing.version).await {
        Ok(()) => {}
        Err(StoreError::VersionMismatch) => return Err(ApiError::Conflict("The invoice changed meanwhile; read it again.".into())),
        Err(e) => return Err(e.into()),
    }
    // The staging copy is no longer needed; a failure here leaves an unreferenced object only.
    if let Err(e) = app.stores.objects.delete_object(&staged).await {
        tracing::warn!(invoice = %number, error = %e, "could not delete the checked upload");
    }
    Ok(issued)
}
