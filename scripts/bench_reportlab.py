"""ReportLab baseline for scripts/bench-pdf: renders the same invoices as the Rust renderer.

Usage: bench_reportlab.py FONT.ttf SECONDS OUT_DIR invoice-20.json invoice-150.json ...

Each JSON file is an invoice written by `cargo run --example bench` (identical data). The layout
mirrors common/pdf/src/layout.rs (same A4 page, header blocks, line table with repeated header,
per-rate summary, bank details, notes, "n / m" page numbers) drawn with the low-level canvas API,
the fastest way to use ReportLab, with the same TTF embedded as a subset. The font is registered
once, outside the timed loop, as the Rust Renderer parses it once.

Prints `reportlab lines=<n> invoices_per_sec=<x> ms_per_invoice=<t> bytes=<size> pages=<p>`.
"""

import io
import json
import sys
import time

from reportlab import rl_config

rl_config.invariant = 1  # no timestamps / random IDs: deterministic output, like the Rust side

from reportlab.lib.colors import Color  # noqa: E402
from reportlab.lib.rl_accel import _c_funcs, _py_funcs  # noqa: E402
from reportlab.lib.utils import simpleSplit  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

PAGE_W, PAGE_H = 595.28, 841.89
LEFT, RIGHT = 40.0, 595.28 - 40.0
CONTENT_W = RIGHT - LEFT
BOTTOM = PAGE_H - 46.0
COL_NO, COL_QTY, COL_UNIT, COL_AMT = 30.0, 58.0, 88.0, 96.0
COL_DESC = CONTENT_W - COL_NO - COL_QTY - COL_UNIT - COL_AMT
X_DESC = LEFT + COL_NO
X_QTY = X_DESC + COL_DESC
X_UNIT = X_QTY + COL_QTY
X_AMT = X_UNIT + COL_UNIT
HEAD_H, ROW_H, EXTRA_H = 20.0, 18.0, 12.0
SUMMARY_W = 300.0
FIRST_TOP, CONT_TOP = 270.0, 104.0
F = "IPAexGothic"


def rgb(r, g, b):
    return Color(r / 255, g / 255, b / 255)


TEXT, MUTED, ACCENT = rgb(34, 34, 34), rgb(100, 104, 110), rgb(31, 58, 96)
LIGHT, ZEBRA, RULE, WHITE = rgb(234, 239, 245), rgb(246, 248, 251), rgb(188, 195, 204), rgb(255, 255, 255)


def yen(n):
    return ("-" if n < 0 else "") + "¥" + f"{abs(n):,}"


class Pen:
    """Top-left coordinates like the Rust layout (ReportLab's origin is bottom-left)."""

    def __init__(self, c):
        self.c = c

    def text(self, x, y, s, size, color=TEXT):
        c = self.c
        c.setFillColor(color)
        c.setFont(F, size)
        c.drawString(x, PAGE_H - y, s)

    def right(self, x, y, s, size, color=TEXT):
        self.c.setFillColor(color)
        self.c.setFont(F, size)
        self.c.drawRightString(x, PAGE_H - y, s)

    def center(self, x, y, s, size, color=TEXT):
        self.c.setFillColor(color)
        self.c.setFont(F, size)
        self.c.drawCentredString(x, PAGE_H - y, s)

    def hline(self, x0, x1, y, w, color):
        self.c.setStrokeColor(color)
        self.c.setLineWidth(w)
        self.c.line(x0, PAGE_H - y, x1, PAGE_H - y)

    def fill_rect(self, x, y, w, h, color):
        self.c.setFillColor(color)
        self.c.rect(x, PAGE_H - y - h, w, h, stroke=0, fill=1)

    def stroke_rect(self, x, y, w, h, lw, color):
        self.c.setStrokeColor(color)
        self.c.setLineWidth(lw)
        self.c.rect(x, PAGE_H - y - h, w, h, stroke=1, fill=0)


def paginate(heights, footer_h):
    pages, start, n = [], 0, len(heights)
    while True:
        top = FIRST_TOP if not pages else CONT_TOP
        avail = BOTTOM - top - HEAD_H
        used, end = 0.0, start
        while end < n and used + heights[end] <= avail:
            used += heights[end]
            end += 1
        if end == start and end < n:
            end += 1
        if end < n:
            pages.append((start, end))
            start = end
            continue
        if used + footer_h <= avail or end - start < 2:
            pages.append((start, end))
            return pages
        pages.append((start, end - 1))
        start = end - 1


