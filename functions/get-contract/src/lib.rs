//! `GET /v1/tenants/{tenantId}/contracts/{contractId}`: Reads one contract: a tenant its own, the operator any.

use std::sync::Arc;

use common::caller::Caller;
use common::domain::{ContractId, TenantId};
use common::runtime::{self, BoxFuture};
use common::service::contracts;
use common::views::ContractView;
use common::{ApiError, App};
use lambda_http::{Body, Request, Response};

pub const ROUTE: &str = "GET /v1/tenants/{tenantId}/contracts/{contractId}";

/// The route's entry point, for the Lambda runtime and the local gateway alike.
pub fn handler(app: Arc<App>, req: Request) -> BoxFuture<'static, Response<Body>> {
    Box::pin(runtime::dispatch(ROUTE, app, req, handle))
}

async fn handle(app: Arc<App>, caller: Caller, req: Request) -> Result<Response<Body>, ApiError> {
    let tenant = common::http::path_param(&req, "tenantId", TenantId::parse)?;
    let id = common::http::path_param(&req, "contractId", ContractId::parse)?;
    let contract = contracts::get(&app, &caller, &tenant, &id).await?;
    common::http::tagged(&contract.etag(), &ContractView::from(contract))
}
