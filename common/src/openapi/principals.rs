//! Who calls: the registry of IAM principals, `/v1/me`, and a tenant's IAM policy.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use utoipa::{IntoParams, ToSchema};

use super::params::{PrincipalPath, TenantPath};
use crate::domain::{Role, TenantId};
use crate::error::Problem;
use crate::service::principals::{Me, NewPrincipal, PrincipalList, Registered};

#[derive(IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
struct OwnerQuery {
    /// A tenant's principals.
    #[param(nullable = false)]
    tenant_id: Option<TenantId>,
    /// `operator` (and no `tenantId`): the operator's principals.
    #[param(nullable = false)]
    role: Option<Role>,
}

/// An IAM identity policy (`iam::tenant_policy`), ready for `aws iam put-role-policy`.
#[derive(ToSchema)]
struct IamPolicy {
    /// `2012-10-17`.
    #[schema(rename = "Version", pattern = "^2012-10-17$")]
    version: String,
    #[schema(rename = "Statement", min_items = 1)]
    statement: Vec<IamStatement>,
}

/// One statement: `execute-api:Invoke` on the tenant's own `GET` paths and `/v1/me`, of this API
/// and stage.
#[derive(ToSchema)]
struct IamStatement {
    #[schema(rename = "Sid")]
    sid: String,
    /// `Allow`.
    #[schema(rename = "Effect", pattern = "^Allow$")]
    effect: String,
    /// `execute-api:Invoke`.
    #[schema(rename = "Action", pattern = "^execute-api:Invoke$")]
    action: String,
    /// `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/GET/v1/...`.
    #[schema(rename = "Resource", min_items = 1)]
    resource: Vec<String>,
}

/// Who the caller is.
///
/// Role, principal, tenant, and the usage plan its API key is on, with the exports' own
/// throttles: a client needs no tenant id configured.
#[utoipa::path(
    get,
    path = "/v1/me",
    operation_id = "get-me",
    tag = "principals",
    extensions(("x-seikyu-access" = json!("anyone"))),
    responses(
        (status = 200, description = "The caller.", body = Me),
        (status = 400, description = "A query parameter was sent: this route takes none.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_me() {}

/// Registers an IAM principal for a tenant or for the operator.
///
/// An assumed-role ARN registers its role; a principal belongs to exactly one owner, at most 20
/// per owner. Locally, `accessKey: true` mints an access key pair for an IAM user, shown once.
#[utoipa::path(
    post,
    path = "/v1/principals",
    operation_id = "register-principal",
    tag = "principals",
    extensions(("x-seikyu-access" = json!("operator"))),
    request_body(content = NewPrincipal, description = "The principal's ARN and owner."),
    responses(
        (status = 200, description = "Registered to the same owner already: nothing changed.", body = Registered, headers(
            ("Location" = String, description = "`/v1/principals/{principalId}`."),
        )),
        (status = 201, description = "Registered.", body = Registered, headers(
            ("Location" = String, description = "`/v1/principals/{principalId}`."),
            ("Cache-Control" = String, description = "`no-store` when an access key was minted."),
        )),
        (status = 409, description = "Registered to another owner (the detail names it); the tenant is offboarded; the owner has \
            20 principals already; or registered by a concurrent request just now.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn register_principal() {}

/// Lists a tenant's or the operator's principals, in ARN order.
#[utoipa::path(
    get,
    path = "/v1/principals",
    operation_id = "list-principals",
    tag = "principals",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(OwnerQuery),
    responses(
        (status = 200, description = "The owner's principals.", body = PrincipalList),
    )
)]
pub(super) fn list_principals() {}

/// Removes a principal: its next request is refused (403, not registered).
#[utoipa::path(
    delete,
    path = "/v1/principals/{principalId}",
    operation_id = "remove-principal",
    tag = "principals",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(PrincipalPath),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "No such principal.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the principal signing this request: remove it as another operator principal.",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn remove_principal() {}

/// A tenant's IAM policy.
///
/// The identity policy to attach to the tenant's principals: `execute-api:Invoke` on `GET /v1/me`,
/// `GET /v1/tenants/<id>` and `GET /v1/tenants/<id>/*` of this API and stage only, so API Gateway
/// refuses another tenant's paths, and every write, before any function runs.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}/iam-policy",
    operation_id = "get-iam-policy",
    tag = "principals",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    responses(
        (status = 200, description = "The policy document.", body = IamPolicy),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_iam_policy() {}
