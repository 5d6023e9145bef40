//! The operator as qualified-invoice issuer: what every invoice prints, how it is numbered,
//! rounded and dated.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use super::params::IfMatchToReplace;
use crate::error::Problem;
use crate::service::invoices::IssuerInput;
use crate::views::IssuerView;

/// Sets the issuer.
///
/// Creates the settings (201), or replaces them with `If-Match` (200). Invoices already numbered
/// keep the issuer they were bound to.
#[utoipa::path(
    put,
    path = "/v1/issuer",
    operation_id = "put-issuer",
    tag = "issuer",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(IfMatchToReplace),
    request_body(content = IssuerInput, description = "Every setting (left out: `rounding` floor, `invoiceDates` 月末締め翌月末払い)."),
    responses(
        (status = 200, description = "Replaced.", body = IssuerView, headers(("ETag" = String, description = "The settings' version."))),
        (status = 201, description = "Created.", body = IssuerView, headers(
            ("Location" = String, description = "`/v1/issuer`."),
            ("ETag" = String, description = "The settings' version (`\"1\"`)."),
        )),
        (status = 412, description = "`If-Match` names an old version.", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "The settings exist: send `If-Match` to replace them.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn put_issuer() {}

/// Reads the issuer.
#[utoipa::path(
    get,
    path = "/v1/issuer",
    operation_id = "get-issuer",
    tag = "issuer",
    extensions(("x-seikyu-access" = json!("operator"))),
    responses(
        (status = 200, description = "The issuer's settings.",
            body = IssuerView, headers(("ETag" = String, description = "The settings' version, for `If-Match`."))),
        (status = 404, description = "Not set yet.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_issuer() {}
