//! Contracts: what a tenant has contracted for.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use utoipa::IntoParams;

use super::params::{ContractPath, CreateOnly, IfMatchToReplace, Paging, TenantPath};
use crate::domain::ContractStatus;
use crate::error::Problem;
use crate::service::contracts::{ContractInput, PageView};
use crate::views::ContractView;

/// A page of contracts.
type ContractPage = PageView<ContractView>;

/// `list-contracts`' filter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct ContractQuery {
    /// Only contracts in this status.
    #[param(nullable = false)]
    status: Option<ContractStatus>,
}

/// Lists a tenant's contracts.
///
/// In contract id order, a page at a time: `nextCursor` is a string exactly when more match.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/contracts",
    operation_id = "list-contracts",
    tag = "contracts",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath, ContractQuery, Paging),
    responses(
        (status = 200, description = "A page of contracts.", body = ContractPage),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn list_contracts() {}

/// Reads a contract.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/contracts/{contractId}",
    operation_id = "get-contract",
    tag = "contracts",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(ContractPath),
    responses(
        (status = 200, description = "The contract.", body = ContractView, headers(("ETag" = String, description = "The contract's version, for `If-Match`."))),
        (status = 404, description = "No such contract (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_contract() {}

/// Creates or replaces a contract.
///
/// Without `If-Match` it creates (201); the same body again changes nothing (200), another body
/// is 428. With `If-Match` it replaces the version named (200). `If-None-Match: *` creates only.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenantId}/contracts/{contractId}",
    operation_id = "put-contract",
    tag = "contracts",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(ContractPath, IfMatchToReplace, CreateOnly),
    request_body(content = ContractInput, description = "The whole contract: a replace sets every field (left out: `status` active, no `endDate`, no `notes`)."),
    responses(
        (status = 200, description = "Replaced, or the same body again (nothing changed).",
            body = ContractView, headers(("ETag" = String, description = "The contract's version."))),
        (status = 201, description = "Created.", body = ContractView, headers(
            ("Location" = String, description = "`/v1/tenants/{tenantId}/contracts/{contractId}`."),
            ("ETag" = String, description = "The contract's version (`\"1\"`)."),
        )),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names an old version, or no contract exists to replace; or `If-None-Match: *` and the contract exists.",
            body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "The contract exists with other terms: send `If-Match` to replace it.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn put_contract() {}
