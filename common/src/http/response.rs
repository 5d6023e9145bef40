//! JSON responses.

use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::error::ApiError;

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(format!("serialising response: {e}")))?;
    let mut r = Response::new(Body::Text(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}

pub fn with_etag(mut r: Response<Body>, etag: &str) -> Result<Response<Body>, ApiError> {
    let v = HeaderValue::from_str(etag).map_err(|e| ApiError::Internal(format!("etag header: {e}")))?;
    r.headers_mut().insert(header::ETAG, v);
    Ok(r)
}

/// 200 with the resource's ETag.
pub fn tagged<T: Serialize>(etag: &str, value: &T) -> Result<Response<Body>, ApiError> {
    with_etag(json(StatusCode::OK, value)?, etag)
}

/// 201 with Location and ETag.
pub fn created<T: Serialize>(location: &str, etag: &str, value: &T) -> Result<Response<Body>, ApiError> {
    let mut r = with_etag(json(StatusCode::CREATED, value)?, etag)?;
    let v = HeaderValue::from_str(location).map_err(|e| ApiError::Internal(format!("location header: {e}")))?;
    r.headers_mut().insert(header::LOCATION, v);
    Ok(r)
}

/// For answers carrying a secret (a new API key): no cache may keep them.
pub fn no_store(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
