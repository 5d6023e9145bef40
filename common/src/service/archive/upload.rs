//! Archives too large for a request body (API Gateway and Lambda stop at about 4.5 MB of ZIP):
//! `restore-url` answers a presigned PUT to a staging key of their own,
//! `restores/<tenantId>/<upload>.zip` (outside every tenant's prefix: never exported, purged or
//! Object-Locked), then `restore` with `{"upload": "<upload>"}` reads that object in ranges.
//! The staged archive is deleted once restored, or refused as not a good archive (422); it is
//! kept when the target is occupied (409) or storage failed, for a retry once that is fixed. The
//! repair sweep deletes any left for a day.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::RestoreReport;
use super::source::Source;
use crate::app::App;
use crate::caller::Caller;
use crate::domain::TenantId;
use crate::error::ApiError;
use crate::store::ObjectKey;

/// Largest archive one upload may carry: S3's limit for a single PUT (5 GiB), which the presigned
/// URL is.
pub const MAX_ARCHIVE: u64 = 5 * 1024 * 1024 * 1024;
/// How long a restore URL works.
pub const RESTORE_TTL: Duration = Duration::from_secs(600);
/// How long a staged archive may wait before the repair sweep deletes it.
pub const STAGED_FOR: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreUrlRequest {
    /// The archive's size in bytes.
    #[cfg_attr(feature = "openapi", schema(minimum = 22, maximum = 5_368_709_120_i64))]
    pub content_length: i64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RestoreUrl {
    /// What to send as `{"upload": …}` to `restore` once the PUT succeeded.
    pub upload: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^PUT$"))]
    pub method: &'static str,
    pub url: String,
    /// Send exactly these headers with the PUT.
    pub headers: std::collections::BTreeMap<&'static str, String>,
    pub expires_at: DateTime<Utc>,
}

/// `POST …/restore` with a JSON body: restore the archive uploaded through `restore-url`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RestoreFromUpload {
    /// The `upload` a `restore-url` answer gave (or its full key, `restores/<tenantId>/<upload>.zip`).
    pub upload: String,
}

/// The staging key of `upload` for `tenant`: 32 hex digits, or the full key they name.
pub fn staging_key(tenant: &TenantId, upload: &str) -> Result<ObjectKey, ApiError> {
    let id = upload.strip_prefix(&format!("restores/{tenant}/")).and_then(|n| n.strip_suffix(".zip")).unwrap_or(upload);
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::field("upload", format!("must be the upload a restore-url answer gave for tenant {tenant} (32 hex digits)")));
    }
    ObjectKey::restore_staging(tenant, &format!("{}.zip", id.to_ascii_lowercase())).map_err(ApiError::Internal)
}

/// A presigned PUT for an archive of `contentLength` bytes, to be restored into `tenant`.
pub async fn restore_url(app: &App, caller: &Caller, tenant: &TenantId, input: RestoreUrlRequest) -> Result<RestoreUrl, ApiError> {
    caller.require_operator()?;
    let length = u64::try_from(input.content_length).ok().filter(|l| (22..=MAX_ARCHIVE).contains(l));
    let Some(length) = length else {
        return Err(ApiError::field("contentLength", format!("must be the archive's size in bytes, 22 to {MAX_ARCHIVE}")));
    };
    let upload = hex::encode(rand::random::<[u8; 16]>());
    let key = staging_key(tenant, &upload)?;
    let url = app.stores.objects.presign_put(&key, "application/zip", length, RESTORE_TTL).await?;
    let expires_at = app.clock.now() + TimeDelta::seconds(RESTORE_TTL.as_secs() as i64);
    let headers = [("Content-Type", "application/zip".to_owned()), ("Content-Length", length.to_string())].into_iter().collect();
    Ok(RestoreUrl { upload, method: "PUT", url, headers, expires_at })
}

/// Restores the archive uploaded as `input.upload`, read in ranges from storage, then deletes it.
pub async fn restore_upload(app: &App, caller: &Caller, tenant: &TenantId, input: RestoreFromUpload) -> Result<RestoreReport, ApiError> {
    caller.require_operator()?;
    let key = staging_key(tenant, &input.upload)?;
    let Some(meta) = app.stores.objects.head_object(&key).await? else {
        return Err(ApiError::field(
            "upload",
            format!("nothing was uploaded as {}: PUT the archive to the URL restore-url answered (it works 10 minutes), then restore", input.upload),
        ));
    };
    let src = Source::Upload { key: key.clone(), size: meta.size, etag: meta.etag };
    let result = super::restore(app, caller, tenant, &src).await;
    if matches!(&result, Ok(_) | Err(ApiError::Unprocessable(_)))
        && let Err(e) = app.stores.objects.delete_object(&key).await
    {
        tracing::warn!(key = %key, error = %e, "could not delete the staged archive");
    }
    result
}
