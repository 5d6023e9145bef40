//! Realistic sample invoices shared by the tests, the examples and the benchmark
//! (`#[path = "../tests/support/mod.rs"]` from examples).
#![allow(dead_code)]

use invoice_pdf::{InvoiceDocument, Issuer, Line, Recipient, TaxRow};

/// (description, quantity, unit price, reduced rate)
const ITEMS: &[(&str, i64, i64, bool)] = &[
    ("クラウド請求管理システム 基本利用料", 1, 50_000, false),
    ("追加ユーザーライセンス", 15, 1_200, false),
    ("API連携オプション", 1, 10_000, false),
    ("データ保管容量追加（100GB）", 2, 3_000, false),
    ("導入サポート オンライン研修（2時間）", 1, 30_000, false),
    ("帳票レイアウトカスタマイズ作業（時間単位）", 8, 8_000, false),
    ("会議用弁当 幕の内", 12, 1_080, true),
    ("ペットボトル緑茶 500ml", 24, 150, true),
    ("コーヒー豆 オリジナルブレンド 1kg", 2, 3_800, true),
    ("業界新聞 定期購読（4月分）", 1, 4_900, true),
    ("出張交通費 東京⇔大阪 新幹線往復", 1, 29_340, false),
    ("年間契約割引", 1, -5_000, false),
];

/// An invoice with `n` lines cycling through the sample items, with consistent per-rate
/// totals (tax rounded down per rate, as the caller would compute it).
pub fn invoice(n: usize) -> InvoiceDocument {
    let lines: Vec<Line> = (0..n)
        .map(|i| {
            let (desc, quantity, unit_price, reduced_rate) = ITEMS[i % ITEMS.len()];
            let description = if i < ITEMS.len() { desc.to_string() } else { format!("{desc} #{}", i / ITEMS.len() + 1) };
            Line { description, quantity, unit_price, amount: quantity * unit_price, reduced_rate }
        })
        .collect();
    let sum = |reduced: bool| -> i64 { lines.iter().filter(|l| l.reduced_rate == reduced).map(|l| l.amount).sum() };
    let mut tax_summary = Vec::new();
    if lines.iter().any(|l| !l.reduced_rate) {
        let subtotal = sum(false);
        tax_summary.push(TaxRow { rate_percent: 10, subtotal, tax: subtotal * 10 / 100 });
    }
    if lines.iter().any(|l| l.reduced_rate) {
        let subtotal = sum(true);
        tax_summary.push(TaxRow { rate_percent: 8, subtotal, tax: subtotal * 8 / 100 });
    }
    let total = tax_summary.iter().map(|r| r.subtotal + r.tax).sum();
    InvoiceDocument {
        invoice_number: "INV-2025-000123".to_string(),
        issue_date: "2025年4月30日".to_string(),
        transaction_period: "2025年4月分".to_string(),
        due_date: "2025年5月31日".to_string(),
        recipient: Recipient {
            company_name: "株式会社山田商事".to_string(),
            postal_code: "530-0001".to_string(),
            address: "大阪府大阪市北区梅田三丁目1番1号 梅田スクエアビル12階".to_string(),
        },
        issuer: Issuer {
            name: "株式会社セイキュウ・ソリューションズ".to_string(),
            registration_number: "T1234567890123".to_string(),
            address: "〒150-0043 東京都渋谷区道玄坂一丁目2番3号 サンプルビル8階 TEL 03-1234-5678".to_string(),
            bank_details: "みずほ銀行 渋谷支店（店番 210）\n普通預金 1234567\n口座名義 カ）セイキュウソリューションズ".to_string(),
        },
        lines,
        tax_summary,
        total,
        notes: Some(
            "振込手数料は貴社にてご負担くださいますようお願い申し上げます。\nご不明な点がございましたら担当（経理部 佐藤）までお問い合わせください。"
                .to_string(),
        ),
    }
}
