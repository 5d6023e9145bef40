//! Page layout: measures and wraps everything first, paginates the line table, then draws each
//! page with krilla. Coordinates are PDF points with the origin at the top-left (krilla's
//! convention), y growing downwards; text is positioned by its baseline.

use std::ops::Range;

use krilla::color::rgb;
use krilla::configure::Configuration;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::KrillaGlyph;
use krilla::{Document, SerializeSettings};

use crate::font::Face;
use crate::format::{format_int, format_yen};
use crate::{InvoiceDocument, RenderError};

// A4 portrait.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 40.0;
const RIGHT: f32 = PAGE_W - 40.0;
const CONTENT_W: f32 = RIGHT - LEFT;
/// Nothing but the page number goes below this.
const BOTTOM: f32 = PAGE_H - 46.0;

// Table columns (x of each column's left edge; the last one ends at RIGHT).
const COL_NO_W: f32 = 30.0;
const COL_QTY_W: f32 = 58.0;
const COL_UNIT_W: f32 = 88.0;
const COL_AMOUNT_W: f32 = 96.0;
const COL_DESC_W: f32 = CONTENT_W - COL_NO_W - COL_QTY_W - COL_UNIT_W - COL_AMOUNT_W;
const X_DESC: f32 = LEFT + COL_NO_W;
const X_QTY: f32 = X_DESC + COL_DESC_W;
const X_UNIT: f32 = X_QTY + COL_QTY_W;
const X_AMOUNT: f32 = X_UNIT + COL_UNIT_W;
const CELL_PAD: f32 = 6.0;

const TABLE_HEAD_H: f32 = 20.0;
const ROW_H: f32 = 18.0;
const ROW_EXTRA_LINE_H: f32 = 12.0;
const ROW_SIZE: f32 = 9.0;
const MAX_DESC_LINES: usize = 4;

const SUMMARY_W: f32 = 300.0;
const SUMMARY_ROW_H: f32 = 19.0;
const SUMMARY_TOTAL_H: f32 = 25.0;
const FORM_LABEL_W: f32 = 84.0;
const FORM_LINE_H: f32 = 12.5;
const FORM_SIZE: f32 = 9.0;
const MAX_BANK_LINES: usize = 8;
const MAX_NOTE_LINES: usize = 12;

/// Colours as RGB triples (krilla's colour constructor is not `const`).
type Rgb = (u8, u8, u8);
const TEXT: Rgb = (34, 34, 34);
const MUTED: Rgb = (100, 104, 110);
const ACCENT: Rgb = (31, 58, 96);
const LIGHT: Rgb = (234, 239, 245);
const ZEBRA: Rgb = (246, 248, 251);
const RULE: Rgb = (188, 195, 204);
const WHITE: Rgb = (255, 255, 255);

pub(crate) fn render(face: &Face, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
    let plan = Plan::new(face, doc);
    let settings = SerializeSettings {
        // No XMP packet: smaller and faster, and nothing in it would be time-dependent anyway.
        xmp_metadata: false,
        enable_tagging: false,
        compress_content_streams: true,
        ascii_compatible: false,
        pretty: false,
        no_device_cs: false,
        configuration: Configuration::default(),
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    // Fixed metadata: no dates, IDs derived from the content and the invoice number only.
    document.set_metadata(
        Metadata::new()
            .title(format!("請求書 {}", doc.invoice_number))
            .creator("seikyu".to_string())
            .language("ja".to_string())
            .document_id(format!("seikyu-invoice:{}", doc.invoice_number)),
    );
    let page_settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Pdf("invalid page size".to_string()))?;
    let mut pen = Pen { face, glyphs: Vec::with_capacity(128), run_text: String::with_capacity(128) };
    let page_count = plan.pages.len();
    for (index, rows) in plan.pages.iter().enumerate() {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        let ctx = PageCtx { number: index + 1, count: page_count, rows: rows.clone() };
        plan.draw_page(&mut pen, &mut surface, doc, &ctx);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| RenderError::Pdf(e.to_string()))
}

struct PageCtx {
    number: usize,
    count: usize,
    rows: Range<usize>,
}

