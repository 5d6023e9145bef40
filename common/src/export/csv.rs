//! CSV of billing records, one row per line item: RFC 4180 quoting, CRLF, a header row, amounts
//! in whole yen, and a guard against formula injection in free-text cells.
//!
//! Encodings: `utf8bom` (the default; Excel opens it as UTF-8), `utf8`, and `cp932` (Windows-31J,
//! Redmine's Japanese CSV encoding). A character cp932 cannot encode (an emoji, a rare kanji) is
//! written as 〓 (U+3013, the customary stand-in); export as UTF-8 to keep every character.

use bytes::Bytes;

use crate::domain::{BillingRecord, ItemState, RunItem, TaxCategory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEncoding {
    Utf8Bom,
    Utf8,
    Cp932,
}

/// What stands in for a character cp932 cannot encode: 〓, which is 0x81 0xAC in cp932.
pub const CP932_REPLACEMENT: char = '〓';
const CP932_REPLACEMENT_BYTES: [u8; 2] = [0x81, 0xAC];

impl CsvEncoding {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "utf8bom" => Ok(Self::Utf8Bom),
            "utf8" => Ok(Self::Utf8),
            "cp932" => Ok(Self::Cp932),
            _ => Err("must be one of utf8bom, utf8, cp932".into()),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Utf8Bom | Self::Utf8 => "text/csv; charset=utf-8; header=present",
            // Windows-31J, not Shift_JIS: cp932 has characters (①, ㈱, 髙) a strict Shift_JIS decoder refuses.
            Self::Cp932 => "text/csv; charset=Windows-31J; header=present",
        }
    }

    /// Bytes that start the file.
    pub fn preamble(self) -> &'static [u8] {
        match self {
            Self::Utf8Bom => b"\xEF\xBB\xBF",
            _ => b"",
        }
    }

    /// `text` in this encoding, and how many characters had to be replaced.
    pub fn encode(self, text: &str) -> (Bytes, usize) {
        match self {
            Self::Utf8Bom | Self::Utf8 => (Bytes::copy_from_slice(text.as_bytes()), 0),
            Self::Cp932 => {
                let mut encoder = encoding_rs::SHIFT_JIS.new_encoder();
                let mut out = Vec::with_capacity(text.len());
                let mut buf = vec![0u8; encoder.max_buffer_length_from_utf8_without_replacement(text.len()).unwrap_or(text.len() * 2).max(16)];
                let mut rest = text;
                let mut replaced = 0;
                loop {
                    let (result, read, written) = encoder.encode_from_utf8_without_replacement(rest, &mut buf, true);
                    out.extend_from_slice(&buf[..written]);
                    rest = &rest[read..];
                    match result {
                        encoding_rs::EncoderResult::InputEmpty => break,
                        encoding_rs::EncoderResult::OutputFull => {}
                        encoding_rs::EncoderResult::Unmappable(_) => {
                            replaced += 1;
                            out.extend_from_slice(&CP932_REPLACEMENT_BYTES);
                        }
                    }
                }
                (Bytes::from(out), replaced)
            }
        }
    }
}

pub const HEADER: [&str; 13] = ["請求ID", "請求年月", "状態", "請求書番号", "発行日", "支払期限", "行", "品名", "数量", "単価", "税率", "金額", "備考"];

/// Whether each column holds free text (guarded against formulas) or a value we formatted.
const FREE_TEXT: [bool; 13] = [false, false, false, false, false, false, false, true, false, false, false, false, true];

/// A cell starting like a formula gets a leading `'` so spreadsheets show it as text.
fn guard(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\r', '\n']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell.to_owned() }
}

