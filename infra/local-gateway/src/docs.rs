//! The API's contract on the local gateway, local only (API Gateway serves neither): `GET
//! /openapi.json`, the document as `infra/openapi.json` holds it, and `GET /docs`, a page rendered
//! here from that document, self-contained (no script, no stylesheet or font from elsewhere).
//! Both answer before any signature is checked, like the presigned object URLs.

use std::fmt::Write;
use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode, header};
use serde_json::Value;

/// The two bodies, made once.
struct Pages {
    json: Bytes,
    html: Bytes,
}

fn pages() -> &'static Result<Pages, String> {
    static PAGES: OnceLock<Result<Pages, String>> = OnceLock::new();
    PAGES.get_or_init(|| {
        let json = common::openapi::to_json().map_err(|e| format!("the OpenAPI document does not serialise: {e}"))?;
        let document: Value = serde_json::from_str(&json).map_err(|e| format!("the OpenAPI document does not read back: {e}"))?;
        Ok(Pages { html: Bytes::from(render(&document)), json: Bytes::from(json) })
    })
}

/// The answer to `method path` when it is one of these pages.
pub fn serve(method: &Method, path: &str) -> Option<Response<Bytes>> {
    let html = match path {
        "/openapi.json" => false,
        "/docs" => true,
        _ => return None,
    };
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let (status, body, content_type) = match pages() {
        Ok(p) if html => (StatusCode::OK, p.html.clone(), "text/html; charset=utf-8"),
        Ok(p) => (StatusCode::OK, p.json.clone(), "application/json"),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from(e.clone()), "text/plain; charset=utf-8"),
    };
    let mut r = Response::new(if method == Method::HEAD { Bytes::new() } else { body });
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Some(r)
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .2em}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
section{border-left:4px solid #ddd;padding:0 1rem;margin:1.5rem 0}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top;text-align:left}.m{font-weight:bold;text-transform:uppercase}
.get{color:#1a6}.post{color:#26a}.put,.patch{color:#a60}.delete{color:#b22}";

/// The page: operations grouped by tag, then the schemas they name.
pub fn render(doc: &Value) -> String {
    let info = &doc["info"];
    let mut out = String::new();
    let title = format!("{} {}", text(&info["title"]), text(&info["version"]));
    let _ = write!(out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>", esc(&title));
    let _ = write!(out, "<h1>{}</h1>{}", esc(&title), prose(&info["description"]));
    out.push_str("<p>This page and <a href=\"/openapi.json\">/openapi.json</a> are the local gateway's; the same document is <code>infra/openapi.json</code>.</p><h2>Servers</h2><ul>");
    for s in doc["servers"].as_array().into_iter().flatten() {
        let _ = write!(out, "<li><code>{}</code>: {}</li>", esc(text(&s["url"])), inline(text(&s["description"])));
    }
    out.push_str("</ul><h2>Security</h2><p>Every operation needs both:</p><ul>");
    for (name, s) in doc["components"]["securitySchemes"].as_object().into_iter().flatten() {
        let _ = write!(out, "<li><code>{}</code> (header <code>{}</code>): {}</li>", esc(name), esc(text(&s["name"])), inline(text(&s["description"])));
    }
    out.push_str("</ul>");
    let operations = operations(doc);
    for tag in doc["tags"].as_array().into_iter().flatten() {
        let name = text(&tag["name"]);
        let _ = write!(out, "<h2 id=\"tag-{0}\">{0}</h2>{1}<ul>", esc(name), prose(&tag["description"]));
        for (method, path, op) in operations.iter().filter(|(_, _, op)| op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == name))) {
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"m {method}\">{method}</span> <code>{}</code></a> {}</li>",
                esc(text(&op["operationId"])),
                esc(path),
                esc(text(&op["summary"]))
            );
        }
        out.push_str("</ul>");
        for (method, path, op) in operations.iter().filter(|(_, _, op)| op["tags"].as_array().is_some_and(|t| t.iter().any(|t| t == name))) {
            operation(&mut out, doc, method, path, op);
        }
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let _ = write!(out, "<section id=\"schema-{0}\"><h3>{0}</h3>{1}", esc(name), prose(&schema["description"]));
        let _ = write!(out, "<p>{}</p>", shape(schema));
        properties(&mut out, schema);
        out.push_str("</section>");
    }
    out.push_str("</body></html>\n");
    out
}

/// Every operation: method, path, operation, in the document's (path) order.
fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if let Some(op) = item.get(method) {
                all.push((method, path.as_str(), op));
            }
        }
    }
    all
}