/// Everything measured and wrapped, and the table split into pages.
struct Plan {
    first: FirstHeader,
    rows: Vec<Row>,
    any_reduced: bool,
    footer: Footer,
    pages: Vec<Range<usize>>,
}

struct FirstHeader {
    recipient_lines: Vec<String>,
    company_lines: Vec<String>,
    company_size: f32,
    issuer_name: Vec<String>,
    issuer_address: Vec<String>,
    /// y of the top of the line table on page 1.
    table_top: f32,
    /// y where the left (recipient) and right (issuer) blocks end.
    blocks_bottom: f32,
}

struct Row {
    desc: Vec<String>,
    height: f32,
}

struct Footer {
    bank: Vec<String>,
    notes: Vec<String>,
    height: f32,
}

const CONT_TABLE_TOP: f32 = 104.0;

impl Plan {
    fn new(face: &Face, doc: &InvoiceDocument) -> Plan {
        let first = FirstHeader::new(face, doc);
        let desc_w = COL_DESC_W - 2.0 * CELL_PAD;
        let rows: Vec<Row> = doc
            .lines
            .iter()
            .map(|line| {
                let desc = if line.reduced_rate {
                    // A full-width closing bracket already leaves space before the mark.
                    let sep = if line.description.ends_with(['）', '」', '』', '】', '〕']) { "" } else { " " };
                    wrap(face, &format!("{}{sep}※", line.description), ROW_SIZE, desc_w, MAX_DESC_LINES)
                } else {
                    wrap(face, &line.description, ROW_SIZE, desc_w, MAX_DESC_LINES)
                };
                let extra = desc.len().saturating_sub(1) as f32;
                Row { desc, height: ROW_H + extra * ROW_EXTRA_LINE_H }
            })
            .collect();
        let any_reduced = doc.lines.iter().any(|l| l.reduced_rate);
        let footer = Footer::new(face, doc, any_reduced);
        let heights: Vec<f32> = rows.iter().map(|r| r.height).collect();
        let pages = paginate(&heights, first.table_top, footer.height);
        Plan { first, rows, any_reduced, footer, pages }
    }

    fn draw_page(&self, pen: &mut Pen<'_>, s: &mut Surface<'_>, doc: &InvoiceDocument, ctx: &PageCtx) {
        let table_top = if ctx.number == 1 {
            self.draw_first_header(pen, s, doc);
            self.first.table_top
        } else {
            draw_continuation_header(pen, s, doc);
            CONT_TABLE_TOP
        };
        let rows_top = draw_table_head(pen, s, table_top);
        // Backgrounds and rules of all rows as one path each, then the rows' text.
        let mut zebra = PathBuilder::new();
        let mut rules = PathBuilder::new();
        let mut y = rows_top;
        for i in ctx.rows.clone() {
            let h = self.rows.get(i).map_or(ROW_H, |r| r.height);
            if i % 2 == 1
                && let Some(rect) = Rect::from_xywh(LEFT, y, CONTENT_W, h)
            {
                zebra.push_rect(rect);
            }
            rules.move_to(LEFT, y + h);
            rules.line_to(RIGHT, y + h);
            y += h;
        }
        if let Some(path) = zebra.finish() {
            s.set_stroke(None);
            s.set_fill(Some(fill(ZEBRA)));
            s.draw_path(&path);
        }
        if let Some(path) = rules.finish() {
            s.set_fill(None);
            s.set_stroke(Some(stroke(0.5, RULE)));
            s.draw_path(&path);
        }
        let mut y = rows_top;
        for i in ctx.rows.clone() {
            if let (Some(row), Some(line)) = (self.rows.get(i), doc.lines.get(i)) {
                y = draw_row_text(pen, s, y, i, row, line);
            }
        }
        if ctx.number == ctx.count {
            self.draw_footer(pen, s, doc, y);
        } else {
            pen.right(s, RIGHT, y + 13.0, "次ページへ続く", 8.0, MUTED);
        }
        draw_page_number(pen, s, ctx.number, ctx.count);
    }

