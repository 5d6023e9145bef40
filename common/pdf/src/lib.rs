//! Japanese qualified-invoice (適格請求書) PDF rendering.
//!
//! The caller computes and formats everything ([`InvoiceDocument`]); this crate lays it out on
//! A4 portrait pages (header, line table, per-rate tax summary, bank details), embeds a subset
//! of IPAex Gothic and returns the PDF bytes. The font is parsed once per [`Renderer`] (at Lambda
//! init); rendering is deterministic: the same document always gives the same bytes.
//!
//! Speed: the font's cmap and advances are tabulated once, text is laid out as pre-positioned
//! glyphs (no shaping engine per call), and the font's TrueType hinting is dropped at load so
//! that each embedded subset is about half the size (see `font.rs`). Most of a render is
//! krilla's `Document::finish`: subsetting and deflating the font.
//!
//! Use: `Renderer::from_env()?` once per process (FONT_DIR, /opt/fonts, or layers/fonts), then
//! `renderer.render(&document)?` per invoice; `examples/sample.rs` builds a whole document.

// Only turns on flate2's zlib-rs backend for krilla's compression (see Cargo.toml).
use flate2 as _;

mod font;
mod format;
mod layout;

use std::fmt;
use std::path::{Path, PathBuf};

pub use format::{format_int, format_yen};

/// File name of the embedded font inside the fonts directory (IPAex Gothic).
pub const FONT_FILE_NAME: &str = "ipaexg.ttf";
/// File name of the font as [`prepare_font`] writes it for the Lambda layer: the same outlines
/// and metrics without TrueType hinting, so loading it at init skips that work. Named apart from
/// the original, as the IPA Font License asks of derived fonts.
pub const PREPARED_FONT_FILE_NAME: &str = "invoice-face.ttf";
/// Environment variable naming the fonts directory.
pub const FONT_DIR_ENV: &str = "FONT_DIR";
/// Where the fonts layer is mounted in Lambda.
pub const LAMBDA_FONT_DIR: &str = "/opt/fonts";

/// Everything printed on one invoice, already computed and formatted by the caller (amounts are
/// integer yen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// e.g. "INV-2025-000123"
    pub invoice_number: String,
    /// e.g. "2025年4月30日"
    pub issue_date: String,
    /// 取引年月 / billing period, e.g. "2025年4月分"
    pub transaction_period: String,
    /// 支払期限, e.g. "2025年5月31日"
    pub due_date: String,
    /// Printed as "<company_name> 御中".
    pub recipient: Recipient,
    pub issuer: Issuer,
    pub lines: Vec<Line>,
    /// One row per rate present, 10% first then 8%.
    pub tax_summary: Vec<TaxRow>,
    /// Grand total including tax (ご請求金額).
    pub total: i64,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub company_name: String,
    /// e.g. "100-0005" (printed after 〒; a leading 〒 is not doubled).
    pub postal_code: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    /// 登録番号: "T" + 13 digits.
    pub registration_number: String,
    pub address: String,
    /// お振込先; may contain newlines.
    pub bank_details: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
    /// 軽減税率 (8%) line: printed with ※.
    pub reduced_rate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRow {
    pub rate_percent: u8,
    /// Total of the lines at this rate, excluding tax.
    pub subtotal: i64,
    pub tax: i64,
}

/// The font could not be loaded.
#[derive(Debug)]
pub enum FontError {
    /// No font file at `path`.
    NotFound { path: PathBuf },
    /// The file exists but could not be read.
    Read { path: PathBuf, source: std::io::Error },
    /// The file was read but is not a usable font.
    Invalid { path: PathBuf, reason: String },
}

impl FontError {
    /// The font file path that was looked for.
    pub fn path(&self) -> &Path {
        match self {
            FontError::NotFound { path } | FontError::Read { path, .. } | FontError::Invalid { path, .. } => path,
        }
    }
}

impl fmt::Display for FontError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HINT: &str = "set FONT_DIR to the directory of the fonts layer \
             (/opt/fonts in Lambda, layers/fonts in the repository)";
        match self {
            FontError::NotFound { path } => {
                write!(f, "invoice font not found: looked for {}; {HINT}", path.display())
            }
            FontError::Read { path, source } => {
                write!(f, "invoice font {} could not be read ({source}); {HINT}", path.display())
            }
            FontError::Invalid { path, reason } => {
                write!(f, "invoice font {} is not usable: {reason}; {HINT}", path.display())
            }
        }
    }
}

impl std::error::Error for FontError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FontError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The PDF could not be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The PDF writer refused the document (message from krilla).
    Pdf(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Pdf(msg) => write!(f, "invoice PDF could not be written: {msg}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Renders invoices with one parsed font. Build it once (Lambda init) and share it: it is
/// `Send + Sync` and `render` takes `&self`.
pub struct Renderer {
    face: font::Face,
}

impl fmt::Debug for Renderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Renderer").finish_non_exhaustive()
    }
}

impl Renderer {
    /// Loads `dir/invoice-face.ttf` ([`PREPARED_FONT_FILE_NAME`], the fonts layer) when it is
    /// there, else `dir/ipaexg.ttf` ([`FONT_FILE_NAME`], the repository), dropping its hinting.
    pub fn from_dir(dir: &Path) -> Result<Renderer, FontError> {
        let prepared = dir.join(PREPARED_FONT_FILE_NAME);
        let path = if prepared.is_file() { prepared } else { dir.join(FONT_FILE_NAME) };
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FontError::NotFound { path });
            }
            Err(source) => return Err(FontError::Read { path, source }),
        };
        let face = font::Face::parse(data).map_err(|reason| FontError::Invalid { path: path.clone(), reason })?;
        Ok(Renderer { face })
    }

    /// Loads the font from `FONT_DIR` when set, else from `/opt/fonts` (the Lambda layer) when
    /// that directory exists, else from this repository's `layers/fonts` (local runs and tests).
    pub fn from_env() -> Result<Renderer, FontError> {
        Renderer::from_dir(&font_dir_from_env())
    }

    /// Renders one invoice to PDF bytes. Same input → same bytes.
    pub fn render(&self, doc: &InvoiceDocument) -> Result<Vec<u8>, RenderError> {
        layout::render(&self.face, doc)
    }
}

/// The font as the Lambda layer ships it ([`PREPARED_FONT_FILE_NAME`]): hinting removed once at
/// build time instead of at every cold start. Fails when the data is not a plain TrueType font.
pub fn prepare_font(original: &[u8]) -> Result<Vec<u8>, String> {
    let prepared = font::strip_hinting(original).ok_or_else(|| "not a single TrueType-outline font".to_string())?;
    // The result must load as the renderer will load it.
    font::Face::parse(prepared.clone())?;
    Ok(prepared)
}

/// The directory [`Renderer::from_env`] loads from.
pub fn font_dir_from_env() -> PathBuf {
    if let Some(dir) = std::env::var_os(FONT_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let lambda = Path::new(LAMBDA_FONT_DIR);
    if lambda.is_dir() {
        return lambda.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../layers/fonts")
}