fn row(cells: &[String]) -> String {
    let mut line = cells.iter().zip(FREE_TEXT).map(|(c, free)| quote(&if free { guard(c) } else { c.clone() })).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// The columns of a run's report: one row per billing record the run took.
pub const RUN_HEADER: [&str; 6] = ["テナントID", "請求ID", "請求書番号", "合計（税込）", "状態", "失敗理由"];

/// The report's header row.
pub fn run_header_row() -> String {
    let mut line = RUN_HEADER.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// One report row per item: the failure reason is free text (guarded), the rest is ours.
pub fn run_rows(items: &[RunItem]) -> String {
    let mut out = String::new();
    for i in items {
        let state = match i.state {
            ItemState::Pending => "pending",
            ItemState::Issued => "issued",
            ItemState::Failed => "failed",
            ItemState::Cancelled => "cancelled",
        };
        let cells = [
            i.tenant_id.to_string(),
            i.billing_id.to_string(),
            i.invoice_number.as_ref().map(ToString::to_string).unwrap_or_default(),
            i.total.map(|t| t.get().to_string()).unwrap_or_default(),
            state.to_owned(),
            guard(i.reason.as_deref().unwrap_or_default()),
        ];
        out.push_str(&cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn header_row() -> String {
    row(&HEADER.map(str::to_owned))
}

/// One row per line item of `record`.
pub fn rows(record: &BillingRecord) -> String {
    let mut out = String::new();
    for (i, line) in record.content().lines.iter().enumerate() {
        let cells = [
            record.billing_id.to_string(),
            record.period.to_string(),
            record.status().as_str().to_owned(),
            record.invoice_number().map(ToString::to_string).unwrap_or_default(),
            record.content().issue_date.to_string(),
            record.content().due_date.to_string(),
            (i + 1).to_string(),
            line.description.clone(),
            line.quantity.to_string(),
            line.unit_price.get().to_string(),
            match line.tax_category {
                TaxCategory::Standard => "10%".to_owned(),
                TaxCategory::Reduced => "8%".to_owned(),
            },
            line.amount().map(|a| a.get().to_string()).unwrap_or_default(),
            if i == 0 { record.content().notes.clone().unwrap_or_default() } else { String::new() },
        ];
        out.push_str(&row(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_report_rows_say_what_happened_to_each_record() {
        use crate::domain::{BillingId, InvoiceNumber, RunId, Settlement, TenantId, Yen};
        let item = RunItem::pending(
            RunId::parse("run-2025-04-abcdefgh").unwrap(),
            TenantId::parse("tn_0000000000000001").unwrap(),
            BillingId::parse("2025-04-abcdefgh").unwrap(),
        );
        let issued = Settlement::Issued { invoice_number: InvoiceNumber::parse("INV-2025-000001").unwrap(), total: Yen::new(66_550).unwrap() }.apply(&item);
        let failed = Settlement::Failed { reason: "=HYPERLINK(\"x\"), 失敗".into() }.apply(&item);
        assert_eq!(run_header_row(), "テナントID,請求ID,請求書番号,合計（税込）,状態,失敗理由\r\n");
        assert_eq!(
            run_rows(&[issued, failed]),
            "tn_0000000000000001,2025-04-abcdefgh,INV-2025-000001,66550,issued,\r\ntn_0000000000000001,2025-04-abcdefgh,,,failed,\"'=HYPERLINK(\"\"x\"\"), 失敗\"\r\n"
        );
    }

    #[test]
    fn quoting_and_guards() {
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(quote("plain 請求"), "plain 請求");
        for risky in ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"] {
            assert!(guard(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(guard("普通の品名"), "普通の品名");
    }

    #[test]
    fn cp932_replaces_what_it_cannot_encode() {
        let (b, n) = CsvEncoding::Cp932.encode("請求書 ～ ①");
        assert_eq!(n, 0);
        assert_eq!(encoding_rs::SHIFT_JIS.decode(&b).0, "請求書 ～ ①");
        let (b, n) = CsvEncoding::Cp932.encode("お茶🍵𠮷");
        assert_eq!(n, 2);
        assert_eq!(encoding_rs::SHIFT_JIS.decode(&b).0, "お茶〓〓");
    }
}
