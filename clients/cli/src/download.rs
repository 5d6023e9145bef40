//! Streamed downloads (invoice PDFs, a month's ZIP, a run's report): written to a file as they
//! arrive, with a progress bar, and hashed on the way so that a PDF whose SHA-256 differs from
//! its ETag is never left looking whole. The file appears under its name only once complete.

use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::commands::Ctx;
use crate::error::CliError;
use crate::http::Call;
use crate::progress;

/// Where a download goes.
pub enum Target {
    /// This file (`-o PATH`).
    File(PathBuf),
    /// The name the server suggests (Content-Disposition), else this one, in the current directory.
    Suggested(String),
    /// Standard output (`-o -`).
    Stdout,
}

impl Target {
    pub fn from_arg(output: Option<PathBuf>, fallback: String) -> Self {
        match output {
            Some(p) if p.as_os_str() == "-" => Self::Stdout,
            Some(p) => Self::File(p),
            None => Self::Suggested(fallback),
        }
    }
}

/// What was downloaded.
pub struct Downloaded {
    pub path: Option<PathBuf>,
    pub bytes: u64,
    pub sha256: String,
}

/// Streams the call's answer to `target`. `size` is the length to expect (for the bar, and
/// checked), `sha256` a digest it must have; with `verify_etag` an ETag that is a SHA-256 must
/// match too (the API's PDFs: their ETag is their hash).
pub async fn fetch(ctx: &Ctx, call: &Call, target: Target, size: Option<u64>, sha256: Option<&str>, verify_etag: bool) -> Result<Downloaded, CliError> {
    let mut stream = ctx.api.open(call).await?;
    let etag_hash = if verify_etag { stream.header("etag").and_then(etag_sha256) } else { None };
    let path = match target {
        Target::File(p) => Some(p),
        Target::Suggested(fallback) => Some(PathBuf::from(stream.header("content-disposition").and_then(suggested_name).unwrap_or(fallback))),
        Target::Stdout => None,
    };
    let partial = path.as_ref().map(|p| part_path(p));
    let mut file = match &partial {
        Some(p) => Some(tokio::fs::File::create(p).await.map_err(|e| CliError::usage(format!("cannot write {}: {e}", p.display())))?),
        None => None,
    };
    // Standard output is written with std's blocking writes: a terminal or a pipe, never slow
    // enough to matter to a command that does nothing else meanwhile.
    let mut stdout = std::io::stdout().lock();
    // Nothing to draw over when the bytes themselves go to the terminal.
    let bar = progress::bytes(size, ctx.api.verbosity.quiet || path.is_none());
    let mut hasher = Sha256::new();
    let mut received = 0u64;
    let outcome: Result<(), CliError> = async {
        while let Some(chunk) = stream.chunk().await.map_err(|e| cut_short(call, received, &e))? {
            hasher.update(&chunk);
            received += chunk.len() as u64;
            bar.set_position(received);
            let written = match file.as_mut() {
                Some(f) => f.write_all(&chunk).await,
                None => std::io::Write::write_all(&mut stdout, &chunk),
            };
            written.map_err(|e| CliError::usage(format!("cannot write the download: {e}")))?;
        }
        match file.as_mut() {
            Some(f) => f.flush().await,
            None => std::io::Write::flush(&mut stdout),
        }
        .map_err(|e| CliError::usage(format!("cannot write the download: {e}")))
    }
    .await;
    bar.finish_and_clear();
    let digest = hex::encode(hasher.finalize());
    let checked = outcome.and_then(|()| verify(call, received, size, &digest, sha256, etag_hash.as_deref()));
    match (checked, &partial, &path) {
        (Ok(()), Some(partial), Some(path)) => {
            tokio::fs::rename(partial, path).await.map_err(|e| CliError::usage(format!("cannot move the download to {}: {e}", path.display())))?;
        }
        (Err(e), Some(partial), _) => {
            // An unverified or partial file must not stay behind to be mistaken for the real one.
            let _ = tokio::fs::remove_file(partial).await;
            return Err(e);
        }
        (Err(e), None, _) => return Err(e),
        _ => {}
    }
    Ok(Downloaded { path, bytes: received, sha256: digest })
}

