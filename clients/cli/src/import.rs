//! `billing import FILE.csv`: billing records from a CSV, one record per group of rows, each
//! created with an Idempotency-Key derived from what it is, so that running the same file again
//! creates nothing new.
//!
//! Columns (a header row, any order, UTF-8 with or without BOM):
//! `tenantId, period, issueDate, dueDate, description, quantity, unitPrice` (required),
//! `taxCategory` (`standard` 10%, the default, or `reduced` 8%), `notes` (the record's, on any of
//! its rows), `record` (the caller's own reference for the record, e.g. the CMS's invoice id).
//!
//! Rows with the same `record` form one record, wherever they stand; without a `record` column,
//! consecutive rows with the same tenant, period and dates do. The key is a hash of the tenant,
//! the period, `--batch` and the record's reference (or, without one, the record's content): the
//! same record imported again is answered as the first time (replayed, or after the API's 24
//! hours "already created"), never made twice, whatever the file is called.

use std::collections::HashMap;
use std::io::Read;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

const REQUIRED: &[&str] = &["tenantId", "period", "issueDate", "dueDate", "description", "quantity", "unitPrice"];
const KNOWN: &[&str] = &["tenantId", "period", "issueDate", "dueDate", "description", "quantity", "unitPrice", "taxCategory", "notes", "record"];

/// One record to create: where it came from, what to send, and its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The `record` column, or `rows a–b`.
    pub label: String,
    /// The CSV line of each of its rows (the header is line 1), in line order.
    pub lines: Vec<u64>,
    pub tenant_id: String,
    pub period: String,
    /// The request body, or why it cannot be sent.
    pub body: Result<Value, String>,
    pub idempotency_key: String,
}

struct Row {
    line: u64,
    fields: HashMap<String, String>,
}

/// Rows that make one record, with the record's reference when the file has a `record` column.
type Group = (Option<String>, Vec<Row>);

impl Row {
    fn get(&self, column: &str) -> &str {
        self.fields.get(column).map_or("", String::as_str)
    }
}

/// Reads the CSV and groups its rows into records.
pub fn parse(input: impl Read, batch: &str) -> Result<Vec<Record>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: Vec<String> =
        reader.headers().map_err(|e| format!("cannot read the header row: {e}"))?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
    if let Some(unknown) = headers.iter().find(|h| !KNOWN.contains(&h.as_str())) {
        return Err(format!("unknown column `{unknown}` (the columns are: {})", KNOWN.join(", ")));
    }
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|r| !headers.iter().any(|h| h == r)).collect();
    if !missing.is_empty() {
        return Err(format!("missing column(s): {}", missing.join(", ")));
    }
    let by_reference = headers.iter().any(|h| h == "record");
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| format!("cannot read the CSV: {e}"))?;
        let line = record.position().map_or(0, csv::Position::line);
        let fields = headers.iter().cloned().zip(record.iter().map(|v| v.trim().to_owned())).collect();
        rows.push(Row { line, fields });
    }
    let groups = if by_reference { group_by_reference(rows)? } else { group_consecutive(rows) };
    Ok(groups.into_iter().map(|(reference, rows)| record(reference, &rows, batch)).collect())
}

fn group_by_reference(rows: Vec<Row>) -> Result<Vec<Group>, String> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let reference = row.get("record").to_owned();
        if reference.is_empty() {
            return Err(format!("line {}: `record` is empty (with a record column every row names its record)", row.line));
        }
        match index.get(&reference) {
            Some(&i) => groups[i].1.push(row),
            None => {
                index.insert(reference.clone(), groups.len());
                groups.push((Some(reference), vec![row]));
            }
        }
    }
    Ok(groups)
}

fn group_consecutive(rows: Vec<Row>) -> Vec<Group> {
    let key = |r: &Row| ["tenantId", "period", "issueDate", "dueDate"].map(|c| r.get(c).to_owned());
    let mut groups: Vec<Group> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some((_, g)) if g.last().is_some_and(|last| key(last) == key(&row)) => g.push(row),
            _ => groups.push((None, vec![row])),
        }
    }
    groups
}