    fn draw_first_header(&self, pen: &mut Pen<'_>, s: &mut Surface<'_>, doc: &InvoiceDocument) {
        let h = &self.first;
        // Title and double rule.
        pen.center(s, PAGE_W / 2.0, 62.0, "請求書", 22.0, ACCENT);
        hline(s, LEFT, RIGHT, 74.0, 1.6, ACCENT);
        hline(s, LEFT, RIGHT, 77.5, 0.5, ACCENT);

        // Invoice number and issue date, top right.
        let meta_x = RIGHT - META_W;
        for (i, (label, value)) in [("請求書番号", doc.invoice_number.as_str()), ("発行日", doc.issue_date.as_str())].into_iter().enumerate() {
            let base = 98.0 + 15.0 * i as f32;
            pen.text(s, meta_x, base, label, 8.5, MUTED);
            pen.right(s, RIGHT, base, value, 9.0, TEXT);
            hline(s, meta_x, RIGHT, base + 4.5, 0.5, RULE);
        }

        // Recipient, top left.
        let mut y = 98.0;
        for line in &h.recipient_lines {
            pen.text(s, LEFT, y, line, 9.0, TEXT);
            y += 13.0;
        }
        y += 12.0 + h.company_size * 0.4;
        for line in &h.company_lines {
            pen.text(s, LEFT, y, line, h.company_size, TEXT);
            y += h.company_size * 1.3;
        }
        hline(s, LEFT, LEFT + RECIPIENT_W, y - h.company_size * 1.3 + 6.0, 0.9, TEXT);

        // Issuer, right column under the meta block.
        let mut y = ISSUER_TOP;
        for line in &h.issuer_name {
            pen.text(s, meta_x, y, line, 11.0, TEXT);
            y += 15.0;
        }
        y += 1.0;
        for line in &h.issuer_address {
            pen.text(s, meta_x, y, line, 8.5, TEXT);
            y += 12.0;
        }
        pen.text(s, meta_x, y, &format!("登録番号 {}", doc.issuer.registration_number), 8.5, TEXT);

        // Greeting, amount box, period / due date.
        let y = h.blocks_bottom;
        pen.text(s, LEFT, y + 10.0, "下記のとおりご請求申し上げます。", 9.0, TEXT);
        let box_top = y + 20.0;
        let box_h = 36.0;
        let box_w = 280.0;
        let label_w = 88.0;
        fill_rect(s, LEFT, box_top, label_w, box_h, ACCENT);
        stroke_rect(s, LEFT, box_top, box_w, box_h, 1.0, ACCENT);
        pen.center(s, LEFT + label_w / 2.0, box_top + 22.0, "ご請求金額", 10.5, WHITE);
        pen.right(s, LEFT + box_w - 8.0, box_top + 23.5, "(税込)", 8.0, MUTED);
        let tax_incl_w = pen.face.width("(税込)", 8.0) + 12.0;
        pen.right(s, LEFT + box_w - 8.0 - tax_incl_w, box_top + 24.5, &format_yen(doc.total), 17.0, TEXT);

        let mx = RIGHT - META_W;
        let row_h = box_h / 2.0;
        for (i, (label, value)) in [("取引年月", doc.transaction_period.as_str()), ("お支払期限", doc.due_date.as_str())].into_iter().enumerate() {
            let top = box_top + row_h * i as f32;
            fill_rect(s, mx, top, 72.0, row_h, LIGHT);
            stroke_rect(s, mx, top, META_W, row_h, 0.6, RULE);
            pen.text(s, mx + 6.0, top + 12.5, label, 8.5, TEXT);
            pen.text(s, mx + 80.0, top + 12.5, value, 9.0, TEXT);
        }
    }

