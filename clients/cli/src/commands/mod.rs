//! The commands, one module per topic, and what they share: the API and the output, and
//! read-apply-write with `If-Match` for every change to an existing resource.

use http::Method;
use serde_json::{Map, Value};

use crate::api::Api;
use crate::cli::Command;
use crate::error::CliError;
use crate::http::Call;
use crate::output::{Output, changes, pick};

pub mod audit;
pub mod billing;
pub mod contract;
pub mod invoice;
pub mod issuer;
pub mod principal;
pub mod run;
pub mod tenant;
pub mod usage;

/// What every command works with.
pub struct Ctx {
    pub api: Api,
    pub out: Output,
}

pub async fn run(command: Command, ctx: &Ctx) -> Result<(), CliError> {
    match command {
        Command::Me => {
            let (me, _) = ctx.api.get_json(Call::get("/v1/me")).await?;
            ctx.out.show(&me);
            Ok(())
        }
        Command::Tenant(c) => tenant::run(c, ctx).await,
        Command::Principal(c) => principal::run(c, ctx).await,
        Command::Contract(c) => contract::run(c, ctx).await,
        Command::Billing(c) => billing::run(c, ctx).await,
        Command::Invoice(c) => invoice::run(c, ctx).await,
        Command::Run(c) => run::run(c, ctx).await,
        Command::Usage(c) => usage::run(c, ctx).await,
        Command::Issuer(c) => issuer::run(c, ctx).await,
        Command::Audit(c) => audit::run(c, ctx).await,
        // Answered in main, before any configuration is needed.
        Command::Completions { .. } => Ok(()),
    }
}

/// How a change is written once the current version has been read.
pub struct Write {
    pub method: Method,
    pub body: Value,
}

/// Reads `path`, lets `apply` make the write from what is there (`None`: it does not exist yet,
/// when `create` allows that), and sends it with `If-Match` naming the version read, so that a
/// change made by someone else in between is never overwritten. On 412 the error says which
/// fields changed since the read. `apply` returning `None` means there is nothing to change.
pub async fn read_apply_write(
    ctx: &Ctx,
    path: &str,
    create: bool,
    apply: impl FnOnce(Option<&Value>) -> Result<Option<Write>, CliError>,
) -> Result<Value, CliError> {
    let current = match ctx.api.get_json(Call::get(path)).await {
        Ok((value, etag)) => Some((value, etag)),
        Err(CliError::Api(p)) if p.status == 404 && create => None,
        Err(e) => return Err(e),
    };
    let Some(write) = apply(current.as_ref().map(|(v, _)| v))? else {
        eprintln!("seikyu: nothing to change");
        return Ok(current.map(|(v, _)| v).unwrap_or_default());
    };
    let mut call = Call::new(write.method, path).json(&write.body);
    if let Some(etag) = current.as_ref().and_then(|(_, e)| e.clone()) {
        call = call.header("if-match", etag);
    }
    match ctx.api.send(&call).await {
        Ok(reply) => reply.json(),
        Err(CliError::Api(mut p)) if p.status == 412 => {
            let before = current.map(|(v, _)| v).unwrap_or_default();
            let (now, _) = ctx.api.get_json(Call::get(path)).await?;
            let changed = changes(&before, &now);
            let detail = p.detail.take().unwrap_or_default();
            p.detail = Some(format!("{detail} It changed since it was read ({}); nothing was written: run the command again.", changed.join("; ")));
            Err(CliError::Api(p))
        }
        Err(e) => Err(e),
    }
}

/// Creates or replaces a resource with PUT: the fields PUT takes of its current version (none
/// when it does not exist yet) with `edit` applied; nothing is sent when that changes nothing.
pub async fn put_edited(ctx: &Ctx, path: &str, fields: &[&str], edit: impl FnOnce(&mut Map<String, Value>)) -> Result<Value, CliError> {
    read_apply_write(ctx, path, true, |current| {
        let mut body = current.map(|c| pick(c, fields)).unwrap_or_default();
        let before = body.clone();
        edit(&mut body);
        if current.is_some() && body == before {
            return Ok(None);
        }
        Ok(Some(Write { method: Method::PUT, body: body.into() }))
    })
    .await
}

/// Sets `key` in a JSON object when the flag was given.
pub fn set(body: &mut serde_json::Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        body.insert(key.to_owned(), v.into());
    }
}

/// The name clap shows for a choice, which is also the API's (`monthly`, `completedWithErrors`).
pub fn name_of(v: impl clap::ValueEnum) -> Option<String> {
    v.to_possible_value().map(|p| p.get_name().to_owned())
}

/// A fresh Idempotency-Key: a random UUID (version 4), as the Ruby client makes.
pub fn new_idempotency_key() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    #[test]
    fn idempotency_keys_are_uuids() {
        let k = super::new_idempotency_key();
        assert_eq!((k.len(), k.as_bytes()[14], k.matches('-').count()), (36, b'4', 4));
        assert_ne!(k, super::new_idempotency_key());
    }
}
