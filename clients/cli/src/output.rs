//! What commands print on stdout: the API's JSON as it is (`--json`, for scripts), or tables for
//! people, kubectl-style (no borders, aligned columns, wide characters counted as two).

use std::io::Write;

use comfy_table::{Cell, Table, presets};
use serde_json::{Map, Value};

/// One column of a listing: its heading and the field it shows (dotted for nested fields).
pub type Column = (&'static str, &'static str);

#[derive(Debug, Clone, Copy, Default)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// One resource: its fields one per line, nested objects as dotted names, and every list of
    /// objects (lines, failures, days) as a table of its own below.
    pub fn show(&self, value: &Value) {
        if self.json {
            emit(&pretty(value));
            return;
        }
        let mut rows = Vec::new();
        let mut lists = Vec::new();
        flatten("", value, &mut rows, &mut lists);
        let mut table = bare_table();
        for (name, text) in rows {
            table.add_row(vec![Cell::new(name), Cell::new(text)]);
        }
        emit(&render(&mut table));
        for (name, items) in lists {
            let mut columns: Vec<String> = Vec::new();
            let flat: Vec<Vec<(String, String)>> = items
                .iter()
                .map(|item| {
                    let mut cells = Vec::new();
                    flatten("", item, &mut cells, &mut Vec::new());
                    cells
                })
                .collect();
            for (k, _) in flat.iter().flatten() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
            let mut table = bare_table();
            table.set_header(columns.iter().map(|c| Cell::new(heading(c))));
            for cells in &flat {
                table.add_row(columns.iter().map(|c| cells.iter().find(|(k, _)| k == c).map_or("", |(_, v)| v.as_str())));
            }
            emit(&format!("\n{name}:\n{}", render(&mut table)));
        }
    }

    /// A listing: the columns chosen for the resource, one row per item.
    pub fn list(&self, items: &[Value], columns: &[Column]) {
        if self.json {
            emit(&pretty(&Value::Array(items.to_vec())));
            return;
        }
        if items.is_empty() {
            emit("(none)");
            return;
        }
        let mut table = bare_table();
        table.set_header(columns.iter().map(|(heading, _)| Cell::new(heading)));
        for item in items {
            table.add_row(columns.iter().map(|(_, path)| text(lookup(item, path))));
        }
        emit(&render(&mut table));
    }

    /// A line for people (on stdout, left out with `--json` where the JSON says it).
    pub fn note(&self, line: &str) {
        if !self.json {
            emit(line);
        }
    }
}

/// Writes a line to stdout. A reader that went away (`seikyu … | head`) ends the command
/// quietly, as it ends `cat`.
pub fn emit(text: &str) {
    emit_bytes(format!("{text}\n").as_bytes());
}

pub fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        // Output that cannot be written cannot be reported there either.
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(2);
    }
}

pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn bare_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t
}

/// The table flush left with two spaces between columns and no trailing blanks, as kubectl and
/// gh print theirs.
fn render(table: &mut Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// A field's name as a column heading: `totals.taxCategory` → `TOTALS TAX CATEGORY`.
fn heading(field: &str) -> String {
    let mut out = String::new();
    for c in field.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(if c == '.' { ' ' } else { c.to_ascii_uppercase() });
    }
    out
}

/// `a.b.c` in a JSON value.
pub fn lookup<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, k| &v[k])
}

/// A value as a cell: strings bare, null empty, lists of plain values joined.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(|v| !v.is_object() && !v.is_array()) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Plain fields as `(dotted name, text)`; lists of objects set aside as `(name, items)`.
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>, lists: &mut Vec<(String, Vec<Value>)>) {
    let name = |k: &str| if prefix.is_empty() { k.to_owned() } else { format!("{prefix}.{k}") };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(inner) if !inner.is_empty() => flatten(&name(k), v, rows, lists),
                    Value::Array(items) if items.iter().any(Value::is_object) => lists.push((name(k), items.clone())),
                    _ => rows.push((name(k), text(v))),
                }
            }
        }
        other => rows.push((prefix.to_owned(), text(other))),
    }
}

/// The fields of `value` that changed in `now`, as `name: before → after` lines (for a 412).
pub fn changes(before: &Value, now: &Value) -> Vec<String> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten("", before, &mut a, &mut Vec::new());
    flatten("", now, &mut b, &mut Vec::new());
    let mut out: Vec<String> = b
        .iter()
        .filter(|(k, v)| a.iter().find(|(ka, _)| ka == k).is_none_or(|(_, va)| va != v))
        .map(|(k, v)| format!("{k}: {} → {v}", a.iter().find(|(ka, _)| ka == k).map_or("(none)", |(_, va)| va.as_str())))
        .collect();
    out.extend(a.iter().filter(|(k, _)| !b.iter().any(|(kb, _)| kb == k)).map(|(k, v)| format!("{k}: {v} → (none)")));
    out.sort();
    out
}

/// The object's fields named in `keys` (what a PUT accepts of what a GET shows).
pub fn pick(value: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter().filter_map(|k| value.get(*k).filter(|v| !v.is_null()).map(|v| ((*k).to_owned(), v.clone()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_flatten_and_lists_of_objects_stand_apart() {
        let v = json!({"tenantId": "tn_a", "customerProfile": {"billingContact": {"email": "a@x"}}, "tags": ["x", "y"], "lines": [{"q": 1}], "n": null});
        let (mut rows, mut lists) = (Vec::new(), Vec::new());
        flatten("", &v, &mut rows, &mut lists);
        assert!(rows.contains(&("customerProfile.billingContact.email".into(), "a@x".into())));
        assert!(rows.contains(&("tags".into(), "x, y".into())));
        assert!(rows.contains(&("n".into(), String::new())));
        assert_eq!(lists, vec![("lines".to_owned(), vec![json!({"q": 1})])]);
        assert_eq!(heading("totals.taxCategory"), "TOTALS TAX CATEGORY");
        assert_eq!(text(lookup(&json!({"totals": {"total": 60500}}), "totals.total")), "60500");
    }

    #[test]
    fn changes_name_each_field_that_moved() {
        let before = json!({"status": "active", "version": 3, "name": "A"});
        let now = json!({"status": "suspended", "version": 4, "name": "A", "note": "x"});
        assert_eq!(changes(&before, &now), vec!["note: (none) → x", "status: active → suspended", "version: 3 → 4"]);
    }
}
