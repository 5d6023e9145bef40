//! Billing records (請求情報): drafts, their export, issuing and payment.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

use super::params::{BillingPath, IdempotencyKeyRequired, IfMatchRequired, Paging, TenantPath};
use crate::domain::{BillingPeriod, BillingStatus};
use crate::error::Problem;
use crate::export::csv;
use crate::service::billings::{BillingPatch, BillingView, NewBilling};
use crate::service::contracts::PageView;
use crate::service::invoices::PaidInput;
use crate::views::InvoiceView;

/// A page of billing records.
type BillingPage = PageView<BillingView>;

/// The filter of a listing and of the export (`billings::filter_from_query`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct BillingQuery {
    /// The first period, included.
    #[param(nullable = false)]
    from: Option<BillingPeriod>,
    /// The last period, included; not before `from`.
    #[param(nullable = false)]
    to: Option<BillingPeriod>,
    /// Only records in this state (a tenant never sees drafts, nor records still being issued).
    #[param(nullable = false)]
    status: Option<BillingStatus>,
}

/// The export's character encoding (`export::csv::CsvEncoding`).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
enum Encoding {
    Utf8bom,
    Utf8,
    Cp932,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `utf8bom` (the default, for Excel), `utf8`, or `cp932` (Redmine's Japanese CSV encoding:
    /// a character cp932 cannot encode is written as 〓).
    #[param(inline, nullable = false)]
    encoding: Option<Encoding>,
}

/// Where the invoice's PDF comes from.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
enum PdfFrom {
    Render,
    External,
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct IssueQuery {
    /// `render` (the default): seikyu renders the PDF now. `external`: the invoice is numbered
    /// for a PDF the operator's system makes and uploads (`upload-url`, then `upload-complete`);
    /// until then the tenant does not see it.
    #[param(inline, nullable = false)]
    pdf: Option<PdfFrom>,
}

/// Creates a draft billing record.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/billings",
    operation_id = "create-billing",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath, IdempotencyKeyRequired),
    request_body(content = NewBilling, description = "The period, its lines, dates and notes."),
    responses(
        (status = 201, description = "Created (or, with `Idempotent-Replayed: true`, the first answer to this key).", body = BillingView, headers(
            ("Location" = String, description = "`/v1/tenants/{tenantId}/billings/{billingId}`."),
            ("ETag" = String, description = "The record's version (`\"1\"`), for `If-Match`."),
            ("Idempotent-Replayed" = String, description = "`true` on a replay of an earlier answer."),
        )),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still being processed: retry shortly.",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This `Idempotency-Key` was used for a different request: use a new key for a new request.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn create_billing() {}

/// Lists a tenant's billing records.
///
/// In period order, a page at a time, with their totals; `nextCursor` is a string exactly when
/// more match.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/billings",
    operation_id = "list-billings",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, BillingQuery, Paging),
    responses(
        (status = 200, description = "A page of billing records.", body = BillingPage),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn list_billings() {}

/// Exports billing records as CSV, streamed.
///
/// One row per line item, read and sent page by page (any number of rows, never a
/// `Content-Length`): RFC 4180 quoting, CRLF, a header row, whole-yen amounts, a leading `'` on
/// free-text cells that start like a formula. A storage failure mid-way cuts the response short
/// (never a short file that looks whole). Exports have a throttle of their own per API key.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/billings.csv",
    operation_id = "export-billings",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, BillingQuery, ExportQuery),
    responses(
        (status = 200, description = "The CSV, streamed; UTF-8 (with a BOM for `utf8bom`) or Windows-31J (cp932).", content(
            (String = "text/csv; charset=utf-8; header=present", example = json!(csv::header_row())),
            (String = "text/csv; charset=Windows-31J; header=present"),
        ), headers(
            ("Content-Disposition" = String, description = "`attachment`, named `billings-<tenantId>.csv` (`filename*`: 請求データ_<tenantId>.csv)."),
            ("Cache-Control" = String, description = "`private, no-store`."),
        )),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn export_billings() {}

/// Reads a billing record.
///
/// Once an invoice number is bound, `lines`, `totals` and `rounding` are the invoice's; a draft's
/// totals use the issuer's rounding today.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/billings/{billingId}",
    operation_id = "get-billing",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(BillingPath),
    responses(
        (status = 200, description = "The billing record.",
            body = BillingView, headers(("ETag" = String, description = "The record's version, for `If-Match`."))),
        (status = 404, description = "No such record (or another tenant's; or, for a tenant, one not issued yet).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_billing() {}

/// Changes a draft with a JSON merge patch.
///
/// `lines` replaces every line; `notes: null` removes the notes; the other fields cannot be
/// removed.
#[utoipa::path(
    patch,
    path = "/v1/tenants/{tenantId}/billings/{billingId}",
    operation_id = "update-billing",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(BillingPath, IfMatchRequired),
    request_body(description = "A JSON merge patch (RFC 7396).", content(
        (BillingPatch = "application/merge-patch+json"),
        (BillingPatch = "application/json"),
    )),
    responses(
        (status = 200, description = "Changed.", body = BillingView, headers(("ETag" = String, description = "The new version."))),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record is no longer a draft: the detail names the invoice it is bound to.",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names an old version.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn update_billing() {}

/// Issues a billing record's invoice.
///
/// Allocates the next gapless invoice number (`<prefix>-<year>-<6 digits>`), renders the PDF from
/// the invoice's frozen copy and stores it with its SHA-256. Issuing again returns the invoice
/// (200); a retry after a failure completes the same number, never a second one.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/billings/{billingId}/issue",
    operation_id = "issue-invoice",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(BillingPath, IssueQuery),
    responses(
        (status = 200, description = "Issued before (or numbered before, with `?pdf=external`): the invoice as it is.",
            body = InvoiceView, headers(("ETag" = String, description = "The invoice's version."))),
        (status = 201, description = "Issued now (numbered now, with `?pdf=external`).", body = InvoiceView, headers(
            ("Location" = String, description = "`/v1/tenants/{tenantId}/invoices/{invoiceNumber}`."),
            ("ETag" = String, description = "The invoice's version."),
        )),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The issuer is not set yet (`PUT /v1/issuer`); or the invoice waits for its uploaded PDF \
            (issued with `?pdf=external`), or is being rendered and `?pdf=external` was asked.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn issue_invoice() {}

/// Marks an issued invoice paid.
///
/// On the invoice and its billing record in one write. Paying a paid record again returns it as
/// it is.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/billings/{billingId}/paid",
    operation_id = "mark-paid",
    tag = "billings",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(BillingPath),
    request_body(content = Option<PaidInput>, description = "Optional: when it was paid (default: today in Japan, UTC+9)."),
    responses(
        (status = 200, description = "Paid.", body = BillingView, headers(("ETag" = String, description = "The record's version."))),
        (status = 404, description = "No such record.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record is not issued (a draft, being issued, or void), or it changed meanwhile.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn mark_paid() {}
