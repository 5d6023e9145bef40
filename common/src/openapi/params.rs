//! Parameters that more than one operation takes: path segments (parsed by the domain types, so
//! their schemas are those types') and the request headers the handlers read
//! (`common::http::{if_match, if_none_match_any, idempotency, parse_range}`). These types only
//! describe parameters: nothing constructs them, the handlers read the request themselves.
//! `If-Match`'s pattern is what `http::if_match` takes: `*`, or a list of quoted ETags (weak ones
//! too), each of visible ASCII but `"` and `,`.

#![allow(dead_code)]

use utoipa::IntoParams;

use crate::domain::{BillingId, ContractId, InvoiceNumber, RunId, TenantId};
use crate::store::{IdempotencyKey, PrincipalId};

/// `{tenantId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct TenantPath {
    /// The tenant. A tenant caller names itself: another tenant's id is answered 404, as if it
    /// did not exist.
    tenant_id: TenantId,
}

/// `{tenantId}/contracts/{contractId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct ContractPath {
    /// The tenant.
    tenant_id: TenantId,
    /// The contract, as the operator's system names it.
    contract_id: ContractId,
}

/// `{tenantId}/billings/{billingId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct BillingPath {
    /// The tenant.
    tenant_id: TenantId,
    /// The billing record.
    billing_id: BillingId,
}

/// `{tenantId}/invoices/{invoiceNumber}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct InvoicePath {
    /// The tenant.
    tenant_id: TenantId,
    /// The invoice.
    invoice_number: InvoiceNumber,
}

/// `{runId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct RunPath {
    /// The month-end run.
    run_id: RunId,
}

/// `{principalId}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub(super) struct PrincipalPath {
    /// The principal, as `GET /v1/principals` lists it.
    principal_id: PrincipalId,
}

/// `If-Match` on an update, which cannot be left out.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct IfMatchRequired {
    /// The ETag of the version the change is based on (`"3"`, from the read's `ETag`), a list of
    /// them, or `*`. Left out: 428; a version that is no longer current: 412. Weak tags never
    /// match.
    #[param(rename = "If-Match", pattern = r#"^(\*|(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*"( *, *(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*")*)$"#)]
    if_match: String,
}

/// `If-Match` on a create-or-replace.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct IfMatchToReplace {
    /// To replace what exists: the ETag of the version read (`"3"`), or `*`. Left out, the request
    /// creates; replacing without it is 428, with a version that is no longer current 412.
    #[param(
        rename = "If-Match",
        nullable = false,
        pattern = r#"^(\*|(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*"( *, *(W/)?"[\u0021\u0023-\u002b\u002d-\u007e]*")*)$"#
    )]
    if_match: Option<String>,
}

/// `If-None-Match: *` on a create-or-replace.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct CreateOnly {
    /// `*`: create only; when it exists already, 412 instead of anything else.
    #[param(rename = "If-None-Match", nullable = false, pattern = "^\\*$")]
    if_none_match: Option<String>,
}

/// `Idempotency-Key` where a create needs it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct IdempotencyKeyRequired {
    /// A new key (a UUID) per new request, the same key on its retries: a retry answers as the
    /// first did (`Idempotent-Replayed: true`, for 24 hours); the same key with another request is
    /// 422; a retry while the first still runs is 409. Left out: 400.
    #[param(rename = "Idempotency-Key")]
    idempotency_key: IdempotencyKey,
}

/// `Idempotency-Key` where a create takes one.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct IdempotencyKeyOptional {
    /// A new key (a UUID) per new request, the same key on its retries: a retry answers as the
    /// first did (`Idempotent-Replayed: true`, for 24 hours); the same key with another request is
    /// 422; a retry while the first still runs is 409.
    #[param(rename = "Idempotency-Key", nullable = false)]
    idempotency_key: Option<IdempotencyKey>,
}

/// `If-None-Match` on a read (every JSON read, and the PDF).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct Revalidate {
    /// The ETag of the copy the client holds (weak comparison; `*` matches anything): 304
    /// without a body when it is still current. The request still counts against the plan.
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

/// `Range` on the PDF.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub(super) struct ByteRange {
    /// One byte range (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`): 206 with that part, 416
    /// when it starts past the end. Several ranges, or a malformed header, are ignored and the
    /// whole PDF is sent.
    #[param(rename = "Range", nullable = false, pattern = "^bytes=")]
    range: Option<String>,
}

/// `limit` and `cursor` of a listing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Paging {
    /// Items per page, 1 to 100.
    #[param(nullable = false, minimum = 1, maximum = 100, default = 20)]
    limit: Option<u32>,
    /// `nextCursor` of the previous page; only for the same listing and query, and for the same
    /// caller (anything else is 400).
    #[param(nullable = false, max_length = 2048)]
    cursor: Option<String>,
}
