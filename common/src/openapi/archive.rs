//! Per-tenant archives and purge (README "Per-tenant export and restore").

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use super::params::TenantPath;
use super::types::Binary;
use crate::error::Problem;
use crate::service::archive::upload::{RestoreFromUpload, RestoreUrl, RestoreUrlRequest};
use crate::service::archive::{PurgeReport, RestoreReport};

/// Exports a tenant's archive, streamed.
///
/// A ZIP of every record of the tenant as NDJSON (`records/tenant.ndjson`, `contracts`,
/// `billings`, `invoices`, `usage`, `audit`, `principals`, `apiKeys`: one record a line, in key
/// order), every object under its prefix (`objects/…`: invoice PDFs, uploads) and `manifest.json`
/// last (format version, tenant, export time, each part's count, size and SHA-256). Entries carry
/// a fixed timestamp: two exports of the same data differ only in the manifest's `exportedAt`.
/// Streamed while the objects are read, never a `Content-Length`.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/exports",
    operation_id = "export-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    responses(
        (status = 200, description = "The archive, streamed.", content_type = "application/zip", body = inline(Binary), headers(
            ("Content-Disposition" = String, description = "`attachment`, named `<tenantId>-<time>.zip`."),
            ("Cache-Control" = String, description = "`private, no-store`."),
        )),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn export_tenant() {}

/// Restores a tenant's archive.
///
/// The archive an export made, verified whole before anything is written: a part whose SHA-256
/// or size is not the manifest's (tampered), a part missing or a count that differs (partial),
/// another format version or another tenant's archive is 422. The target must not hold the
/// tenant, or hold only what a purge keeps, identical to the archive's (else 409). Records are
/// written as exported (versions, ETags, invoice numbers; frozen invoices never recomputed),
/// objects with the same bytes, and each year's invoice-number counter is raised past the
/// archive's highest number, so no number is handed out again.
///
/// The archive comes as the body (`application/zip`; API Gateway and Lambda let about 4.5 MB
/// through), or was uploaded through `restore-url` and is named as `{"upload": …}`
/// (`application/json`): then it is read from storage in ranges, and deleted once restored or
/// refused as 422 (kept after a 409, for a retry).
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/restore",
    operation_id = "restore-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    request_body(
        content((inline(Binary) = "application/zip"), (RestoreFromUpload = "application/json")),
        description = "The archive, or the upload `restore-url` answered."
    ),
    responses(
        (status = 200, description = "What was restored, and the counters raised.", body = RestoreReport),
        (status = 400, description = "`upload` is not one a `restore-url` answer gave, or nothing was uploaded there.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The target already holds the tenant's records.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither `application/zip` nor `application/json`.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A tampered, partial or foreign archive.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn restore_tenant() {}

/// A URL to upload an archive to restore.
///
/// For an archive too large for `restore`'s body: a presigned PUT (`application/zip`, exactly
/// `contentLength` bytes, at most 5 GiB: one S3 PUT) to a staging key of its own, outside the
/// tenant's objects, working 10 minutes. Then `POST …/restore` with `{"upload": …}`. The tenant
/// need not exist (restore goes where it is absent).
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/restore-url",
    operation_id = "restore-url",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    request_body(content = RestoreUrlRequest, description = "The archive's size in bytes."),
    responses(
        (status = 200, description = "Where and how to upload, and the upload to name to restore.", body = RestoreUrl),
        (status = 400, description = "`contentLength` is missing or out of range.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn restore_url() {}

/// Purges an offboarded tenant.
///
/// Removes contracts, billing records, invoices, metering, idempotency keys, principals, API key
/// records and uploads; keeps the tenant record, the audit trail, and each issued, paid or void
/// invoice with its billing record and PDF until 7 years after its issue date (issued PDFs are
/// never deleted through the API). Answers what it removed and kept, by kind, why, and when the
/// first retained invoice is released; a second purge removes nothing more.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/purge",
    operation_id = "purge-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    responses(
        (status = 200, description = "What was removed and kept.", body = PurgeReport),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant is not offboarded.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn purge_tenant() {}
