//! Issuing invoices: a gapless number allocated with the billing record in one transaction, the
//! PDF rendered from the frozen invoice and stored with its hash, then both marked issued. Every
//! step can fail and be retried: a retry finds the number already bound to the billing record,
//! renders the same bytes again, and finishes, never taking a second number.

use chrono::NaiveDate;
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::contracts::parse_date;
use crate::app::App;
use crate::caller::Caller;
use crate::domain::{
    BillingId, BillingPeriod, BillingRecord, BillingStatus, Invoice, InvoiceFilter, InvoiceNumber, InvoiceStatus, NameQuery, PdfInfo, PdfSource, TenantId, Yen,
    lifecycle,
};
use crate::error::ApiError;
use crate::store::{ObjectKey, Page, PageRequest, StoreError};
use crate::validation::{Validator, text};

// The renderer port is a leaf (`crate::render`), so the app can hold one without depending on
// this service; re-exported here where issuing uses it.
pub use crate::render::{InvoiceRenderer, SharedRenderer};

/// How many times issuing re-reads and retries when another writer moved the counter or record.
const MAX_ATTEMPTS: usize = 50;

pub use super::issuer::{IssuerInput, get_issuer, put_issuer};

pub fn pdf_key(invoice: &Invoice) -> Result<ObjectKey, ApiError> {
    ObjectKey::new(&invoice.tenant_id, &format!("invoices/{}.pdf", invoice.invoice_number)).map_err(ApiError::Internal)
}

fn refused(e: lifecycle::Refused) -> ApiError {
    ApiError::Conflict(e.0)
}

/// Issues the billing record's invoice (operator only). Returns the invoice and whether this call
/// issued it (`false`: it was already issued, and is returned as it is).
pub async fn issue(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId) -> Result<(Invoice, bool), ApiError> {
    issue_from(app, caller, tenant, id, PdfSource::Rendered).await
}

/// Allocates the invoice's number for a PDF the operator's system makes and uploads (see
/// `service::uploads`): the invoice waits, unseen by the tenant, until its PDF is uploaded.
pub async fn issue_external(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId) -> Result<(Invoice, bool), ApiError> {
    issue_from(app, caller, tenant, id, PdfSource::External).await
}

/// What issuing a record whose number is already bound does: nothing new once issued; render a
/// rendered invoice that is still rendering; refuse to mix up the two ways of making the PDF.
fn already_bound(invoice: &Invoice, asked: PdfSource) -> Result<Option<(Invoice, bool)>, ApiError> {
    let n = &invoice.invoice_number;
    match (invoice.status(), asked) {
        (InvoiceStatus::Rendering, PdfSource::Rendered) => Ok(None),
        (InvoiceStatus::AwaitingUpload, PdfSource::External) => Ok(Some((invoice.clone(), false))),
        (InvoiceStatus::AwaitingUpload, PdfSource::Rendered) => Err(ApiError::Conflict(format!(
            "Invoice {n} is waiting for its uploaded PDF (it was issued with ?pdf=external): upload the PDF (upload-url, then upload-complete) to issue it."
        ))),
        (InvoiceStatus::Rendering, PdfSource::External) => {
            Err(ApiError::Conflict(format!("Invoice {n} is being rendered by seikyu; issue it again without ?pdf=external to finish it.")))
        }
        _ => Ok(Some((invoice.clone(), false))),
    }
}

