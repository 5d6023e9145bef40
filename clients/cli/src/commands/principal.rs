//! `seikyu principal …`: the registry of IAM principals acting for a tenant or the operator, and
//! the identity policy a tenant's principal needs.

use clap::{Args, Subcommand};
use http::Method;
use serde_json::json;

use super::Ctx;
use crate::error::CliError;
use crate::http::{Call, seg};
use crate::output::{Column, emit, pretty};

#[derive(Debug, Subcommand)]
pub enum PrincipalCmd {
    /// Register an IAM user or role ARN (an assumed role's ARN registers its role)
    Add {
        #[command(flatten)]
        owner: Owner,
        /// arn:aws:iam::<account>:user/<name> or :role/<name>
        #[arg(long)]
        arn: String,
        /// Local gateway only: mint an access key pair for the user (shown this once)
        #[arg(long)]
        access_key: bool,
    },
    /// A tenant's principals, or the operator's
    List {
        #[command(flatten)]
        owner: Owner,
    },
    /// Remove a principal: its next request is refused
    Remove { principal_id: String },
    /// The IAM policy to attach to a tenant's principals (JSON, for `aws iam put-role-policy`)
    Policy { tenant: String },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Owner {
    /// The tenant the principal acts for
    #[arg(long)]
    tenant: Option<String>,
    /// The principal acts for the operator
    #[arg(long)]
    operator: bool,
}

const LIST: &[Column] = &[("PRINCIPAL ID", "principalId"), ("ARN", "arn"), ("ROLE", "role"), ("TENANT", "tenantId"), ("REGISTERED", "registeredAt")];

pub async fn run(cmd: PrincipalCmd, ctx: &Ctx) -> Result<(), CliError> {
    match cmd {
        PrincipalCmd::Add { owner, arn, access_key } => {
            let body = match &owner.tenant {
                Some(t) => json!({"arn": arn, "role": "tenant", "tenantId": t, "accessKey": access_key}),
                None => json!({"arn": arn, "role": "operator", "accessKey": access_key}),
            };
            let added = ctx.api.send(&Call::new(Method::POST, "/v1/principals").json(&body)).await?.json()?;
            ctx.out.show(&added);
        }
        PrincipalCmd::List { owner } => {
            let call = match &owner.tenant {
                Some(t) => Call::get("/v1/principals").query("tenantId", Some(t)),
                None => Call::get("/v1/principals").query("role", Some("operator")),
            };
            let (listed, _) = ctx.api.get_json(call).await?;
            ctx.out.list(listed["items"].as_array().map(Vec::as_slice).unwrap_or_default(), LIST);
        }
        PrincipalCmd::Remove { principal_id } => {
            ctx.api.send(&Call::new(Method::DELETE, format!("/v1/principals/{}", seg(&principal_id)))).await?;
            ctx.out.note(&format!("removed {principal_id}"));
        }
        PrincipalCmd::Policy { tenant } => {
            let (policy, _) = ctx.api.get_json(Call::get(format!("/v1/tenants/{}/iam-policy", seg(&tenant)))).await?;
            // A document to save and pass to IAM as it is, whatever the output mode.
            emit(&pretty(&policy));
        }
    }
    Ok(())
}
