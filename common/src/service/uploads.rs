//! PDFs made by the operator's own system: the invoice is numbered first
//! (`invoices::issue_external`), then its PDF is uploaded straight to storage through a presigned
//! PUT (type and length pinned, short expiry), then a completion call checks what arrived (a PDF,
//! within the size limit, with the SHA-256 the client announced) and only then marks the invoice
//! issued. A refused upload is deleted: nothing is left behind.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::invoices::pdf_key;
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{BillingRecord, BillingStatus, Invoice, InvoiceNumber, InvoiceStatus, PdfInfo, PdfSource, TenantId};
use crate::error::ApiError;
use crate::store::{ObjectKey, StoreError};
use crate::validation::FieldError;

/// Largest PDF an upload may carry.
pub const MAX_UPLOAD: u64 = 100 * 1024 * 1024;
/// How long an upload URL works.
pub const UPLOAD_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadRequest {
    pub content_length: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrl {
    pub method: &'static str,
    pub url: String,
    /// Send exactly these headers with the PUT.
    pub headers: std::collections::BTreeMap<&'static str, String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadComplete {
    pub sha256: String,
}

/// The invoice waiting for an uploaded PDF, and where the PDF goes.
async fn awaiting(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<(Invoice, ObjectKey), ApiError> {
    caller.require_operator()?;
    let invoice = app.stores.invoices.get_invoice(tenant, number).await?.ok_or(ApiError::NotFound)?;
    if invoice.pdf_source != PdfSource::External || invoice.status != InvoiceStatus::Rendering {
        return Err(ApiError::Conflict("This invoice does not take an uploaded PDF: issue the billing record with ?pdf=external to upload its PDF.".into()));
    }
    let key = pdf_key(&invoice)?;
    Ok((invoice, key))
}

pub async fn upload_url(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: UploadRequest) -> Result<UploadUrl, ApiError> {
    let (_, key) = awaiting(app, caller, tenant, number).await?;
    let length = u64::try_from(input.content_length).ok().filter(|l| (1..=MAX_UPLOAD).contains(l));
    let Some(length) = length else {
        return Err(ApiError::field("contentLength", format!("must be the PDF's size in bytes, 1 to {MAX_UPLOAD}")));
    };
    let url = app.stores.objects.presign_put(&key, "application/pdf", length, UPLOAD_TTL).await?;
    let expires_at = app.clock.now() + TimeDelta::seconds(UPLOAD_TTL.as_secs() as i64);
    let headers = [("Content-Type", "application/pdf".to_owned()), ("Content-Length", length.to_string())].into_iter().collect();
    Ok(UploadUrl { method: "PUT", url, headers, expires_at })
}

/// Checks the uploaded object and issues the invoice with it; a bad upload is deleted and refused
/// field by field (422).
pub async fn complete(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: UploadComplete) -> Result<Invoice, ApiError> {
    let (invoice, key) = awaiting(app, caller, tenant, number).await?;
    let announced = input.sha256.to_ascii_lowercase();
    if announced.len() != 64 || !announced.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::field("sha256", "must be the PDF's SHA-256 as 64 hex digits"));
    }
    let object = app
        .stores
        .objects
        .get_object(&key, None)
        .await?
        .ok_or_else(|| ApiError::field("upload", "nothing was uploaded yet: PUT the PDF to the upload URL first"))?;
    let mut problems = Vec::new();
    if object.meta.size > MAX_UPLOAD {
        problems.push(FieldError::new("upload", format!("is {} bytes; PDFs are at most {MAX_UPLOAD}", object.meta.size)));
    }
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
        app.stores.objects.delete_object(&key).await?;
        tracing::info!(invoice = %number, "refused an uploaded PDF and deleted it");
        return Err(ApiError::UnprocessableFields(problems));
    }
    let billing = app
        .stores
        .billings
        .get_billing(tenant, &invoice.billing_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("invoice {number} names a missing billing record")))?;
    let now = app.clock.now();
    let issued =
        Invoice { status: InvoiceStatus::Issued, pdf: Some(PdfInfo { sha256, size }), updated_at: now, version: invoice.version + 1, ..invoice.clone() };
    let billing_issued = BillingRecord { status: BillingStatus::Issued, updated_at: now, version: billing.version + 1, ..billing.clone() };
    match app.stores.invoices.update_invoice_and_billing(&issued, invoice.version, &billing_issued, billing.version).await {
        Ok(()) => Ok(issued),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("The invoice changed meanwhile; read it again.".into())),
        Err(e) => Err(e.into()),
    }
}