async fn issue_from(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId, source: PdfSource) -> Result<(Invoice, bool), ApiError> {
    caller.require_operator()?;
    for _ in 0..MAX_ATTEMPTS {
        let billing = app.stores.billings.get_billing(tenant, id).await?.ok_or(ApiError::NotFound)?;
        if let Some(number) = billing.invoice_number().cloned() {
            let invoice = app
                .stores
                .invoices
                .get_invoice(tenant, &number)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("billing {id} names invoice {number}, which is missing")))?;
            if let Some(done) = already_bound(&invoice, source)? {
                return Ok(done);
            }
            match finish(app, invoice, billing).await {
                Err(ApiError::PreconditionFailed(_)) => continue,
                other => return other.map(|i| (i, true)),
            }
        }
        let issuer =
            app.stores.invoices.get_issuer().await?.ok_or_else(|| ApiError::Conflict("Set the issuer (PUT /v1/issuer) before issuing invoices.".into()))?;
        let recipient = app.stores.tenants.get_tenant(tenant).await?.ok_or(ApiError::NotFound)?.customer_profile;
        let year = Invoice::year_of(billing.content().issue_date);
        let seq = app.stores.invoices.next_invoice_seq(year).await?;
        let number = InvoiceNumber::new(&issuer.invoice_prefix, year, seq);
        let frozen =
            lifecycle::freeze(&billing, &issuer, recipient, number, source).map_err(|e| ApiError::Internal(format!("totals of a stored draft: {e}")))?;
        let (invoice, bound) = lifecycle::bind(&billing, frozen, app.clock.now()).map_err(refused)?;
        match app.stores.invoices.allocate_invoice(year, seq, &invoice, &bound, billing.version).await {
            Ok(()) => {
                tracing::info!(invoice_number = %invoice.invoice_number, billing_id = %id, "invoice number allocated");
                if source == PdfSource::External {
                    return Ok((invoice, true));
                }
                match finish(app, invoice, bound).await {
                    Err(ApiError::PreconditionFailed(_)) => continue,
                    other => return other.map(|i| (i, true)),
                }
            }
            // Another issue took the number (or this record) first: look again.
            Err(StoreError::VersionMismatch) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Unavailable(format!("issuing {id} lost {MAX_ATTEMPTS} races in a row")))
}

/// The SHA-256 and size of the bytes stored under `key` (read as a stream), and their ETag.
pub async fn stored_pdf(app: &App, key: &ObjectKey) -> Result<Option<(PdfInfo, String)>, ApiError> {
    let Some(object) = app.stores.objects.get_object(key, None).await? else { return Ok(None) };
    let (mut hasher, mut size, mut stream) = (Sha256::new(), 0u64, object.stream);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::Unavailable(format!("reading {key}: {e}")))?;
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok(Some((PdfInfo { sha256: hex::encode(hasher.finalize()), size }, object.meta.etag)))
}

/// Renders, stores and marks issued an allocated invoice. `PreconditionFailed` when another
/// writer finished (or changed) it first.
pub(super) async fn finish(app: &App, invoice: Invoice, billing: BillingRecord) -> Result<Invoice, ApiError> {
    let info = store_pdf(app, &invoice).await?;
    let size = info.size;
    let (issued, billing_issued) = lifecycle::issue(&invoice, &billing, info, app.clock.now()).map_err(refused)?;
    match app.stores.invoices.update_invoice_and_billing(&issued, invoice.version, &billing_issued, billing.version).await {
        Ok(()) => {
            tracing::info!(invoice_number = %issued.invoice_number, size, "invoice issued");
            super::usage::record(app, &issued.tenant_id, RENDERED).await;
            Ok(issued)
        }
        Err(StoreError::VersionMismatch) => Err(ApiError::PreconditionFailed("changed meanwhile".into())),
        Err(e) => Err(e.into()),
    }
}

/// What issuing one rendered invoice adds to its tenant's metering.
pub(super) const RENDERED: crate::domain::Metered = crate::domain::Metered { invoices_rendered: 1, bytes_streamed: 0, exports: 0 };

