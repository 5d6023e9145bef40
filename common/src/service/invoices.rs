//! Issuing invoices: a gapless number allocated with the billing record in one transaction, the
//! PDF rendered from the frozen invoice and stored with its hash, then both marked issued. Every
//! step can fail and be retried: a retry finds the number already bound to the billing record,
//! renders the same bytes again, and finishes, never taking a second number.

use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::caller::Caller;
use crate::domain::{
    BillingId, BillingPeriod, BillingRecord, BillingStatus, Invoice, InvoiceNumber, InvoicePrefix, InvoiceStatus, IssuerSettings, IssuerSnapshot, PdfInfo,
    PdfSource, RegistrationNumber, Rounding, TenantId,
};
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::store::{ObjectKey, Page, PageRequest, StoreError};
use crate::validation::{Validator, text};

/// Turns an invoice into PDF bytes; the same invoice always gives the same bytes.
pub trait InvoiceRenderer: Send + Sync {
    fn render(&self, invoice: &Invoice) -> Result<Vec<u8>, String>;
}

/// How many times issuing re-reads and retries when another writer moved the counter or record.
const MAX_ATTEMPTS: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerInput {
    pub name: String,
    pub address: String,
    pub registration_number: String,
    pub bank_details: String,
    pub invoice_prefix: String,
    #[serde(default)]
    pub rounding: Option<String>,
}

/// Creates or replaces the issuer settings (operator only); replacing needs `If-Match`.
pub async fn put_issuer(app: &App, caller: &Caller, input: IssuerInput, precondition: Option<IfMatch>) -> Result<(IssuerSettings, bool), ApiError> {
    caller.require_operator()?;
    let mut v = Validator::new();
    let name = v.check("name", text(&input.name, 100, false));
    let address = v.check("address", text(&input.address, 200, false));
    let registration_number = v.check("registrationNumber", RegistrationNumber::parse(&input.registration_number));
    let bank_details = v.check("bankDetails", text(&input.bank_details, 300, true));
    let invoice_prefix = v.check("invoicePrefix", InvoicePrefix::parse(&input.invoice_prefix));
    let rounding = v.check_opt("rounding", input.rounding.as_deref(), Rounding::parse);
    v.finish()?;
    let (Some(name), Some(address), Some(registration_number), Some(bank_details), Some(invoice_prefix), Some(rounding)) =
        (name, address, registration_number, bank_details, invoice_prefix, rounding)
    else {
        return Err(ApiError::Internal("validation passed without values".into()));
    };
    let current = app.stores.invoices.get_issuer().await?;
    let mut settings = IssuerSettings {
        name,
        address,
        registration_number,
        bank_details,
        invoice_prefix,
        rounding: rounding.unwrap_or_default(),
        version: 1,
        updated_at: app.clock.now(),
    };
    match (current, precondition) {
        (None, _) => {
            app.stores.invoices.put_issuer(&settings, None).await?;
            Ok((settings, true))
        }
        (Some(_), None) => Err(ApiError::PreconditionRequired("The issuer settings exist; send If-Match with their ETag to replace them.".into())),
        (Some(cur), Some(m)) if m.matches(cur.version) => {
            settings.version = cur.version + 1;
            app.stores.invoices.put_issuer(&settings, Some(cur.version)).await?;
            Ok((settings, false))
        }
        (Some(_), Some(_)) => Err(ApiError::PreconditionFailed("The issuer settings have changed since you read them.".into())),
    }
}

pub async fn get_issuer(app: &App, caller: &Caller) -> Result<IssuerSettings, ApiError> {
    caller.require_operator()?;
    app.stores.invoices.get_issuer().await?.ok_or(ApiError::NotFound)
}

pub fn pdf_key(invoice: &Invoice) -> Result<ObjectKey, ApiError> {
    ObjectKey::new(&invoice.tenant_id, &format!("invoices/{}.pdf", invoice.invoice_number)).map_err(ApiError::Internal)
}

