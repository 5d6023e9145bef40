//! An issued invoice's PDF as the download route streams it: read from storage as it goes (any
//! size, flat memory), a whole file checked against the invoice's SHA-256 on the way. The route
//! meters it.

use futures_util::TryStreamExt;
use http_body_util::{BodyExt, StreamBody as Frames};
use hyper::body::Frame;

use crate::app::App;
use crate::domain::{InvoiceNumber, PdfInfo};
use crate::error::ApiError;
use crate::store::{ByteRange, ObjectKey, Verified};
use crate::stream::StreamBody;

/// How a PDF is handed over: streamed through the API (the default) or as a short-lived
/// presigned URL (`?delivery=redirect`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    #[default]
    Stream,
    Redirect,
}

impl Delivery {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "stream" => Ok(Self::Stream),
            "redirect" => Ok(Self::Redirect),
            _ => Err("must be stream (the default) or redirect".into()),
        }
    }
}

/// The PDF's body, and the part of it sent when a range was asked (`None`: all of it).
pub struct PdfBody {
    pub body: StreamBody,
    pub span: Option<(u64, u64)>,
    pub size: u64,
}

/// Opens the stored PDF of `number` (at `key`, recorded as `info`), or the asked `range` of it.
pub async fn invoice_pdf(app: &App, number: &InvoiceNumber, key: &ObjectKey, info: PdfInfo, range: Option<ByteRange>) -> Result<PdfBody, ApiError> {
    let object = app.stores.objects.get_object(key, range).await?.ok_or_else(|| ApiError::Internal(format!("the PDF of {number} is missing from storage")))?;
    let (size, span) = (object.meta.size, object.span);
    if size != info.size {
        return Err(ApiError::Internal(format!("the stored PDF of {number} is {size} bytes; the invoice recorded {}", info.size)));
    }
    // A whole PDF is checked as it streams (a part cannot be).
    let stream = if span.is_none() { Box::pin(Verified::new(object.stream, info)) } else { object.stream };
    let log_number = number.to_string();
    // A storage error mid-way (or bytes that are not the invoice's) ends the response without its
    // final chunk, so the client sees it incomplete; the reason goes to the log.
    let frames = stream.inspect_err(move |e| tracing::error!(error = %e, invoice = %log_number, "PDF stream failed mid-way")).map_ok(Frame::data);
    Ok(PdfBody { body: Frames::new(frames).boxed_unsync(), span, size })
}