/// Renders an allocated invoice and stores its PDF (once: a retry finds the bytes stored before,
/// which are the same, since the same invoice renders the same bytes); what was stored.
pub(super) async fn store_pdf(app: &App, invoice: &Invoice) -> Result<PdfInfo, ApiError> {
    let renderer = app.renderer.clone().ok_or_else(|| ApiError::Internal("no invoice renderer configured".into()))?;
    let frozen = invoice.clone();
    let pdf = tokio::task::spawn_blocking(move || renderer.render(&frozen))
        .await
        .map_err(|e| ApiError::Internal(format!("render task: {e}")))?
        .map_err(ApiError::Internal)?;
    let key = pdf_key(invoice)?;
    let info = PdfInfo { sha256: hex::encode(Sha256::digest(&pdf)), size: pdf.len() as u64 };
    match app.stores.objects.create_object(&key, bytes::Bytes::from(pdf), "application/pdf").await {
        Ok(_) => Ok(info),
        // An earlier attempt stored it: the invoice records exactly what is stored, which never changes.
        Err(StoreError::AlreadyExists) => {
            Ok(stored_pdf(app, &key).await?.ok_or_else(|| ApiError::Unavailable(format!("{key} exists but cannot be read yet")))?.0)
        }
        Err(e) => Err(e.into()),
    }
}

/// Tenants see invoices once issued (then paid or void too), never one still being made.
fn visible(caller: &Caller, invoice: &Invoice) -> bool {
    caller.tenant_id().is_none() || invoice.status().is_delivered()
}

pub async fn get(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<Invoice, ApiError> {
    caller.authorize_tenant(tenant)?;
    app.stores.invoices.get_invoice(tenant, number).await?.filter(|i| visible(caller, i)).ok_or(ApiError::NotFound)
}

/// An invoice whose PDF the caller may download, and where the PDF is.
pub async fn pdf_of(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<(Invoice, ObjectKey, PdfInfo), ApiError> {
    let invoice = get(app, caller, tenant, number).await?;
    let info = invoice.pdf().cloned().ok_or(ApiError::NotFound)?;
    let key = pdf_key(&invoice)?;
    Ok((invoice, key, info))
}

/// Whole yen, as a query parameter gives it.
fn parse_yen(raw: &str) -> Result<Yen, String> {
    raw.parse::<i64>().map_err(|_| "must be a whole number of yen (digits only, no separators)".to_string()).and_then(Yen::new)
}

/// The filter in a listing's query, every condition together: `period` (YYYY-MM), `status`,
/// `issuedFrom`/`issuedTo` (issue dates, both included, in order), `minTotal`/`maxTotal` (the
/// total with tax, whole yen, both included, in order) and `recipient` (inside the recipient's
/// company name, see `NameQuery`); problems go to `v`, field by field.
pub fn filter_from_query(query: &crate::http::Query<'_>, v: &mut Validator) -> InvoiceFilter {
    let period = v.check_opt("query.period", query.get("period"), BillingPeriod::parse).flatten();
    let status = v.check_opt("query.status", query.get("status"), InvoiceStatus::parse).flatten();
    let issued_from = v.check_opt("query.issuedFrom", query.get("issuedFrom"), parse_date).flatten();
    let issued_to = v.check_opt("query.issuedTo", query.get("issuedTo"), parse_date).flatten();
    if let (Some(f), Some(t)) = (issued_from, issued_to)
        && t < f
    {
        v.add("query.issuedTo", "must not be before issuedFrom");
    }
    let min_total = v.check_opt("query.minTotal", query.get("minTotal"), parse_yen).flatten();
    let max_total = v.check_opt("query.maxTotal", query.get("maxTotal"), parse_yen).flatten();
    if let (Some(min), Some(max)) = (min_total, max_total)
        && max < min
    {
        v.add("query.maxTotal", "must not be less than minTotal");
    }
    let recipient = v.check_opt("query.recipient", query.get("recipient"), NameQuery::parse).flatten();
    InvoiceFilter { period, statuses: status.map(|s| vec![s]), issued_from, issued_to, min_total, max_total, recipient }
}

/// Lists a tenant's invoices; a tenant caller's listing holds only delivered ones.
pub async fn list(app: &App, caller: &Caller, tenant: &TenantId, mut filter: InvoiceFilter, page: &PageRequest) -> Result<Page<Invoice>, ApiError> {
    caller.authorize_tenant(tenant)?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    if caller.tenant_id().is_some() {
        let delivered = [InvoiceStatus::Issued, InvoiceStatus::Paid, InvoiceStatus::Void];
        filter.statuses = Some(match filter.statuses {
            None => delivered.to_vec(),
            Some(asked) => asked.into_iter().filter(|s| s.is_delivered()).collect(),
        });
        if filter.statuses.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Page { items: Vec::new(), next_cursor: None });
        }
    }
    Ok(app.stores.invoices.list_invoices(tenant, &filter, page).await?)
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoidInput {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::VoidReason))]
    pub reason: String,
}