    fn draw_footer(&self, pen: &mut Pen<'_>, s: &mut Surface<'_>, doc: &InvoiceDocument, y: f32) {
        let top = y + FOOTER_GAP;
        if self.any_reduced {
            pen.text(s, LEFT, top + 12.0, "※は軽減税率対象", 8.5, MUTED);
        }
        // Per-rate summary: "10%対象 ¥100,000  消費税 ¥10,000".
        let sx = RIGHT - SUMMARY_W;
        let mut ry = top;
        for row in &doc.tax_summary {
            stroke_rect(s, sx, ry, SUMMARY_W, SUMMARY_ROW_H, 0.6, RULE);
            let base = ry + 13.0;
            pen.text(s, sx + 8.0, base, &format!("{}%対象", row.rate_percent), 9.0, TEXT);
            pen.right(s, sx + 150.0, base, &format_yen(row.subtotal), 9.0, TEXT);
            pen.text(s, sx + 168.0, base, "消費税", 9.0, TEXT);
            pen.right(s, RIGHT - 8.0, base, &format_yen(row.tax), 9.0, TEXT);
            ry += SUMMARY_ROW_H;
        }
        fill_rect(s, sx, ry, SUMMARY_W, SUMMARY_TOTAL_H, LIGHT);
        stroke_rect(s, sx, ry, SUMMARY_W, SUMMARY_TOTAL_H, 0.8, ACCENT);
        pen.text(s, sx + 8.0, ry + 17.0, "合計金額(税込)", 10.0, TEXT);
        pen.right(s, RIGHT - 8.0, ry + 17.5, &format_yen(doc.total), 12.0, TEXT);
        ry += SUMMARY_TOTAL_H;

        // Bank details on the left, beside the summary.
        let mut by = top;
        if self.any_reduced {
            by += REDUCED_NOTE_H;
        }
        fill_rect(s, LEFT, by, BANK_W, BANK_HEAD_H, LIGHT);
        stroke_rect(s, LEFT, by, BANK_W, bank_box_height(self.footer.bank.len()), 0.6, RULE);
        pen.text(s, LEFT + CELL_PAD, by + 11.5, "お振込先", 8.5, TEXT);
        let mut ly = by + BANK_HEAD_H + 12.5;
        for line in &self.footer.bank {
            pen.text(s, LEFT + CELL_PAD, ly, line, FORM_SIZE, TEXT);
            ly += FORM_LINE_H;
        }
        let left_bottom = by + bank_box_height(self.footer.bank.len());

        if !self.footer.notes.is_empty() {
            form_row(pen, s, ry.max(left_bottom) + NOTES_GAP, "備考", &self.footer.notes);
        }
    }
}

const META_W: f32 = 200.0;
const RECIPIENT_W: f32 = 290.0;
const ISSUER_TOP: f32 = 142.0;
const FOOTER_GAP: f32 = 10.0;
const NOTES_GAP: f32 = 12.0;
const REDUCED_NOTE_H: f32 = 16.0;
const BANK_W: f32 = CONTENT_W - SUMMARY_W - 16.0;
const BANK_HEAD_H: f32 = 16.0;

impl FirstHeader {
    fn new(face: &Face, doc: &InvoiceDocument) -> FirstHeader {
        let r = &doc.recipient;
        let mut recipient_lines = Vec::new();
        let postal = r.postal_code.trim();
        if !postal.is_empty() {
            if postal.starts_with('〒') {
                recipient_lines.push(postal.to_string());
            } else {
                recipient_lines.push(format!("〒{postal}"));
            }
        }
        recipient_lines.extend(wrap(face, &r.address, 9.0, RECIPIENT_W, 3));
        let company = format!("{} 御中", r.company_name);
        let (company_size, company_lines) = fit(face, &company, 15.0, 10.0, RECIPIENT_W, 2);
        let issuer_name = wrap(face, &doc.issuer.name, 11.0, META_W, 2);
        let issuer_address = wrap(face, &doc.issuer.address, 8.5, META_W, 3);

        let left_bottom = 98.0 + 13.0 * recipient_lines.len() as f32 + 12.0 + company_size * 0.4 + company_size * 1.3 * company_lines.len() as f32;
        let right_bottom = ISSUER_TOP + 15.0 * issuer_name.len() as f32 + 1.0 + 12.0 * issuer_address.len() as f32 + 4.0;
        let blocks_bottom = left_bottom.max(right_bottom) + 6.0;
        // Greeting (20) + amount box (36) + gap.
        let table_top = blocks_bottom + 20.0 + 36.0 + 22.0;
        FirstHeader { recipient_lines, company_lines, company_size, issuer_name, issuer_address, table_top, blocks_bottom }
    }
}

