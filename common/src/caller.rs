//! Who is calling: the one place where a request's IAM identity and API key become a role and a
//! tenant. The tenant comes only from the caller's identity, never from the path, query or body.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::domain::{Role, TenantId};
use crate::error::ApiError;
use crate::store::{ApiKeyId, Owner, PrincipalArn, PrincipalStore};

/// What API Gateway (or the local gateway) says about the signer, from
/// `requestContext.identity`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub user_arn: Option<String>,
    pub caller: Option<String>,
    pub access_key: Option<String>,
    pub api_key_id: Option<String>,
}

impl Identity {
    pub fn of(req: &Request) -> Self {
        match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(ctx)) => Self {
                user_arn: ctx.identity.user_arn.clone(),
                caller: ctx.identity.caller.clone(),
                access_key: ctx.identity.access_key.clone(),
                api_key_id: ctx.identity.api_key_id.clone(),
            },
            _ => Self::default(),
        }
    }
}

/// A resolved caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub principal: PrincipalArn,
    pub owner: Owner,
    pub api_key_id: Option<ApiKeyId>,
}

const UNKNOWN_PRINCIPAL: &str = "The signing principal is not registered with this service.";
const KEY_MISMATCH: &str = "The API key does not belong to the signing principal's tenant.";
const KEY_DISABLED: &str = "The API key is disabled: its tenant is suspended.";

impl Caller {
    pub fn role(&self) -> Role {
        self.owner.role()
    }

    pub fn tenant_id(&self) -> Option<&TenantId> {
        self.owner.tenant_id()
    }

    /// Operator-only routes: a tenant gets 403.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self.owner {
            Owner::Operator => Ok(()),
            Owner::Tenant { .. } => Err(ApiError::Forbidden("This operation is for the operator only.".into())),
        }
    }

    /// Tenant-scoped resources: the operator may read any tenant; a tenant only its own, and
    /// another tenant's resources answer exactly as if they did not exist.
    pub fn authorize_tenant(&self, tenant: &TenantId) -> Result<(), ApiError> {
        match &self.owner {
            Owner::Operator => Ok(()),
            Owner::Tenant { tenant_id } if tenant_id == tenant => Ok(()),
            Owner::Tenant { .. } => Err(ApiError::NotFound),
        }
    }
}

/// The caller of `req`, resolved through the app's principal registry.
pub async fn of_request(app: &crate::App, req: &Request) -> Result<Caller, ApiError> {
    resolve(app.stores.principals.as_ref(), &Identity::of(req)).await
}

/// Resolves the caller through the principal registry, and checks that the API key (when API
/// Gateway reports one) belongs to the same tenant, or is an operator key for an operator.
pub async fn resolve(principals: &dyn PrincipalStore, identity: &Identity) -> Result<Caller, ApiError> {
    let forbidden = |m: &str| ApiError::Forbidden(m.to_owned());
    let arn_text = identity.user_arn.as_deref().ok_or_else(|| forbidden("The request carries no signing identity."))?;
    let arn = PrincipalArn::parse(arn_text).map_err(|_| forbidden(UNKNOWN_PRINCIPAL))?;
    let principal = principals.get_principal(&arn).await?.ok_or_else(|| forbidden(UNKNOWN_PRINCIPAL))?;
    let api_key_id = match identity.api_key_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let id = ApiKeyId::parse(raw).map_err(|_| forbidden(KEY_MISMATCH))?;
            let key = principals.get_api_key(&id).await?.ok_or_else(|| forbidden(KEY_MISMATCH))?;
            if key.owner != principal.owner {
                return Err(forbidden(KEY_MISMATCH));
            }
            // API Gateway refuses a disabled key first; this holds wherever it did not.
            if !key.enabled {
                return Err(forbidden(KEY_DISABLED));
            }
            Some(id)
        }
    };
    let span = tracing::Span::current();
    span.record("role", if principal.owner.role() == Role::Operator { "operator" } else { "tenant" });
    if let Some(t) = principal.owner.tenant_id() {
        span.record("tenant_id", t.as_str());
    }
    crate::metrics::set_tenant(principal.owner.tenant_id().map_or("operator", TenantId::as_str));
    Ok(Caller { principal: principal.arn, owner: principal.owner, api_key_id })
}