/// The invoice `number` and the billing record it is bound to.
async fn pair(app: &App, tenant: &TenantId, number: &InvoiceNumber) -> Result<(Invoice, BillingRecord), ApiError> {
    let invoice = app.stores.invoices.get_invoice(tenant, number).await?.ok_or(ApiError::NotFound)?;
    let billing = app
        .stores
        .billings
        .get_billing(tenant, &invoice.billing_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("invoice {number} names a missing billing record")))?;
    Ok((invoice, billing))
}

/// Voids an issued invoice and its billing record (operator only); the number stays used.
pub async fn void(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: VoidInput) -> Result<Invoice, ApiError> {
    caller.require_operator()?;
    let reason = text(&input.reason, 500, 10).map_err(|m| ApiError::field("reason", m))?;
    let (invoice, billing) = pair(app, tenant, number).await?;
    let (voided, billing_void) = lifecycle::void(&invoice, &billing, reason, app.clock.now()).map_err(refused)?;
    match app.stores.invoices.update_invoice_and_billing(&voided, invoice.version, &billing_void, billing.version).await {
        Ok(()) => Ok(voided),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("The invoice changed meanwhile; read it again.".into())),
        Err(e) => Err(e.into()),
    }
}

/// `POST .../paid`: an optional body; without `paidOn` the payment is dated today in Japan.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaidInput {
    /// Not after today in Japan (UTC+9).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<chrono::NaiveDate>))]
    pub paid_on: Option<String>,
}

/// Today's date in Japan (UTC+9, no daylight saving), the date payments are booked on.
pub fn today_in_japan(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (now + chrono::TimeDelta::hours(9)).date_naive()
}

/// Records payment of an issued invoice and its billing record, both in one write (operator
/// only). Paying a paid record again returns it as it is.
pub async fn mark_paid(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId, input: PaidInput) -> Result<BillingRecord, ApiError> {
    caller.require_operator()?;
    let today = today_in_japan(app.clock.now());
    let paid_on = match input.paid_on.as_deref() {
        None => today,
        Some(raw) => {
            let d = parse_date(raw).map_err(|m| ApiError::field("paidOn", m))?;
            if d > today {
                return Err(ApiError::field("paidOn", format!("must not be in the future (today is {today} in Japan)")));
            }
            d
        }
    };
    let billing = app.stores.billings.get_billing(tenant, id).await?.ok_or(ApiError::NotFound)?;
    if billing.status() == BillingStatus::Paid {
        return Ok(billing);
    }
    let Some(number) = billing.invoice_number().cloned() else {
        return Err(ApiError::Conflict(format!("Only issued billing records can be paid; this one is {}.", billing.status().as_str())));
    };
    let (invoice, billing) = pair(app, tenant, &number).await?;
    let (paid, billing_paid) = lifecycle::pay(&invoice, &billing, paid_on, app.clock.now()).map_err(refused)?;
    match app.stores.invoices.update_invoice_and_billing(&paid, invoice.version, &billing_paid, billing.version).await {
        Ok(()) => Ok(billing_paid),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("The billing record changed meanwhile; read it again.".into())),
        Err(e) => Err(e.into()),
    }
}