impl Footer {
    fn new(face: &Face, doc: &InvoiceDocument, any_reduced: bool) -> Footer {
        let bank_w = BANK_W - 2.0 * CELL_PAD;
        let bank = wrap(face, &doc.issuer.bank_details, FORM_SIZE, bank_w, MAX_BANK_LINES);
        let notes_w = CONTENT_W - FORM_LABEL_W - 2.0 * CELL_PAD - 4.0;
        let notes = match &doc.notes {
            Some(n) if !n.trim().is_empty() => wrap(face, n.trim(), FORM_SIZE, notes_w, MAX_NOTE_LINES),
            _ => Vec::new(),
        };
        let summary_h = doc.tax_summary.len() as f32 * SUMMARY_ROW_H + SUMMARY_TOTAL_H;
        let left_h = if any_reduced { REDUCED_NOTE_H } else { 0.0 } + bank_box_height(bank.len());
        let mut height = FOOTER_GAP + summary_h.max(left_h);
        if !notes.is_empty() {
            height += NOTES_GAP + form_row_height(notes.len());
        }
        Footer { bank, notes, height }
    }
}

fn bank_box_height(lines: usize) -> f32 {
    BANK_HEAD_H + lines.max(1) as f32 * FORM_LINE_H + 7.0
}

fn form_row_height(lines: usize) -> f32 {
    lines.max(1) as f32 * FORM_LINE_H + 10.0
}

fn form_row(pen: &mut Pen<'_>, s: &mut Surface<'_>, top: f32, label: &str, lines: &[String]) -> f32 {
    let h = form_row_height(lines.len());
    fill_rect(s, LEFT, top, FORM_LABEL_W, h, LIGHT);
    stroke_rect(s, LEFT, top, CONTENT_W, h, 0.6, RULE);
    vline(s, LEFT + FORM_LABEL_W, top, top + h, 0.6, RULE);
    pen.text(s, LEFT + CELL_PAD, top + 14.0, label, 9.0, TEXT);
    let mut y = top + 14.0;
    for line in lines {
        pen.text(s, LEFT + FORM_LABEL_W + CELL_PAD + 2.0, y, line, FORM_SIZE, TEXT);
        y += FORM_LINE_H;
    }
    top + h
}

/// "n / m", centred at the bottom. The three parts are placed with clear gaps (the font's
/// space is narrow) so that text extraction reads "n / m" with its spaces.
fn draw_page_number(pen: &mut Pen<'_>, s: &mut Surface<'_>, number: usize, count: usize) {
    const SIZE: f32 = 8.5;
    let (n, m) = (number.to_string(), count.to_string());
    let gap = 0.5 * SIZE;
    let (wn, ws, wm) = (pen.face.width(&n, SIZE), pen.face.width("/", SIZE), pen.face.width(&m, SIZE));
    let mut x = PAGE_W / 2.0 - (wn + ws + wm + 2.0 * gap) / 2.0;
    let y = PAGE_H - 28.0;
    pen.text(s, x, y, &n, SIZE, MUTED);
    x += wn + gap;
    pen.text(s, x, y, "/", SIZE, MUTED);
    x += ws + gap;
    pen.text(s, x, y, &m, SIZE, MUTED);
}

fn draw_continuation_header(pen: &mut Pen<'_>, s: &mut Surface<'_>, doc: &InvoiceDocument) {
    pen.text(s, LEFT, 60.0, "請求書", 16.0, ACCENT);
    pen.right(s, RIGHT, 50.0, &format!("請求書番号 {}", doc.invoice_number), 8.5, TEXT);
    pen.right(s, RIGHT, 63.0, &format!("発行日 {}", doc.issue_date), 8.5, TEXT);
    let company = format!("{} 御中", doc.recipient.company_name);
    let (size, lines) = fit(pen.face, &company, 9.5, 7.0, 270.0, 1);
    if let Some(line) = lines.first() {
        pen.text(s, LEFT, 84.0, line, size, TEXT);
    }
    let issuer = format!("{}  登録番号 {}", doc.issuer.name, doc.issuer.registration_number);
    let (size, lines) = fit(pen.face, &issuer, 8.5, 6.5, 230.0, 1);
    if let Some(line) = lines.first() {
        pen.right(s, RIGHT, 84.0, line, size, TEXT);
    }
    hline(s, LEFT, RIGHT, 92.0, 1.2, ACCENT);
}