fn record(reference: Option<String>, rows: &[Row], batch: &str) -> Record {
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    let first = &rows[0];
    let label = reference.clone().unwrap_or_else(|| match (lines.first(), lines.last()) {
        (Some(a), Some(b)) if a != b => format!("lines {a}–{b}"),
        (Some(a), _) => format!("line {a}"),
        _ => String::new(),
    });
    let body = body(rows);
    let identity = match (&reference, &body) {
        (Some(r), _) => format!("record\n{r}"),
        (None, Ok(b)) => format!("content\n{b}"),
        (None, Err(_)) => format!("lines\n{lines:?}"),
    };
    let digest = Sha256::digest(format!("seikyu-import\n{batch}\n{}\n{}\n{identity}", first.get("tenantId"), first.get("period")).as_bytes());
    let idempotency_key = format!("import-{}", &hex::encode(digest)[..40]);
    Record { label, lines, tenant_id: first.get("tenantId").to_owned(), period: first.get("period").to_owned(), body, idempotency_key }
}

/// The `POST …/billings` body of a group of rows, or why there is none.
fn body(rows: &[Row]) -> Result<Value, String> {
    let first = &rows[0];
    for column in ["tenantId", "period", "issueDate", "dueDate"] {
        if let Some(other) = rows.iter().find(|r| r.get(column) != first.get(column)) {
            return Err(format!("lines {} and {} of one record differ in {column}", first.line, other.line));
        }
    }
    let notes: Vec<&str> = rows.iter().map(|r| r.get("notes")).filter(|n| !n.is_empty()).collect();
    if notes.iter().any(|n| *n != notes[0]) {
        return Err("its rows give different notes: give the notes on one row".into());
    }
    let mut lines = Vec::new();
    for row in rows {
        let tax = match row.get("taxCategory") {
            "" => "standard",
            other => other,
        };
        lines.push(json!({
            "description": row.get("description"),
            "quantity": whole(row, "quantity")?,
            "unitPrice": whole(row, "unitPrice")?,
            "taxCategory": tax,
        }));
    }
    let mut body = Map::new();
    body.insert("period".into(), first.get("period").into());
    body.insert("lines".into(), lines.into());
    if let Some(n) = notes.first() {
        body.insert("notes".into(), (*n).into());
    }
    body.insert("issueDate".into(), first.get("issueDate").into());
    body.insert("dueDate".into(), first.get("dueDate").into());
    Ok(body.into())
}

/// An integer cell; `55,000` is read as 55000 (a spreadsheet's thousands separators).
fn whole(row: &Row, column: &str) -> Result<i64, String> {
    let raw = row.get(column);
    raw.replace(',', "").parse().map_err(|_| format!("line {}: {column} must be a whole number, not {raw:?}", row.line))
}

