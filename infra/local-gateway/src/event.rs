//! The REST proxy event API Gateway would send for a request, parsed by `lambda_http` exactly as
//! the Lambda runtime parses it, so a handler cannot tell the local gateway from AWS.

use std::net::IpAddr;

use base64::Engine;
use common::http::percent::decode_lossy as percent_decode;
use http::HeaderMap;
use serde_json::{Map, Value, json};

use crate::credentials::{AccessKey, ApiKey};

/// What the gateway learned about a request before handing it over.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub resource: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub path_params: &'a [(&'static str, String)],
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub request_id: &'a str,
    pub stage: &'a str,
    pub source_ip: IpAddr,
    pub access_key: &'a AccessKey,
    pub api_key: &'a ApiKey,
}

/// Account id from an ARN (`arn:aws:iam::<account>:...`).
fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// `identity.caller` as STS reports it: a unique id, with the session name for a role session.
fn caller_of(arn: &str, access_key: &str) -> String {
    let unique: String = access_key.chars().skip(4).collect();
    match arn.split_once(":assumed-role/").and_then(|(_, rest)| rest.split_once('/')) {
        Some((_, session)) => format!("AROA{unique}:{session}"),
        None => format!("AIDA{unique}"),
    }
}

pub fn build(i: &Incoming<'_>) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in i.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_owned(), Value::String(v.clone()));
        if let Some(Value::Array(a)) = multi_headers.get_mut(name.as_str()) {
            a.push(Value::String(v));
        } else {
            multi_headers.insert(name.as_str().to_owned(), json!([v]));
        }
    }
    // API Gateway hands over query parameters decoded; the last value wins in the single map.
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for pair in i.query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (percent_decode(k), percent_decode(v));
        query.insert(k.clone(), Value::String(v.clone()));
        if let Some(Value::Array(a)) = multi_query.get_mut(&k) {
            a.push(Value::String(v));
        } else {
            multi_query.insert(k, json!([v]));
        }
    }
    let path_params: Map<String, Value> = i.path_params.iter().map(|(k, v)| ((*k).to_owned(), Value::String(percent_decode(v)))).collect();
    let (body, is_base64) = match std::str::from_utf8(i.body) {
        _ if i.body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(i.body)), true),
    };
    let arn = i.access_key.principal_arn.as_str();
    let caller = caller_of(arn, &i.access_key.access_key_id);
    let now = chrono::Utc::now();
    let null_if_empty = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    json!({
        "resource": i.resource,
        "path": i.path,
        "httpMethod": i.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": null_if_empty(query),
        "multiValueQueryStringParameters": null_if_empty(multi_query),
        "pathParameters": null_if_empty(path_params),
        "stageVariables": null,
        "requestContext": {
            "accountId": account_of(arn),
            "resourceId": "local",
            "stage": i.stage,
            "requestId": i.request_id,
            "extendedRequestId": i.request_id,
            "requestTime": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "requestTimeEpoch": now.timestamp_millis(),
            "httpMethod": i.method,
            "resourcePath": i.resource,
            "path": format!("/{}{}", i.stage, i.path),
            "protocol": "HTTP/1.1",
            "domainName": i.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
            "apiId": crate::iam::API_ID,
            "identity": {
                "accountId": account_of(arn),
                "accessKey": i.access_key.access_key_id,
                "apiKey": i.api_key.value,
                "apiKeyId": i.api_key.id,
                "caller": caller,
                "user": caller,
                "userArn": arn,
                "sourceIp": i.source_ip.to_string(),
                "userAgent": i.headers.get("user-agent").and_then(|h| h.to_str().ok()),
                "cognitoAuthenticationProvider": null,
                "cognitoAuthenticationType": null,
                "cognitoIdentityId": null,
                "cognitoIdentityPoolId": null,
                "principalOrgId": null
            }
        },
        "body": body,
        "isBase64Encoded": is_base64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_ids_follow_sts() {
        assert_eq!(caller_of("arn:aws:sts::1:assumed-role/R/sess", "ASIAXYZ"), "AROAXYZ:sess");
        assert_eq!(caller_of("arn:aws:iam::1:user/u", "AKIAXYZ"), "AIDAXYZ");
    }
}
