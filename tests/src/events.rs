//! API Gateway REST proxy events, built as JSON and parsed by `lambda_http` exactly as the Lambda
//! runtime parses what API Gateway sends.

use lambda_http::Request;
use serde_json::{Value, json};

/// A REST proxy event under construction.
#[derive(Debug, Clone)]
pub struct Event {
    value: Value,
}

impl Event {
    /// `resource` is the route's template, `path` the concrete path; path parameters are taken by
    /// matching one against the other.
    pub fn new(method: &str, resource: &str, path: &str) -> Self {
        let mut params = serde_json::Map::new();
        for (w, g) in resource.split('/').zip(path.split('/')) {
            if w.starts_with('{') && w.ends_with('}') {
                params.insert(w[1..w.len() - 1].to_owned(), Value::String(g.to_owned()));
            }
        }
        let value = json!({
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": {},
            "multiValueHeaders": {},
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": if params.is_empty() { Value::Null } else { Value::Object(params) },
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "resourceId": "abc123",
                "stage": "v1",
                "requestId": "test-request-0001",
                "httpMethod": method,
                "resourcePath": resource,
                "path": format!("/v1{path}"),
                "protocol": "HTTP/1.1",
                "requestTimeEpoch": 1743498000000u64,
                "apiId": "a1b2c3d4e5",
                "identity": { "sourceIp": "127.0.0.1", "userAgent": "seikyu-tests" }
            },
            "body": null,
            "isBase64Encoded": false
        });
        Self { value }
    }

    /// Signed by `arn` (as `requestContext.identity` reports it), with API key id `key`.
    pub fn caller(mut self, arn: &str, api_key_id: Option<&str>) -> Self {
        let id = &mut self.value["requestContext"]["identity"];
        id["userArn"] = json!(arn);
        id["caller"] = json!("AROAEXAMPLE:session");
        id["accessKey"] = json!("AKIAEXAMPLE");
        id["apiKeyId"] = json!(api_key_id);
        id["apiKey"] = json!(api_key_id.map(|k| format!("value-of-{k}")));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.value["headers"][name] = json!(value);
        self.value["multiValueHeaders"][name] = json!([value]);
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        if self.value["queryStringParameters"].is_null() {
            self.value["queryStringParameters"] = json!({});
            self.value["multiValueQueryStringParameters"] = json!({});
        }
        self.value["queryStringParameters"][name] = json!(value);
        let multi = &mut self.value["multiValueQueryStringParameters"][name];
        if multi.is_null() {
            *multi = json!([]);
        }
        if let Some(a) = multi.as_array_mut() {
            a.push(json!(value));
        }
        self
    }

    pub fn json_body(self, body: &Value) -> Self {
        self.raw_body(&body.to_string()).header("Content-Type", "application/json")
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.value["body"] = json!(body);
        self
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.value).unwrap_or_default()
    }

    pub fn request(&self) -> Request {
        parse(&self.value.to_string())
    }
}

/// Parses an event as the Lambda runtime would.
pub fn parse(event_json: &str) -> Request {
    lambda_http::request::from_str(event_json).expect("a REST proxy event lambda_http accepts")
}

/// A handler's answer, read back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    /// The body as JSON (or a JSON string of its text when it is not JSON).
    pub body: serde_json::Value,
    pub raw: bytes::Bytes,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The fields named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect()).unwrap_or_default()
    }
}

/// Calls a route's entry with `req`, as the Lambda runtime would; a streamed body is read whole.
pub async fn call(entry: local_gateway::Entry, app: &std::sync::Arc<common::App>, req: Request) -> Answer {
    use http_body_util::BodyExt;
    let (status, headers, raw) = match entry {
        local_gateway::Entry::Buffered(handler) => {
            let resp = handler(app.clone(), req).await;
            (resp.status().as_u16(), resp.headers().clone(), bytes::Bytes::copy_from_slice(resp.body().as_ref()))
        }
        local_gateway::Entry::Streaming(handler) => {
            let resp = handler(app.clone(), req).await;
            let (parts, body) = resp.into_parts();
            (parts.status.as_u16(), parts.headers, body.collect().await.expect("streamed body").to_bytes())
        }
    };
    let body =
        if raw.is_empty() { Value::Null } else { serde_json::from_slice(&raw).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned())) };
    Answer { status, headers, body, raw }
}