/// Draws the table header band; returns the y where rows start.
fn draw_table_head(pen: &mut Pen<'_>, s: &mut Surface<'_>, top: f32) -> f32 {
    fill_rect(s, LEFT, top, CONTENT_W, TABLE_HEAD_H, ACCENT);
    let base = top + 13.5;
    let size = 8.5;
    pen.center(s, LEFT + COL_NO_W / 2.0, base, "No.", size, WHITE);
    pen.center(s, X_DESC + COL_DESC_W / 2.0, base, "品名", size, WHITE);
    pen.center(s, X_QTY + COL_QTY_W / 2.0, base, "数量", size, WHITE);
    pen.center(s, X_UNIT + COL_UNIT_W / 2.0, base, "単価", size, WHITE);
    pen.center(s, X_AMOUNT + COL_AMOUNT_W / 2.0, base, "金額", size, WHITE);
    top + TABLE_HEAD_H
}

fn draw_row_text(pen: &mut Pen<'_>, s: &mut Surface<'_>, top: f32, index: usize, row: &Row, line: &crate::Line) -> f32 {
    let base = top + 12.6;
    pen.center(s, LEFT + COL_NO_W / 2.0, base, &(index + 1).to_string(), 8.0, MUTED);
    // The first description line and the three numbers in one text run.
    let (qty, unit, amount) = (format_int(line.quantity), format_yen(line.unit_price), format_yen(line.amount));
    let first = row.desc.first().map_or("", String::as_str);
    let w = |t: &str| pen.face.width(t, ROW_SIZE);
    let segments = [
        (X_DESC + CELL_PAD, first),
        (X_UNIT - CELL_PAD - w(&qty), qty.as_str()),
        (X_AMOUNT - CELL_PAD - w(&unit), unit.as_str()),
        (RIGHT - CELL_PAD - w(&amount), amount.as_str()),
    ];
    pen.run(s, base, &segments, ROW_SIZE, TEXT);
    let mut y = base;
    for l in row.desc.iter().skip(1) {
        y += ROW_EXTRA_LINE_H;
        pen.text(s, X_DESC + CELL_PAD, y, l, ROW_SIZE, TEXT);
    }
    top + row.height
}

/// Splits rows into pages: page 1's table starts at `first_top`, later pages' at
/// `CONT_TABLE_TOP`. The footer (totals, bank details) must follow the last row on the last
/// page, so when it does not fit there the last row moves to a new page with it.
fn paginate(heights: &[f32], first_top: f32, footer_h: f32) -> Vec<Range<usize>> {
    let n = heights.len();
    let mut pages = Vec::new();
    let mut start = 0;
    loop {
        let top = if pages.is_empty() { first_top } else { CONT_TABLE_TOP };
        let avail = BOTTOM - top - TABLE_HEAD_H;
        let mut used = 0.0;
        let mut end = start;
        while end < n && used + heights[end] <= avail {
            used += heights[end];
            end += 1;
        }
        if end == start && end < n {
            // A row taller than a page cannot happen with the line caps; progress regardless.
            end += 1;
        }
        if end < n {
            pages.push(start..end);
            start = end;
            continue;
        }
        if used + footer_h <= avail {
            pages.push(start..end);
            break;
        }
        if end - start >= 2 {
            pages.push(start..end - 1);
            start = end - 1;
            continue;
        }
        // Nothing left to move (the footer caps make this unreachable in practice): the footer
        // goes on a page of its own after the table.
        pages.push(start..end);
        pages.push(end..end);
        break;
    }
    pages
}

/// Draws text with the one face; keeps a glyph buffer across calls.
struct Pen<'f> {
    face: &'f Face,
    glyphs: Vec<KrillaGlyph>,
    run_text: String,
}

