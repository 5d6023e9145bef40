//! Reading requests and writing responses, the same way in every route.

mod body;
pub mod download;
pub mod idempotency;
pub mod percent;
mod preconditions;
mod query;
mod range;
mod response;
pub mod revalidation;

pub use body::{JSON_BODY_LIMIT, Patch, json_body, optional_json_body};
pub use preconditions::{IfMatch, if_match, if_none_match_any};
pub use query::Query;
pub use range::parse_range;
pub use response::{created, json, no_store, tagged, with_etag};

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::error::ApiError;

/// The request id API Gateway assigned (`requestContext.requestId`); problem `instance`s and
/// every log line carry it.
pub fn request_id(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The API this request came through, as IAM policies name it: account, API id and stage from
/// the request context, the Region from the Lambda environment (`AWS_REGION`; `*` where unset,
/// which an identity policy accepts), the partition from the caller's principal.
pub fn api_arn(req: &Request, partition: &str) -> crate::iam::ApiArn {
    let (account, api_id, stage) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => (ctx.account_id.clone(), ctx.apiid.clone(), ctx.stage.clone()),
        _ => (None, None, None),
    };
    let or_any = |v: Option<String>| v.filter(|s| !s.is_empty()).unwrap_or_else(|| "*".into());
    crate::iam::ApiArn {
        partition: partition.to_owned(),
        region: or_any(std::env::var("AWS_REGION").ok()),
        account: or_any(account),
        api_id: or_any(api_id),
        stage: or_any(stage),
    }
}

/// A path parameter parsed into its domain type; errors name `path.<name>`.
pub fn path_param<T>(req: &Request, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, ApiError> {
    let params = req.path_parameters_ref();
    let raw = params.and_then(|p| p.first(name)).ok_or_else(|| ApiError::Internal(format!("route has no path parameter {name}")))?;
    parse(raw).map_err(|m| ApiError::field(format!("path.{name}"), m))
}

/// A request header as text; a header that is not visible ASCII is refused as the client's error.
pub fn header<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, ApiError> {
    match req.headers().get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| ApiError::field(format!("header.{name}"), "must be visible ASCII")),
    }
}