def render(doc):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    c.setTitle("請求書 " + doc["invoice_number"])
    p = Pen(c)
    descs = []
    for line in doc["lines"]:
        d = line["description"] + (" ※" if line["reduced_rate"] else "")
        descs.append(simpleSplit(d, F, 9, COL_DESC - 12)[:4])
    heights = [ROW_H + (len(d) - 1) * EXTRA_H for d in descs]
    bank = doc["issuer"]["bank_details"].split("\n")
    notes = simpleSplit(doc["notes"] or "", F, 9, CONTENT_W - 100)
    summary_h = 19 * len(doc["tax_summary"]) + 25
    footer_h = 10 + max(summary_h, 16 + 16 + 12.5 * len(bank) + 7) + (12 + 12.5 * len(notes) + 10 if notes else 0)
    pages = paginate(heights, footer_h)
    count = len(pages)
    any_reduced = any(line["reduced_rate"] for line in doc["lines"])
    for number, (start, end) in enumerate(pages, 1):
        if number == 1:
            p.center(PAGE_W / 2, 62, "請求書", 22, ACCENT)
            p.hline(LEFT, RIGHT, 74, 1.6, ACCENT)
            p.hline(LEFT, RIGHT, 77.5, 0.5, ACCENT)
            mx = RIGHT - 200
            for i, (label, value) in enumerate([("請求書番号", doc["invoice_number"]), ("発行日", doc["issue_date"])]):
                y = 98 + 15 * i
                p.text(mx, y, label, 8.5, MUTED)
                p.right(RIGHT, y, value, 9)
                p.hline(mx, RIGHT, y + 4.5, 0.5, RULE)
            r = doc["recipient"]
            y = 98
            for s in ["〒" + r["postal_code"]] + simpleSplit(r["address"], F, 9, 290)[:3]:
                p.text(LEFT, y, s, 9)
                y += 13
            y += 18
            p.text(LEFT, y, r["company_name"] + " 御中", 15)
            p.hline(LEFT, LEFT + 290, y + 6, 0.9, TEXT)
            iss = doc["issuer"]
            y = 142
            p.text(mx, y, iss["name"], 11)
            y += 16
            for s in simpleSplit(iss["address"], F, 8.5, 200)[:3]:
                p.text(mx, y, s, 8.5)
                y += 12
            p.text(mx, y, "登録番号 " + iss["registration_number"], 8.5)
            p.text(LEFT, 202, "下記のとおりご請求申し上げます。", 9)
            top = 212
            p.fill_rect(LEFT, top, 88, 36, ACCENT)
            p.stroke_rect(LEFT, top, 280, 36, 1, ACCENT)
            p.center(LEFT + 44, top + 22, "ご請求金額", 10.5, WHITE)
            p.right(LEFT + 272, top + 23.5, "(税込)", 8, MUTED)
            p.right(LEFT + 232, top + 24.5, yen(doc["total"]), 17)
            for i, (label, value) in enumerate([("取引年月", doc["transaction_period"]), ("お支払期限", doc["due_date"])]):
                t = top + 18 * i
                p.fill_rect(mx, t, 72, 18, LIGHT)
                p.stroke_rect(mx, t, 200, 18, 0.6, RULE)
                p.text(mx + 6, t + 12.5, label, 8.5)
                p.text(mx + 80, t + 12.5, value, 9)
            table_top = FIRST_TOP
        else:
            p.text(LEFT, 60, "請求書", 16, ACCENT)
            p.right(RIGHT, 50, "請求書番号 " + doc["invoice_number"], 8.5)
            p.right(RIGHT, 63, "発行日 " + doc["issue_date"], 8.5)
            p.text(LEFT, 84, doc["recipient"]["company_name"] + " 御中", 9.5)
            p.right(RIGHT, 84, doc["issuer"]["name"] + "  登録番号 " + doc["issuer"]["registration_number"], 8.5)
            p.hline(LEFT, RIGHT, 92, 1.2, ACCENT)
            table_top = CONT_TOP
        p.fill_rect(LEFT, table_top, CONTENT_W, HEAD_H, ACCENT)
        for x, label in [(LEFT + COL_NO / 2, "No."), (X_DESC + COL_DESC / 2, "品名"), (X_QTY + COL_QTY / 2, "数量"),
                         (X_UNIT + COL_UNIT / 2, "単価"), (X_AMT + COL_AMT / 2, "金額")]:
            p.center(x, table_top + 13.5, label, 8.5, WHITE)
        y = table_top + HEAD_H
        for i in range(start, end):
            line, h = doc["lines"][i], heights[i]
            if i % 2 == 1:
                p.fill_rect(LEFT, y, CONTENT_W, h, ZEBRA)
            p.hline(LEFT, RIGHT, y + h, 0.5, RULE)
            base = y + 12.6
            p.center(LEFT + COL_NO / 2, base, str(i + 1), 8, MUTED)
            for k, s in enumerate(descs[i]):
                p.text(X_DESC + 6, base + k * EXTRA_H, s, 9)
            p.right(X_UNIT - 6, base, f"{line['quantity']:,}", 9)
            p.right(X_AMT - 6, base, yen(line["unit_price"]), 9)
            p.right(RIGHT - 6, base, yen(line["amount"]), 9)
            y += h
        if number == count:
            top = y + 10
            if any_reduced:
                p.text(LEFT, top + 12, "※は軽減税率対象", 8.5, MUTED)
            sx, ry = RIGHT - SUMMARY_W, top
            for row in doc["tax_summary"]:
                p.stroke_rect(sx, ry, SUMMARY_W, 19, 0.6, RULE)
                p.text(sx + 8, ry + 13, f"{row['rate_percent']}%対象", 9)
                p.right(sx + 150, ry + 13, yen(row["subtotal"]), 9)
                p.text(sx + 168, ry + 13, "消費税", 9)
                p.right(RIGHT - 8, ry + 13, yen(row["tax"]), 9)
                ry += 19
            p.fill_rect(sx, ry, SUMMARY_W, 25, LIGHT)
            p.stroke_rect(sx, ry, SUMMARY_W, 25, 0.8, ACCENT)
            p.text(sx + 8, ry + 17, "合計金額(税込)", 10)
            p.right(RIGHT - 8, ry + 17.5, yen(doc["total"]), 12)
            ry += 25
            by = top + (16 if any_reduced else 0)
            bank_h = 16 + 12.5 * len(bank) + 7
            p.fill_rect(LEFT, by, SUMMARY_W - 100, 16, LIGHT)
            p.stroke_rect(LEFT, by, CONTENT_W - SUMMARY_W - 16, bank_h, 0.6, RULE)
            p.text(LEFT + 6, by + 11.5, "お振込先", 8.5)
            for k, s in enumerate(bank):
                p.text(LEFT + 6, by + 28.5 + 12.5 * k, s, 9)
            if notes:
                ny = max(ry, by + bank_h) + 12
                nh = 12.5 * len(notes) + 10
                p.fill_rect(LEFT, ny, 84, nh, LIGHT)
                p.stroke_rect(LEFT, ny, CONTENT_W, nh, 0.6, RULE)
                p.text(LEFT + 6, ny + 14, "備考", 9)
                for k, s in enumerate(notes):
                    p.text(LEFT + 92, ny + 14 + 12.5 * k, s, 9)
        else:
            p.right(RIGHT, y + 13, "次ページへ続く", 8, MUTED)
        p.center(PAGE_W / 2, PAGE_H - 28, f"{number} / {count}", 8.5, MUTED)
        c.showPage()
    c.save()
    return buf.getvalue(), count


def main():
    font_path, seconds, out_dir = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    t = time.perf_counter()
    pdfmetrics.registerFont(TTFont(F, font_path))
    print(f"reportlab font_load_ms={(time.perf_counter() - t) * 1e3:.1f}")
    accel = sorted(k for k in _c_funcs)
    if _py_funcs:
        print(f"reportlab WARNING: rl_accel not active for {sorted(_py_funcs)}")
    print(f"reportlab rl_accel C functions: {len(accel)} ({', '.join(accel)})")
    for path in sys.argv[4:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        pdf, pages = render(doc)
        for _ in range(3):
            render(doc)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            render(doc)
            n += 1
        rate = n / (time.perf_counter() - start)
        lines = len(doc["lines"])
        with open(f"{out_dir}/reportlab-{lines}.pdf", "wb") as f:
            f.write(pdf)
        print(f"reportlab lines={lines} invoices_per_sec={rate:.1f} ms_per_invoice={1e3 / rate:.3f} "
              f"bytes={len(pdf)} pages={pages}")


if __name__ == "__main__":
    main()
