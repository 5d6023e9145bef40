//! Invoices (請求書): metadata, the PDF and a month's ZIP (both streamed), PDFs made elsewhere and
//! uploaded, voiding.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use chrono::NaiveDate;
use utoipa::{IntoParams, ToSchema};

use super::params::{ByteRange, InvoicePath, Paging, Revalidate, TenantPath};
use super::types::Binary;
use crate::domain::{BillingPeriod, InvoiceStatus, RunId, Yen};
use crate::error::Problem;
use crate::service::contracts::PageView;
use crate::service::invoices::VoidInput;
use crate::service::uploads::{UploadComplete, UploadRequest, UploadUrl};
use crate::views::InvoiceView;

/// A page of invoices.
type InvoicePage = PageView<InvoiceView>;

/// `list-invoices`' filter (`invoices::filter_from_query`): every condition given must hold.
#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct InvoiceQuery {
    /// Only invoices of this period.
    #[param(nullable = false)]
    period: Option<BillingPeriod>,
    /// Only invoices in this state (a tenant sees `issued`, `paid` and `void` only).
    #[param(nullable = false)]
    status: Option<InvoiceStatus>,
    /// Only invoices issued on this day or later (the issue date, `YYYY-MM-DD`).
    #[param(nullable = false)]
    issued_from: Option<NaiveDate>,
    /// Only invoices issued on this day or earlier; not before `issuedFrom`.
    #[param(nullable = false)]
    issued_to: Option<NaiveDate>,
    /// Only invoices whose total (tax included) is at least this many yen.
    #[param(nullable = false, value_type = Option<Yen>)]
    min_total: Option<i64>,
    /// Only invoices whose total (tax included) is at most this many yen; not less than `minTotal`.
    #[param(nullable = false, value_type = Option<Yen>)]
    max_total: Option<i64>,
    /// Only invoices whose recipient's company name (as frozen on the invoice) contains this text,
    /// ignoring case, full-/half-width forms and compatibility characters (NFKC: `ｼﾏﾈ` finds
    /// `シマネ`, `(株)` finds `㈱`); one line of 1 to 100 characters.
    #[param(nullable = false, min_length = 1, max_length = 100)]
    recipient: Option<String>,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct ZipQuery {
    /// The period whose invoices to bundle.
    period: BillingPeriod,
    /// Only what this month-end run issued for the tenant (operator only); a run of `period`.
    #[param(nullable = false)]
    run: Option<RunId>,
}