impl Pen<'_> {
    fn text(&mut self, s: &mut Surface<'_>, x: f32, baseline: f32, text: &str, size: f32, color: Rgb) {
        if text.is_empty() {
            return;
        }
        self.face.glyphs_into(text, &mut self.glyphs);
        s.set_stroke(None);
        s.set_fill(Some(fill(color)));
        s.draw_glyphs(Point::from_xy(x, baseline), &self.glyphs, self.face.font.clone(), text, size, false);
    }

    /// Draws several pieces of text on one baseline as a single text run: `segments` are
    /// (left x, text) in increasing x. Falls back to one run per piece if they overlap.
    fn run(&mut self, s: &mut Surface<'_>, baseline: f32, segments: &[(f32, &str)], size: f32, color: Rgb) {
        self.glyphs.clear();
        self.run_text.clear();
        let mut start = None;
        let mut pen_x = 0.0;
        for &(x, text) in segments {
            if text.is_empty() {
                continue;
            }
            match (start, self.glyphs.last_mut()) {
                (Some(_), Some(last)) => {
                    let gap = x - pen_x;
                    if gap < 0.0 {
                        for &(x, text) in segments {
                            self.text(s, x, baseline, text, size, color);
                        }
                        return;
                    }
                    last.x_advance += gap / size;
                }
                _ => start = Some(x),
            }
            let offset = self.run_text.len();
            self.run_text.push_str(text);
            self.face.append_glyphs(text, offset, &mut self.glyphs);
            pen_x = x + self.face.width(text, size);
        }
        let Some(x) = start else { return };
        s.set_stroke(None);
        s.set_fill(Some(fill(color)));
        s.draw_glyphs(Point::from_xy(x, baseline), &self.glyphs, self.face.font.clone(), &self.run_text, size, false);
    }

    fn right(&mut self, s: &mut Surface<'_>, right: f32, baseline: f32, text: &str, size: f32, color: Rgb) {
        let w = self.face.width(text, size);
        self.text(s, right - w, baseline, text, size, color);
    }

    fn center(&mut self, s: &mut Surface<'_>, center: f32, baseline: f32, text: &str, size: f32, color: Rgb) {
        let w = self.face.width(text, size);
        self.text(s, center - w / 2.0, baseline, text, size, color);
    }
}

fn fill(color: Rgb) -> Fill {
    Fill { paint: rgb::Color::new(color.0, color.1, color.2).into(), opacity: NormalizedF32::ONE, rule: FillRule::NonZero }
}

fn stroke(width: f32, color: Rgb) -> Stroke {
    Stroke { paint: rgb::Color::new(color.0, color.1, color.2).into(), width, ..Stroke::default() }
}

fn hline(s: &mut Surface<'_>, x0: f32, x1: f32, y: f32, width: f32, color: Rgb) {
    line(s, x0, y, x1, y, width, color);
}

fn vline(s: &mut Surface<'_>, x: f32, y0: f32, y1: f32, width: f32, color: Rgb) {
    line(s, x, y0, x, y1, width, color);
}

fn line(s: &mut Surface<'_>, x0: f32, y0: f32, x1: f32, y1: f32, width: f32, color: Rgb) {
    let mut pb = PathBuilder::new();
    pb.move_to(x0, y0);
    pb.line_to(x1, y1);
    if let Some(path) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(stroke(width, color)));
        s.draw_path(&path);
    }
}

fn fill_rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            s.set_stroke(None);
            s.set_fill(Some(fill(color)));
            s.draw_path(&path);
        }
    }
}

fn stroke_rect(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, width: f32, color: Rgb) {
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            s.set_fill(None);
            s.set_stroke(Some(stroke(width, color)));
            s.draw_path(&path);
        }
    }
}

/// Shrinks `text` from `size` down to `min_size` to fit one line of `max_w`; below that, wraps
/// at `min_size` into at most `max_lines`.
fn fit(face: &Face, text: &str, size: f32, min_size: f32, max_w: f32, max_lines: usize) -> (f32, Vec<String>) {
    let w = face.width(text, size);
    if w <= max_w {
        return (size, vec![text.to_string()]);
    }
    let scaled = size * max_w / w;
    if scaled >= min_size {
        // Round down a little so rounding never pushes it over.
        return ((scaled * 10.0).floor() / 10.0, vec![text.to_string()]);
    }
    (min_size, wrap(face, text, min_size, max_w, max_lines))
}