/// The CSV lines an API field error is about: `lines[2].unitPrice` is the record's third row.
pub fn locate(record: &Record, field: &str) -> String {
    let line =
        field.strip_prefix("lines[").and_then(|r| r.split_once(']')).and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest.trim_start_matches('.'))));
    match line {
        Some((i, rest)) if i < record.lines.len() => format!("line {}: {}", record.lines[i], if rest.is_empty() { "line" } else { rest }),
        _ => format!("{}: {field}", record.label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "record,tenantId,period,issueDate,dueDate,description,quantity,unitPrice,taxCategory,notes\n";

    #[test]
    fn rows_with_the_same_record_make_one_record_wherever_they_stand() {
        let csv = format!(
            "\u{feff}{HEAD}A-1,tn_a,2025-11,2025-11-30,2025-12-31,ホスティング,1,\"55,000\",,11月分\nB-7,tn_b,2025-11,2025-11-30,2025-12-31,保守,2,1100,reduced,\nA-1,tn_a,2025-11,2025-11-30,2025-12-31,\"追加, ストレージ\",3,500,standard,\n"
        );
        let records = parse(csv.as_bytes(), "").unwrap();
        assert_eq!(records.len(), 2);
        let a = &records[0];
        assert_eq!((a.label.as_str(), a.lines.clone(), a.tenant_id.as_str()), ("A-1", vec![2, 4], "tn_a"));
        let body = a.body.as_ref().unwrap();
        assert_eq!(body["lines"][0], json!({"description": "ホスティング", "quantity": 1, "unitPrice": 55000, "taxCategory": "standard"}));
        assert_eq!(body["lines"][1]["description"], "追加, ストレージ");
        assert_eq!(body["notes"], "11月分");
        assert_eq!(records[1].body.as_ref().unwrap()["lines"][0]["taxCategory"], "reduced");
        assert_eq!(locate(a, "lines[1].unitPrice"), "line 4: unitPrice");
        assert_eq!(locate(a, "dueDate"), "A-1: dueDate");
    }

    #[test]
    fn without_a_record_column_consecutive_rows_of_one_tenant_period_and_dates_group() {
        let head = "tenantId,period,issueDate,dueDate,description,quantity,unitPrice\n";
        let csv = format!(
            "{head}tn_a,2025-11,2025-11-30,2025-12-31,x,1,100\ntn_a,2025-11,2025-11-30,2025-12-31,y,1,200\ntn_b,2025-11,2025-11-30,2025-12-31,z,1,300\ntn_a,2025-11,2025-11-30,2025-12-31,w,1,400\n"
        );
        let records = parse(csv.as_bytes(), "").unwrap();
        let shape: Vec<(&str, Vec<u64>)> = records.iter().map(|r| (r.label.as_str(), r.lines.clone())).collect();
        assert_eq!(shape, vec![("lines 2–3", vec![2, 3]), ("line 4", vec![4]), ("line 5", vec![5])]);
    }

    #[test]
    fn keys_follow_the_record_not_the_file() {
        let one = format!("{HEAD}A-1,tn_a,2025-11,2025-11-30,2025-12-31,x,1,100,,\n");
        let edited = format!("{HEAD}Z-9,tn_a,2025-11,2025-11-30,2025-12-31,q,1,1,,\nA-1,tn_a,2025-11,2025-11-30,2025-12-31,x,1,999,,\n");
        let key = |text: &str, batch: &str, i: usize| parse(text.as_bytes(), batch).unwrap()[i].idempotency_key.clone();
        assert_eq!(key(&one, "", 0), key(&edited, "", 1), "the same record, moved and changed: the same key (the API then says 422)");
        assert_ne!(key(&one, "", 0), key(&one, "december-rerun", 0), "--batch sets a new series apart");
        assert!(key(&one, "", 0).starts_with("import-") && key(&one, "", 0).len() == 47);
        let other_tenant = format!("{HEAD}A-1,tn_b,2025-11,2025-11-30,2025-12-31,x,1,100,,\n");
        assert_ne!(key(&one, "", 0), key(&other_tenant, "", 0));
    }

    #[test]
    fn bad_files_and_bad_records_say_where() {
        assert!(parse("tenantId,period\n".as_bytes(), "").unwrap_err().contains("missing column(s): issueDate"));
        assert!(parse(format!("{}extra\n", HEAD.trim_end().to_owned() + ",").as_bytes(), "").is_err());
        let bad = format!("{HEAD}A-1,tn_a,2025-11,2025-11-30,2025-12-31,x,1.5,100,,\nA-1,tn_a,2025-12,2025-11-30,2025-12-31,y,1,100,,\n");
        let records = parse(bad.as_bytes(), "").unwrap();
        assert_eq!(records[0].body.as_ref().unwrap_err(), "lines 2 and 3 of one record differ in period");
        let fraction = format!("{HEAD}A-1,tn_a,2025-11,2025-11-30,2025-12-31,x,1.5,100,,\n");
        assert_eq!(parse(fraction.as_bytes(), "").unwrap()[0].body.as_ref().unwrap_err(), "line 2: quantity must be a whole number, not \"1.5\"");
        assert!(parse(format!("{HEAD},tn_a,2025-11,2025-11-30,2025-12-31,x,1,1,,\n").as_bytes(), "").unwrap_err().contains("`record` is empty"));
    }
}
