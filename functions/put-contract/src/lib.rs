//! `PUT /v1/tenants/{tenantId}/contracts/{contractId}`: Creates a contract (201), or replaces it when If-Match names its current version (200). Operator only.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{ContractId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::contracts::{self, ContractInput, PutConditions, PutOutcome};
use common::views::ContractView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "PUT /v1/tenants/{tenantId}/contracts/{contractId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    caller.require_operator()?;
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "contractId", ContractId::parse)?;
    let cond = PutConditions { if_match: common::http::if_match(&req)?, create_only: common::http::if_none_match_any(&req)? };
    let terms = common::http::json_body::<ContractInput>(&req)?.validate()?;
    let (contract, outcome) = contracts::put(&app, &caller, &tenant, &id, terms, cond).await?;
    let etag = contract.etag();
    match outcome {
        PutOutcome::Created => common::http::created(&format!("/v1/tenants/{tenant}/contracts/{id}"), &etag, &ContractView::from(contract)),
        PutOutcome::Replaced | PutOutcome::Unchanged => common::http::tagged(&etag, &ContractView::from(contract)),
    }
}