/// Characters that must not start a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '．'
            | ','
            | '.'
            | '）'
            | ')'
            | '」'
            | '』'
            | '】'
            | '〕'
            | '］'
            | ']'
            | '！'
            | '？'
            | '!'
            | '?'
            | 'ー'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | '々'
            | '…'
            | '：'
            | ':'
            | '；'
            | ';'
            | '・'
            | '※'
    )
}

/// Breakable units: a run of ASCII non-space characters is one word; a space is one unit; any
/// other character is its own unit; characters that may not start a line join the unit before.
fn units(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut prev_word = false;
    for (i, c) in text.char_indices() {
        let word = c.is_ascii_graphic() && !no_line_start(c);
        let join = (word && prev_word) || (i > 0 && no_line_start(c) && c != ' ');
        if !join && i > start {
            out.push(&text[start..i]);
            start = i;
        }
        prev_word = word;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Wraps `text` (hard breaks at '\n') into lines no wider than `max_w` at `size`; keeps at
/// most `max_lines`, ending the last kept line with "…" when text was cut.
fn wrap(face: &Face, text: &str, size: f32, max_w: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let para = para.trim_end_matches('\r').trim_end();
        let mut line = String::new();
        let mut w = 0.0;
        for unit in units(para) {
            let uw = face.width(unit, size);
            if w + uw <= max_w {
                if !(line.is_empty() && unit == " ") {
                    line.push_str(unit);
                    w += uw;
                }
                continue;
            }
            if unit.trim().is_empty() {
                // A space at the break: the line ends here.
                lines.push(std::mem::take(&mut line));
                w = 0.0;
                continue;
            }
            if !line.is_empty() {
                // Prefer breaking at a space late in the line ("…2番3号 サンプルビル" breaks
                // before "サンプルビル" rather than inside it).
                let carry = match line.rfind(' ') {
                    Some(k) if k > 0 && face.width(&line[..k], size) >= 0.6 * max_w && face.width(&line[k + 1..], size) + uw <= max_w => {
                        let rest = line[k + 1..].to_string();
                        line.truncate(k);
                        rest
                    }
                    _ => String::new(),
                };
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                w = face.width(&carry, size);
                line = carry;
            }
            if w + uw <= max_w {
                line.push_str(unit);
                w += uw;
            } else {
                // Longer than a whole line: break it between characters.
                for c in unit.chars() {
                    let cw = face.char_width(c, size);
                    if w + cw > max_w && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push(c);
                    w += cw;
                }
            }
        }
        lines.push(line);
    }
    // Drop trailing empty lines (a trailing newline in the input).
    while lines.len() > 1 && lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if lines.len() > max_lines.max(1) {
        lines.truncate(max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            let ell = face.width("…", size);
            while !last.is_empty() && face.width(last, size) + ell > max_w {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_keeps_footer_with_last_row() {
        let first_top = 300.0;
        let heights = vec![ROW_H; 150];
        let pages = paginate(&heights, first_top, 200.0);
        assert!(pages.len() > 1);
        // Contiguous, complete, and the last page has rows.
        assert_eq!(pages[0].start, 0);
        for w in pages.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        let last = pages.last().unwrap();
        assert_eq!(last.end, 150);
        assert!(!last.is_empty());
        let used: f32 = heights[last.clone()].iter().sum();
        assert!(used + 200.0 <= BOTTOM - CONT_TABLE_TOP - TABLE_HEAD_H);
    }

    #[test]
    fn pagination_no_lines() {
        assert_eq!(paginate(&[], 300.0, 200.0), vec![0..0]);
    }

    #[test]
    fn units_split() {
        assert_eq!(units("Web保守 (4月)"), vec!["Web", "保", "守", " ", "(4", "月)"]);
        assert_eq!(units("りんご、みかん"), vec!["り", "ん", "ご、", "み", "か", "ん"]);
    }
}
