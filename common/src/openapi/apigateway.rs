//! API Gateway's documentation of the deployed API, made from the document itself: the
//! `x-amazon-apigateway-documentation` extension is what `aws apigateway
//! import-documentation-parts` reads (it ignores the rest), so the console and an exported
//! OpenAPI carry the same summaries and descriptions as this document.

use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::{OpenApi, RefOr};

use super::problems::operations;

/// Documentation parts: the API, each method, its parameters, body and responses.
pub(super) struct DocumentationParts;

impl Modify for DocumentationParts {
    fn modify(&self, api: &mut OpenApi) {
        let mut parts = vec![json!({
            "location": { "type": "API" },
            "properties": { "info": { "title": api.info.title, "version": api.info.version, "description": api.info.description } },
        })];
        for (path, item) in api.paths.paths.iter_mut() {
            for (method, op) in operations(item) {
                let method = method.to_uppercase();
                let at = |kind: &str| json!({ "type": kind, "path": path, "method": method });
                parts.push(part(at("METHOD"), json!({ "tags": op.tags, "summary": op.summary, "description": op.description })));
                for p in op.parameters.iter().flatten() {
                    let kind = match p.parameter_in {
                        ParameterIn::Path => "PATH_PARAMETER",
                        ParameterIn::Query => "QUERY_PARAMETER",
                        ParameterIn::Header => "REQUEST_HEADER",
                        ParameterIn::Cookie => continue,
                    };
                    let mut location = at(kind);
                    location["name"] = json!(p.name);
                    parts.push(part(location, json!({ "description": p.description })));
                }
                if let Some(body) = &op.request_body {
                    parts.push(part(at("REQUEST_BODY"), json!({ "description": body.description })));
                }
                for (status, response) in &op.responses.responses {
                    // Shared responses are described once, under `components.responses`.
                    let RefOr::T(response) = response else { continue };
                    let mut location = at("RESPONSE");
                    location["statusCode"] = json!(status);
                    parts.push(part(location, json!({ "description": response.description })));
                }
            }
        }
        let docs = json!({ "version": api.info.version, "documentationParts": parts });
        let extensions = api.extensions.get_or_insert_with(Default::default);
        extensions.merge(ExtensionsBuilder::new().add("x-amazon-apigateway-documentation", docs).build());
    }
}

/// A part, without the properties that say nothing (API Gateway keeps what it is given).
fn part(location: Value, mut properties: Value) -> Value {
    if let Some(map) = properties.as_object_mut() {
        map.retain(|_, v| !v.is_null() && v.as_str() != Some(""));
    }
    json!({ "location": location, "properties": properties })
}