fn operation(out: &mut String, doc: &Value, method: &str, path: &str, op: &Value) {
    let id = text(&op["operationId"]);
    let _ = write!(
        out,
        "<section id=\"{0}\"><h3><span class=\"m {method}\">{method}</span> <code>{1}</code></h3><p><b>{2}</b> <code>{0}</code></p>",
        esc(id),
        esc(path),
        esc(text(&op["summary"]))
    );
    out.push_str(&prose(&op["description"]));
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<table><tr><th>parameter</th><th>in</th><th>schema</th><th></th></tr>");
        for p in params {
            let required = if p["required"].as_bool() == Some(true) { "required" } else { "" };
            let _ = write!(
                out,
                "<tr><td><code>{}</code> {required}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(text(&p["name"])),
                esc(text(&p["in"])),
                shape(&p["schema"]),
                inline(text(&p["description"]))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op.get("requestBody") {
        let _ = write!(out, "<p>Body: {} {}</p>", contents(&body["content"]), inline(text(&body["description"])));
    }
    out.push_str("<table><tr><th>status</th><th>answer</th><th></th></tr>");
    for (status, response) in op["responses"].as_object().into_iter().flatten() {
        // A response every operation shares is written once under `components.responses`.
        let response = match response["$ref"].as_str() {
            Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap_or(r)],
            None => response,
        };
        let (description, content) = (inline(text(&response["description"])), contents(&response["content"]));
        let _ = write!(out, "<tr><td>{}</td><td>{content}</td><td>{description}</td></tr>", esc(status));
    }
    out.push_str("</table></section>");
}

/// `media type: schema` for each content.
fn contents(content: &Value) -> String {
    let parts: Vec<String> =
        content.as_object().into_iter().flatten().map(|(media, c)| format!("<code>{}</code> {}", esc(media), shape(&c["schema"]))).collect();
    parts.join("<br>")
}

fn properties(out: &mut String, schema: &Value) {
    let parts: Vec<&Value> = match schema["allOf"].as_array() {
        Some(all) => all.iter().collect(),
        None => vec![schema],
    };
    for part in parts {
        let Some(props) = part["properties"].as_object() else { continue };
        let required: Vec<&str> = part["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        out.push_str("<table><tr><th>property</th><th>schema</th><th></th></tr>");
        for (name, p) in props {
            let req = if required.contains(&name.as_str()) { " required" } else { "" };
            let _ = write!(out, "<tr><td><code>{}</code>{req}</td><td>{}</td><td>{}</td></tr>", esc(name), shape(p), inline(text(&p["description"])));
        }
        out.push_str("</table>");
    }
}

/// A schema in a few words: a link for a reference, its type, format, pattern, bounds, values.
fn shape(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = esc(r.rsplit('/').next().unwrap_or(r));
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    for (key, join) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " &amp; ")] {
        if let Some(items) = s[key].as_array() {
            return items.iter().map(shape).collect::<Vec<_>>().join(join);
        }
    }
    let mut words = match &s["type"] {
        Value::Array(types) => types.iter().map(|t| esc(text(t))).collect::<Vec<_>>().join(" | "),
        Value::String(t) if t == "array" => format!("array of {}", shape(&s["items"])),
        Value::String(t) => esc(t),
        _ => String::from("any"),
    };
    if let Some(values) = s["enum"].as_array() {
        words = values.iter().map(|v| format!("<code>{}</code>", esc(&v.to_string()))).collect::<Vec<_>>().join(" | ");
    }
    for key in ["format", "pattern", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "default"] {
        if let Some(v) = s.get(key) {
            let _ = write!(words, ", {key} <code>{}</code>", esc(v.as_str().map_or_else(|| v.to_string(), str::to_owned).as_str()));
        }
    }
    words
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Paragraphs of a description.
fn prose(v: &Value) -> String {
    text(v).split("\n\n").filter(|p| !p.trim().is_empty()).map(|p| format!("<p>{}</p>", inline(p))).collect()
}

/// The Markdown the descriptions use: `code` and **bold**, on escaped text.
fn inline(s: &str) -> String {
    let escaped = esc(s);
    let mut out = String::with_capacity(escaped.len());
    for (i, piece) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{piece}</code>");
        } else {
            for (j, part) in piece.split("**").enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<strong>{part}</strong>");
                } else {
                    out.push_str(part);
                }
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_and_schema_is_on_the_page_and_nothing_is_fetched() {
        let json = common::openapi::to_json().unwrap();
        let doc: Value = serde_json::from_str(&json).unwrap();
        let page = render(&doc);
        for (_, _, op) in operations(&doc) {
            assert!(page.contains(&format!("id=\"{}\"", text(&op["operationId"]))), "{}", op["operationId"]);
        }
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
        }
        for outside in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!page.contains(outside), "the page loads nothing: {outside}");
        }
    }

    #[test]
    fn markdown_and_markup_are_escaped_first() {
        assert_eq!(inline("`<b>` and **a < b**"), "<code>&lt;b&gt;</code> and <strong>a &lt; b</strong>");
    }

    #[test]
    fn only_reads_of_the_two_paths_are_served() {
        assert_eq!(serve(&Method::GET, "/openapi.json").unwrap().headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(serve(&Method::GET, "/docs").unwrap().headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(serve(&Method::HEAD, "/docs").unwrap().body().is_empty());
        assert!(serve(&Method::POST, "/openapi.json").is_none());
        assert!(serve(&Method::GET, "/v1/me").is_none());
    }
}
