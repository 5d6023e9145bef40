//! Tenants: onboarding, reading, changing, and rotating a tenant's API key.

// Each function only carries its operation's annotation; nothing calls it.
#![allow(dead_code)]

use super::params::{IdempotencyKeyOptional, IfMatchRequired, TenantPath};
use crate::error::Problem;
use crate::service::tenant_keys::Rotated;
use crate::service::tenants::{NewTenant, TenantPatch};
use crate::views::{OnboardedView, TenantView};

/// Onboards a tenant.
///
/// Its API key is made first, on its tier's usage plan, so no tenant is ever stored without one;
/// the key's value is in this answer only. The id (`tn_` and 16 of 0-9, a-z) is generated.
#[utoipa::path(
    post,
    path = "/v1/tenants",
    operation_id = "create-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(IdempotencyKeyOptional),
    request_body(content = NewTenant, description = "The tenant: name, customer profile (who invoices are addressed to), plan tier."),
    responses(
        (status = 201, description = "Onboarded: the tenant and its API key, whose value is shown this once (or, with \
            `Idempotent-Replayed: true`, the first answer to this key, its key's value included).", body = OnboardedView, headers(
            ("Location" = String, description = "`/v1/tenants/{tenantId}`."),
            ("ETag" = String, description = "The tenant's version (`\"1\"`), for `If-Match`."),
            ("Cache-Control" = String, description = "`no-store`: the answer carries a secret."),
            ("Idempotent-Replayed" = String, description = "`true` on a replay of an earlier answer."),
        )),
        (status = 409, description = "A request with this `Idempotency-Key` is still being processed; or it onboarded a tenant \
            whose answer is no longer kept (kept 24 hours; not kept when that attempt failed after storing it): the \
            detail names the tenant.",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This `Idempotency-Key` was used for a different request.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn create_tenant() {}

/// Reads a tenant.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenantId}",
    operation_id = "get-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("tenantOwn"))),
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant.",
            body = TenantView, headers(("ETag" = String, description = "The tenant's version (`\"3\"`), for `If-Match`."))),
        (status = 404, description = "No such tenant (or another tenant's).", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn get_tenant() {}

/// Changes a tenant with a JSON merge patch.
///
/// Fields left out stay as they are; `null` removes nothing here (400: these fields cannot be
/// removed). Its API key follows: `planTier` moves it to the new tier's plan, `status` suspended
/// disables it, active enables it, offboarded deletes it (final). Each step is idempotent: when
/// API Gateway fails part-way the answer is 503, and sending the same patch again brings the key
/// in line: with the new ETag, or with the old one, since a patch whose change is already stored
/// answers 200 whatever version `If-Match` names (RFC 9110 13.1.1); a different change with an old
/// ETag is 412.
#[utoipa::path(
    patch,
    path = "/v1/tenants/{tenantId}",
    operation_id = "update-tenant",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath, IfMatchRequired),
    request_body(description = "A JSON merge patch (RFC 7396).", content(
        (TenantPatch = "application/merge-patch+json"),
        (TenantPatch = "application/json"),
    )),
    responses(
        (status = 200, description = "Changed.", body = TenantView, headers(("ETag" = String, description = "The new version."))),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An offboarded tenant cannot come back (onboard it again as a new tenant).",
            body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names an old version: someone changed the tenant since it was read.",
            body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn update_tenant() {}

/// Rotates a tenant's API key.
///
/// A new key on the same plan (disabled while the tenant is suspended); the old one is deleted
/// before the answer, so it gets 403 from then on. Rotating again after a failure repairs a
/// rotation that stopped part-way.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenantId}/api-key/rotate",
    operation_id = "rotate-api-key",
    tag = "tenants",
    extensions(("x-seikyu-access" = json!("operator"))),
    params(TenantPath),
    responses(
        (status = 200, description = "Rotated: the new key, whose value is shown this once, and the id of the one deleted.", body = Rotated, headers(
            ("Cache-Control" = String, description = "`no-store`: the answer carries a secret."),
        )),
        (status = 404, description = "No such tenant.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tenant is offboarded (it has no key), or it changed while the key was rotated (rotate again).",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) fn rotate_api_key() {}
