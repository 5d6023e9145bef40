//! `seikyu tenant …`: onboarding, reads, changes (merge patches with If-Match), status, API keys.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use http::Method;
use serde_json::{Map, Value, json};

use super::{Ctx, Write, new_idempotency_key, read_apply_write, set};
use crate::download::{self, Target};
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::Column;

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Onboard a tenant: its record and its API key, shown this once
    Create {
        #[command(flatten)]
        fields: TenantFields,
        /// The Idempotency-Key (default: a new UUID, reused on this command's retries, so a lost
        /// answer never onboards the tenant twice)
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Every tenant, with its plan, status and requests this month (GET /v1/usage)
    List {
        /// The month whose requests to show (YYYY-MM; default this month)
        #[arg(long)]
        period: Option<String>,
    },
    /// One tenant
    Show { tenant: String },
    /// Change a tenant's name, customer profile or plan (read, apply, write with If-Match)
    Update {
        tenant: String,
        #[command(flatten)]
        fields: TenantFields,
    },
    /// Suspend: its API key is disabled until it is activated again
    Suspend { tenant: String },
    /// Activate a suspended tenant (its API key works again)
    Activate { tenant: String },
    /// Offboard for good: the API key is deleted, the records are kept, no way back
    Offboard {
        tenant: String,
        /// Confirm: offboarding cannot be undone
        #[arg(long)]
        yes: bool,
    },
    /// A new API key on the same plan; the old one stops working at once
    RotateKey { tenant: String },
    /// The tenant's archive (every record as NDJSON, every object, a manifest with SHA-256s),
    /// streamed to a file (POST /v1/tenants/T/exports)
    Export {
        tenant: String,
        /// Where to write it (`-` for standard output; default: the name the API suggests)
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Restores an archive `tenant export` made, into a deployment without the tenant (or where
    /// a purge left only what it keeps); the tenant is the manifest's. Archives over 4 MiB are
    /// uploaded to storage first (restore-url), with a progress bar
    Restore {
        archive: PathBuf,
        /// Upload it first whatever its size
        #[arg(long)]
        upload: bool,
    },
    /// After offboarding: removes the tenant's data but what retention keeps, and says what
    /// and why (POST /v1/tenants/T/purge)
    Purge {
        tenant: String,
        /// Confirm: purged records are gone for good
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Plan {
    Basic,
    Standard,
    Premium,
}

impl Plan {
    fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Standard => "standard",
            Self::Premium => "premium",
        }
    }
}

#[derive(Debug, Args)]
pub struct TenantFields {
    /// The tenant's display name
    #[arg(long)]
    name: Option<String>,
    /// customerProfile.companyName: the invoice's addressee (御中 is added)
    #[arg(long)]
    company: Option<String>,
    /// customerProfile.postalCode, e.g. 690-0887
    #[arg(long)]
    postal_code: Option<String>,
    /// customerProfile.address
    #[arg(long)]
    address: Option<String>,
    /// customerProfile.billingContact.name
    #[arg(long)]
    contact_name: Option<String>,
    /// customerProfile.billingContact.email
    #[arg(long)]
    contact_email: Option<String>,
    /// The usage plan's tier
    #[arg(long, value_enum)]
    plan: Option<Plan>,
}

impl TenantFields {
    /// The fields given, as a JSON merge patch (or, with `all`, a whole body where a missing
    /// field is empty, so that the API names every missing one at once).
    fn body(&self, all: bool) -> Value {
        let or_empty = |v: &Option<String>| if all { Some(v.clone().unwrap_or_default()) } else { v.clone() };
        let mut contact = Map::new();
        set(&mut contact, "name", or_empty(&self.contact_name));
        set(&mut contact, "email", or_empty(&self.contact_email));
        let mut profile = Map::new();
        set(&mut profile, "companyName", or_empty(&self.company));
        set(&mut profile, "postalCode", or_empty(&self.postal_code));
        set(&mut profile, "address", or_empty(&self.address));
        if !contact.is_empty() {
            profile.insert("billingContact".into(), contact.into());
        }
        let mut body = Map::new();
        set(&mut body, "name", or_empty(&self.name));
        if !profile.is_empty() {
            body.insert("customerProfile".into(), profile.into());
        }
        set(&mut body, "planTier", self.plan.map(Plan::as_str).or(all.then_some("")));
        body.into()
    }
}

const LIST: &[Column] = &[("TENANT ID", "tenantId"), ("NAME", "name"), ("PLAN", "planTier"), ("STATUS", "status"), ("REQUESTS", "requests")];

pub async fn run(cmd: TenantCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        TenantCmd::Create { fields, idempotency_key } => {
            let key = idempotency_key.unwrap_or_else(new_idempotency_key);
            let call = Call::new(Method::POST, "/v1/tenants").json(&fields.body(true)).idempotency_key(key);
            let created = ctx.api.send(&call).await?.json()?;
            ctx.out.show(&created);
            if let Some(key) = created["apiKey"]["value"].as_str() {
                ctx.out.note(&format!("\nThe API key is shown this once; give it to the tenant's Redmine now: {key}"));
            }
        }
        TenantCmd::List { period } => {
            let items = ctx.api.list_all(Call::get("/v1/usage").query("period", period)).await?;
            ctx.out.list(&items, LIST);
        }
        TenantCmd::Show { tenant } => ctx.out.show(&ctx.api.get_json(Call::get(path(&tenant))).await?.0),
        TenantCmd::Update { tenant, fields } => {
            let patch = fields.body(false);
            if patch.as_object().is_some_and(Map::is_empty) {
                return Err(CliError::usage("nothing to change: give --name, --company, --postal-code, --address, --contact-name, --contact-email or --plan"));
            }
            let updated = read_apply_write(ctx, &path(&tenant), false, |_| Ok(Some(Write { method: Method::PATCH, body: patch }))).await?;
            ctx.out.show(&updated);
        }
        TenantCmd::Suspend { tenant } => set_status(ctx, &tenant, "suspended").await?,
        TenantCmd::Activate { tenant } => set_status(ctx, &tenant, "active").await?,
        TenantCmd::Offboard { tenant, yes } => {
            if !yes {
                return Err(CliError::usage(format!("offboarding {tenant} deletes its API key for good and cannot be undone: add --yes to go ahead")));
            }
            set_status(ctx, &tenant, "offboarded").await?;
        }
        TenantCmd::RotateKey { tenant } => {
            let call = Call::new(Method::POST, format!("{}/api-key/rotate", path(&tenant))).repeatable();
            let rotated = ctx.api.send(&call).await?.json()?;
            ctx.out.show(&rotated);
            ctx.out.note("\nThe new key is shown this once; the old one no longer works.");
        }
        TenantCmd::Export { tenant, output } => {
            let call = Call::new(Method::POST, format!("{}/exports", path(&tenant)));
            let got = download::fetch(ctx, &call, Target::from_arg(output, format!("{tenant}.zip")), None, None, false).await?;
            match &got.path {
                Some(p) => ctx.out.note(&format!("{}: {} bytes, SHA-256 {}", p.display(), got.bytes, got.sha256)),
                None => ctx.out.note(&format!("{} bytes, SHA-256 {}", got.bytes, got.sha256)),
            }
        }
        TenantCmd::Restore { archive, upload } => {
            let unreadable = |e: std::io::Error| CliError::usage(format!("cannot read {}: {e}", archive.display()));
            let size = std::fs::metadata(&archive).map_err(unreadable)?.len();
            let (tail, tail_start) = read_tail(&archive, size).map_err(unreadable)?;
            let tenant = manifest_tenant(&tail)
                .ok_or_else(|| CliError::usage(format!("{} is not a tenant archive: it has no manifest.json naming a tenant", archive.display())))?;
            let restore = Call::new(Method::POST, format!("{}/restore", path(&tenant)));
            let report = if upload || size > BODY_LIMIT {
                let url = Call::new(Method::POST, format!("{}/restore-url", path(&tenant))).json(&json!({ "contentLength": size })).repeatable();
                let answer = ctx.api.send(&url).await?.json()?;
                crate::upload::put_file(&answer, &archive, ctx.api.verbosity.quiet).await?;
                ctx.api.send(&restore.json(&json!({ "upload": answer["upload"] }))).await?
            } else {
                let mut call = restore.header("content-type", "application/zip");
                call.body = Some(if tail_start == 0 { tail } else { std::fs::read(&archive).map_err(unreadable)? });
                ctx.api.send(&call).await?
            };
            ctx.out.show(&report.json()?);
        }
        TenantCmd::Purge { tenant, yes } => {
            if !yes {
                return Err(CliError::usage(format!("purging {tenant} removes its records for good (all but what retention keeps): add --yes to go ahead")));
            }
            ctx.out.show(&ctx.api.send(&Call::new(Method::POST, format!("{}/purge", path(&tenant)))).await?.json()?);
        }
    }
    Ok(())
}

/// Archives up to this size go as the request's body (API Gateway and Lambda stop at about
/// 4.5 MB after base64); larger ones are uploaded first.
const BODY_LIMIT: u64 = 4 * 1024 * 1024;
/// How much of an archive's end is read to find its manifest (the last entry): thousands of
/// parts' lines.
const MANIFEST_TAIL: u64 = 64 * 1024 * 1024;

/// The archive's last bytes (all of it when small), and where they start.
fn read_tail(archive: &std::path::Path, size: u64) -> std::io::Result<(Vec<u8>, u64)> {
    use std::io::{Read, Seek, SeekFrom};
    let start = size.saturating_sub(MANIFEST_TAIL);
    let mut f = std::fs::File::open(archive)?;
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    Ok((buf, start))
}

/// The tenant an archive's `manifest.json` names: its entry found by its local header (the
/// archive's entries are stored, so the JSON follows the header as it is).
fn manifest_tenant(zip: &[u8]) -> Option<String> {
    let u16_at = |at: usize| zip.get(at..at + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let mut from = 0;
    while let Some(p) = zip.get(from..)?.windows(4).position(|w| w == b"PK\x03\x04").map(|p| p + from) {
        let (name_len, extra_len) = (u16_at(p + 26)?, u16_at(p + 28)?);
        if zip.get(p + 30..p + 30 + name_len) == Some(b"manifest.json".as_slice()) {
            let data = zip.get(p + 30 + name_len + extra_len..)?;
            let manifest: Value = serde_json::Deserializer::from_slice(data).into_iter::<Value>().next()?.ok()?;
            return manifest["tenantId"].as_str().map(str::to_owned);
        }
        from = p + 4;
    }
    None
}

fn path(tenant: &str) -> String {
    format!("/v1/tenants/{}", seg(tenant))
}

/// A status change: a PATCH like any other, so it carries If-Match too.
async fn set_status(ctx: &Ctx, tenant: &str, status: &str) -> Result<(), CliError> {
    let updated = read_apply_write(ctx, &path(tenant), false, |current| {
        if current.is_some_and(|c| c["status"] == status) {
            return Ok(None);
        }
        Ok(Some(Write { method: Method::PATCH, body: json!({ "status": status }) }))
    })
    .await?;
    ctx.out.show(&updated);
    Ok(())
}