fn verify(call: &Call, received: u64, size: Option<u64>, digest: &str, sha256: Option<&str>, etag: Option<&str>) -> Result<(), CliError> {
    if let Some(expected) = size.filter(|s| *s != received) {
        return Err(CliError::Integrity(format!("{}: received {received} bytes, expected {expected}: the download is incomplete", call.describe())));
    }
    for (what, expected) in [("the invoice's recorded SHA-256", sha256), ("the ETag", etag)] {
        if let Some(expected) = expected.filter(|e| !e.eq_ignore_ascii_case(digest)) {
            return Err(CliError::Integrity(format!("{}: the downloaded bytes' SHA-256 {digest} differs from {what} {expected}", call.describe())));
        }
    }
    Ok(())
}

fn cut_short(call: &Call, received: u64, why: &str) -> CliError {
    CliError::Integrity(format!("{}: the download was cut short after {received} bytes ({why}); nothing was kept", call.describe()))
}

/// The ETag's value when it is a SHA-256 (64 hex digits).
fn etag_sha256(etag: &str) -> Option<String> {
    let tag = etag.trim().trim_start_matches("W/").trim_matches('"');
    (tag.len() == 64 && tag.bytes().all(|b| b.is_ascii_hexdigit())).then(|| tag.to_owned())
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

/// The file name from `Content-Disposition` (RFC 6266: `filename*=UTF-8''…` preferred), reduced
/// to a bare name so that a server can never write outside the current directory.
fn suggested_name(header: &str) -> Option<String> {
    let params = header.split(';').map(str::trim);
    let extended = params.clone().find_map(|p| p.strip_prefix("filename*=")).and_then(|v| {
        let (_, encoded) = v.split_once("''")?;
        percent_decode_str(encoded).decode_utf8().ok().map(|s| s.into_owned())
    });
    let plain = || params.clone().find_map(|p| p.strip_prefix("filename=")).map(|v| v.trim_matches('"').to_owned());
    let name = extended.or_else(plain)?;
    let bare = name.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned();
    (!bare.is_empty() && bare != "." && bare != "..").then_some(bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_name_what_did_not_match() {
        let call = Call::get("/v1/x");
        let good = "a".repeat(64);
        assert!(verify(&call, 3, Some(3), &good, Some(&good), Some(&good.to_uppercase())).is_ok());
        let err = verify(&call, 3, None, &good, None, Some(&"b".repeat(64))).unwrap_err();
        assert_eq!(err.exit_code(), 5);
        assert!(err.to_string().contains("differs from the ETag"), "{err}");
        assert!(verify(&call, 2, Some(3), &good, None, None).unwrap_err().to_string().contains("incomplete"));
    }

    #[test]
    fn names_come_from_content_disposition_without_any_directory() {
        let header = "attachment; filename=\"INV-2025-000001.pdf\"; filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8_INV-2025-000001.pdf";
        assert_eq!(suggested_name(header).as_deref(), Some("請求書_INV-2025-000001.pdf"));
        assert_eq!(suggested_name("attachment; filename=\"../../etc/x.pdf\"").as_deref(), Some("x.pdf"));
        assert_eq!(suggested_name("attachment; filename=\"..\""), None);
        assert_eq!(etag_sha256(&format!("\"{}\"", "ab".repeat(32))).map(|t| t.len()), Some(64));
        assert_eq!(etag_sha256("W/\"page-3\""), None);
    }

    #[test]
    fn partial_files_sit_beside_the_target() {
        assert_eq!(part_path(Path::new("out/請求書.pdf")), PathBuf::from("out/請求書.pdf.part"));
    }
}