/// The billing record's draft frozen into an invoice numbered `number`.
fn freeze(
    app: &App,
    billing: &BillingRecord,
    issuer: &IssuerSettings,
    recipient: crate::domain::CustomerProfile,
    number: InvoiceNumber,
    pdf_source: PdfSource,
) -> Result<Invoice, ApiError> {
    let totals = billing.content.totals(issuer.rounding).map_err(|e| ApiError::Internal(format!("totals of a stored draft: {e}")))?;
    let now = app.clock.now();
    Ok(Invoice {
        invoice_number: number,
        tenant_id: billing.tenant_id.clone(),
        billing_id: billing.billing_id.clone(),
        period: billing.period,
        status: InvoiceStatus::Rendering,
        issue_date: billing.content.issue_date,
        due_date: billing.content.due_date,
        recipient,
        issuer: IssuerSnapshot {
            name: issuer.name.clone(),
            address: issuer.address.clone(),
            registration_number: issuer.registration_number.clone(),
            bank_details: issuer.bank_details.clone(),
        },
        lines: billing.content.lines.clone(),
        notes: billing.content.notes.clone(),
        totals,
        pdf: None,
        pdf_source,
        void_reason: None,
        created_at: now,
        updated_at: now,
        version: 1,
    })
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

async fn issue_from(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId, source: PdfSource) -> Result<(Invoice, bool), ApiError> {
    caller.require_operator()?;
    for _ in 0..MAX_ATTEMPTS {
        let billing = app.stores.billings.get_billing(tenant, id).await?.ok_or(ApiError::NotFound)?;
        if let Some(number) = billing.invoice_number.clone() {
            let invoice = app
                .stores
                .invoices
                .get_invoice(tenant, &number)
                .await?
                .ok_or_else(|| ApiError::Internal(format!("billing {id} names invoice {number}, which is missing")))?;
            // Issued, or waiting for its uploaded PDF: nothing to render here.
            if invoice.status != InvoiceStatus::Rendering || invoice.pdf_source == PdfSource::External {
                return Ok((invoice, false));
            }
            match finish(app, invoice, billing).await {
                Err(ApiError::PreconditionFailed(_)) => continue,
                other => return other.map(|i| (i, true)),
            }
        }
        if billing.status != BillingStatus::Draft {
            return Err(ApiError::Conflict(format!("The billing record is {} and has no invoice to issue.", billing.status.as_str())));
        }
        let issuer =
            app.stores.invoices.get_issuer().await?.ok_or_else(|| ApiError::Conflict("Set the issuer (PUT /v1/issuer) before issuing invoices.".into()))?;
        let recipient = app.stores.tenants.get_tenant(tenant).await?.ok_or(ApiError::NotFound)?.customer_profile;
        let year = Invoice::year_of(billing.content.issue_date);
        let seq = app.stores.invoices.next_invoice_seq(year).await?;
        let invoice = freeze(app, &billing, &issuer, recipient, InvoiceNumber::new(&issuer.invoice_prefix, year, seq), source)?;
        let bound = BillingRecord {
            invoice_number: Some(invoice.invoice_number.clone()),
            updated_at: app.clock.now(),
            version: billing.version + 1,
            ..billing.clone()
        };
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

/// Renders, stores and marks issued an allocated invoice. `PreconditionFailed` when another
/// writer finished (or changed) it first.
async fn finish(app: &App, invoice: Invoice, billing: BillingRecord) -> Result<Invoice, ApiError> {
    let renderer = app.renderer.clone().ok_or_else(|| ApiError::Internal("no invoice renderer configured".into()))?;
    let frozen = invoice.clone();
    let pdf = tokio::task::spawn_blocking(move || renderer.render(&frozen))
        .await
        .map_err(|e| ApiError::Internal(format!("render task: {e}")))?
        .map_err(ApiError::Internal)?;
    let key = pdf_key(&invoice)?;
    let sha256 = hex::encode(Sha256::digest(&pdf));
    let size = pdf.len() as u64;
    app.stores.objects.put_object(&key, bytes::Bytes::from(pdf), "application/pdf").await?;
    let now = app.clock.now();
    let issued =
        Invoice { status: InvoiceStatus::Issued, pdf: Some(PdfInfo { sha256, size }), updated_at: now, version: invoice.version + 1, ..invoice.clone() };
    let billing_issued = BillingRecord { status: BillingStatus::Issued, updated_at: now, version: billing.version + 1, ..billing.clone() };
    match app.stores.invoices.update_invoice_and_billing(&issued, invoice.version, &billing_issued, billing.version).await {
        Ok(()) => {
            tracing::info!(invoice_number = %issued.invoice_number, size, "invoice issued");
            super::usage::record(app, &issued.tenant_id, crate::domain::Metered { invoices_rendered: 1, ..Default::default() }).await;
            Ok(issued)
        }
        Err(StoreError::VersionMismatch) => Err(ApiError::PreconditionFailed("changed meanwhile".into())),
        Err(e) => Err(e.into()),
    }
}

/// Tenants see issued and void invoices, never one still rendering.
fn visible(invoice: &Invoice) -> bool {
    invoice.status != InvoiceStatus::Rendering
}

pub async fn get(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<Invoice, ApiError> {
    caller.authorize_tenant(tenant)?;
    app.stores.invoices.get_invoice(tenant, number).await?.filter(|i| caller.tenant_id().is_none() || visible(i)).ok_or(ApiError::NotFound)
}

/// An invoice whose PDF the caller may download, and where the PDF is.
pub async fn pdf_of(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber) -> Result<(Invoice, ObjectKey, PdfInfo), ApiError> {
    let invoice = get(app, caller, tenant, number).await?;
    let info = invoice.pdf.clone().ok_or(ApiError::NotFound)?;
    let key = pdf_key(&invoice)?;
    Ok((invoice, key, info))
}

pub async fn list(app: &App, caller: &Caller, tenant: &TenantId, period: Option<BillingPeriod>, page: &PageRequest) -> Result<Page<Invoice>, ApiError> {
    caller.authorize_tenant(tenant)?;
    if app.stores.tenants.get_tenant(tenant).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let mut page = app.stores.invoices.list_invoices(tenant, period, page).await?;
    if caller.tenant_id().is_some() {
        page.items.retain(visible);
    }
    Ok(page)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoidInput {
    pub reason: String,
}

/// Voids an issued invoice and its billing record (operator only); the number stays used.
pub async fn void(app: &App, caller: &Caller, tenant: &TenantId, number: &InvoiceNumber, input: VoidInput) -> Result<Invoice, ApiError> {
    caller.require_operator()?;
    let reason = text(&input.reason, 500, true).map_err(|m| ApiError::field("reason", m))?;
    let invoice = app.stores.invoices.get_invoice(tenant, number).await?.ok_or(ApiError::NotFound)?;
    let billing = app
        .stores
        .billings
        .get_billing(tenant, &invoice.billing_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("invoice {number} names a missing billing record")))?;
    if invoice.status != InvoiceStatus::Issued || !billing.status.can_become(BillingStatus::Void) {
        return Err(ApiError::Conflict(format!("Only issued, unpaid invoices can be voided; this one's billing record is {}.", billing.status.as_str())));
    }
    let now = app.clock.now();
    let voided = Invoice { status: InvoiceStatus::Void, void_reason: Some(reason), updated_at: now, version: invoice.version + 1, ..invoice.clone() };
    let billing_void = BillingRecord { status: BillingStatus::Void, updated_at: now, version: billing.version + 1, ..billing.clone() };
    match app.stores.invoices.update_invoice_and_billing(&voided, invoice.version, &billing_void, billing.version).await {
        Ok(()) => Ok(voided),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("The invoice changed meanwhile; read it again.".into())),
        Err(e) => Err(e.into()),
    }
}

/// Records payment of an issued billing record (operator only).
pub async fn mark_paid(app: &App, caller: &Caller, tenant: &TenantId, id: &BillingId) -> Result<BillingRecord, ApiError> {
    caller.require_operator()?;
    let billing = app.stores.billings.get_billing(tenant, id).await?.ok_or(ApiError::NotFound)?;
    if billing.status == BillingStatus::Paid {
        return Ok(billing);
    }
    if !billing.status.can_become(BillingStatus::Paid) {
        return Err(ApiError::Conflict(format!("Only issued billing records can be paid; this one is {}.", billing.status.as_str())));
    }
    let paid = BillingRecord { status: BillingStatus::Paid, updated_at: app.clock.now(), version: billing.version + 1, ..billing.clone() };
    match app.stores.billings.replace_billing(&paid, billing.version).await {
        Ok(()) => Ok(paid),
        Err(StoreError::VersionMismatch) => Err(ApiError::Conflict("The billing record changed meanwhile; read it again.".into())),
        Err(e) => Err(e.into()),
    }
}

/// Keeps `Arc` in the signature readable where renderers are passed around.
pub type SharedRenderer = Arc<dyn InvoiceRenderer>;