/// How the PDF is delivered.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
enum Delivery {
    Stream,
    Redirect,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct PdfQuery {
    /// `stream` (the default): the PDF in this response. `redirect`: 303 to a presigned URL that
    /// works for 5 minutes.
    #[param(inline, nullable = false)]
    delivery: Option<Delivery>,
}

/// Lists a tenant's invoices.
///
/// In invoice number order, a page at a time; `nextCursor` is a string exactly when more match
/// (and works only with the same filter). Searchable as the electronic bookkeeping act
/// (電子帳簿保存法) asks: by issue date, total and recipient, combined with period and status.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/invoices",
    operation_id = "list-invoices",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, InvoiceQuery, Paging),
    responses(
        (status = 200, description = "A page of invoices.", body = InvoicePage),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn list_invoices() {}

/// Downloads a period's invoices as one ZIP, streamed.
///
/// The period's issued and paid invoices (void ones left out), one PDF per entry, built while the
/// PDFs are read one at a time (stored entries, CRC-32 in data descriptors, ZIP64 when sizes need
/// it): any size, never a `Content-Length`. Each PDF is checked against its recorded SHA-256 as it
/// streams; a mismatch or a storage failure cuts the response short. Exports have a throttle of
/// their own per API key. `run` is the operator's: a tenant asking for it gets 403.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/invoices.zip",
    operation_id = "download-invoices-zip",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, ZipQuery),
    responses(
        (status = 200, description = "The ZIP, streamed.", content_type = "application/zip", body = inline(Binary), headers(
            ("Content-Disposition" = String, description = "`attachment`, named `invoices-<period>.zip` (`filename*`: 請求書_<period>.zip)."),
            ("Cache-Control" = String, description = "`private, no-store`."),
        )),
        (status = 404, description = "No such tenant (or another tenant's), or no such run.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn download_invoices_zip() {}

/// Reads an invoice.
///
/// What its number is bound to (recipient, issuer, lines, rounding, totals, frozen when the
/// number was bound, never recomputed), its state, and its PDF's SHA-256 and size once stored.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}",
    operation_id = "get-invoice",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(InvoicePath),
    responses(
        (status = 200, description = "The invoice.", body = InvoiceView, headers(("ETag" = String, description = "The invoice's version."))),
        (status = 404, description = "No such invoice (or another tenant's; or, for a tenant, one not issued yet).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_invoice() {}

/// Downloads an invoice's PDF, streamed.
///
/// Sent as it is read from storage (any size, flat memory, never a `Content-Length`); a whole PDF
/// is checked against the invoice's SHA-256 as it streams, and a mismatch or a storage failure
/// cuts the response short, so a client never holds an altered PDF that looks whole.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/pdf",
    operation_id = "download-invoice",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(InvoicePath, PdfQuery, Revalidate, ByteRange),
    responses(
        (status = 200, description = "The PDF, streamed.", content_type = "application/pdf", body = inline(Binary), headers(
            ("ETag" = String, description = "The PDF's SHA-256, quoted: check the download against it."),
            ("Content-Disposition" = String, description = "`attachment`, named `<invoiceNumber>.pdf` (`filename*`: 請求書_<invoiceNumber>.pdf, RFC 6266)."),
            ("Accept-Ranges" = String, description = "`bytes`."),
            ("Cache-Control" = String, description = "`private, max-age=0`."),
        )),
        (status = 206, description = "The part `Range` asked for.", content_type = "application/pdf", body = inline(Binary), headers(
            ("Content-Range" = String, description = "`bytes <first>-<last>/<size>`."),
            ("ETag" = String, description = "The PDF's SHA-256, quoted."),
        )),
        (status = 303, description = "`?delivery=redirect`: fetch the PDF from `Location` within 5 minutes.", headers(
            ("Location" = String, description = "A presigned URL of the PDF."),
            ("Cache-Control" = String, description = "`no-store`."),
        )),
        (status = 304, description = "`If-None-Match` names the PDF's ETag.", headers(("ETag" = String, description = "The PDF's SHA-256, quoted."))),
        (status = 404, description = "No such invoice, or no PDF yet (or another tenant's; or, for a tenant, one not issued yet).",
            body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "`Range` starts past the end.", body = Problem, content_type = "application/problem+json", headers(
            ("Content-Range" = String, description = "`bytes */<size>`."),
        )),
    )
)]
pub(super) fn download_invoice() {}

/// Gets a presigned URL to upload an invoice's PDF.
///
/// For an invoice issued with `?pdf=external`: a `PUT` with `Content-Type: application/pdf` and
/// the announced length pinned, to a staging key of its own (never the invoice's), for 10
/// minutes. Then `upload-complete`.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-url",
    operation_id = "invoice-upload-url",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(InvoicePath),
    request_body(content = UploadRequest, description = "The PDF's size in bytes."),
    responses(
        (status = 200, description = "Where and how to upload.", body = UploadUrl),
        (status = 404, description = "No such invoice.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice does not wait for an upload: it is rendered by seikyu, or already issued.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn invoice_upload_url() {}

/// Checks an uploaded PDF and issues its invoice.
///
/// The upload must start with `%PDF-`, be within 100 MiB and have the announced SHA-256; then
/// exactly those bytes are copied to the invoice's key and the invoice is issued. A refused upload
/// is deleted. Completing again after success returns the invoice.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/upload-complete",
    operation_id = "complete-invoice-upload",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(InvoicePath),
    request_body(content = UploadComplete, description = "The uploaded PDF's SHA-256."),
    responses(
        (status = 200, description = "Issued.", body = InvoiceView, headers(("ETag" = String, description = "The invoice's version."))),
        (status = 404, description = "No such invoice.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice does not wait for an upload, or the upload was replaced while it was checked (complete again).",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The upload is refused and deleted: `errors` says why (`upload`: not a PDF, too large; `sha256`: not the uploaded bytes').",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn complete_invoice_upload() {}

/// Voids an issued invoice.
///
/// Issued, unpaid invoices only; its number stays used: correct by voiding and issuing a new
/// record.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/invoices/{invoiceNumber}/void",
    operation_id = "void-invoice",
    tag = "invoices",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(InvoicePath),
    request_body(content = VoidInput, description = "Why it is voided."),
    responses(
        (status = 200, description = "Voided.", body = InvoiceView, headers(("ETag" = String, description = "The invoice's version."))),
        (status = 404, description = "No such invoice.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice is not issued (still being made, paid, or void already), or it changed meanwhile.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn void_invoice() {}
