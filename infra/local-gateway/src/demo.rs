//! First-start demo data: an operator, two tenants with contracts, their principals, access keys
//! and API keys; `demo-credentials.json` for clients, and commands to paste.

use std::path::Path;

use common::App;
use common::caller::Caller;
use common::domain::{ContractId, PlanTier, TenantId, usage_plan};
use common::service::billings::{self, LineInput, NewBilling};
use common::service::contracts::{self, ContractInput, PutConditions};
use common::service::invoices::{self, IssuerInput};
use common::service::tenants::{self, BillingContactInput, CustomerProfileInput, NewTenant};
use common::store::{ApiKeyId, ApiKeyRecord, Owner, Principal, PrincipalArn};
use serde::{Deserialize, Serialize};

use crate::credentials::{AccessKey, ApiKey, Credentials};
use crate::iam::{access_key_id, secret_access_key};
use crate::keys::{api_key_id, api_key_value};

pub const FILE: &str = "demo-credentials.json";
const ACCOUNT: &str = "000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantCredentials {
    pub tenant_id: TenantId,
    #[serde(default)]
    pub name: String,
    /// The tier whose usage plan its API key is on.
    #[serde(default = "default_tier")]
    pub plan_tier: PlanTier,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: String,
}

fn default_tier() -> PlanTier {
    PlanTier::Standard
}

/// `demo-credentials.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoCredentials {
    pub endpoint: String,
    pub region: String,
    pub operator: ClientCredentials,
    pub tenants: Vec<TenantCredentials>,
}

/// An IAM user for `owner`, with an access key and no identity policy (so the backend's own
/// checks are what refuses it), registered as a principal.
async fn principal(app: &App, credentials: &Credentials, user: &str, owner: Owner) -> Result<AccessKey, String> {
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/{user}");
    let principal = PrincipalArn::parse(&arn)?;
    app.stores.principals.put_principal(&Principal { arn: principal, owner, registered_at: None }).await.map_err(|e| e.to_string())?;
    let access = AccessKey { access_key_id: access_key_id(), secret_access_key: secret_access_key(), principal_arn: arn, session_token: None };
    credentials.modify(|f| f.access_keys.push(access.clone()))?;
    Ok(access)
}

/// The operator's API key: made by hand, as the deployment's first key would be.
async fn operator_key(app: &App, credentials: &Credentials) -> Result<ApiKey, String> {
    let key = ApiKey { id: api_key_id(), value: api_key_value(), tenant_id: None, enabled: true, plan: PlanTier::Premium };
    let record = ApiKeyRecord { api_key_id: ApiKeyId::parse(&key.id)?, owner: Owner::Operator, enabled: true };
    app.stores.principals.put_api_key(&record).await.map_err(|e| e.to_string())?;
    credentials.modify(|f| f.api_keys.push(key.clone()))?;
    Ok(key)
}

fn new_tenant(name: &str, company: &str, address: &str, email: &str, tier: &str) -> NewTenant {
    NewTenant {
        name: name.into(),
        customer_profile: CustomerProfileInput {
            company_name: company.into(),
            postal_code: "690-0887".into(),
            address: address.into(),
            billing_contact: BillingContactInput { name: "経理部 請求担当".into(), email: email.into() },
        },
        plan_tier: tier.into(),
    }
}

fn contract(plan: &str, fee: i64, start: &str, cycle: &str) -> ContractInput {
    ContractInput {
        plan_name: plan.into(),
        monthly_fee: fee,
        start_date: start.into(),
        end_date: None,
        billing_cycle: cycle.into(),
        status: None,
        notes: Some("デモデータ".into()),
    }
}

/// Seeds the demo through the same domain operations the API uses (onboarding makes the tenants'
/// API keys in `credentials`); returns what to write to the demo file.
pub async fn seed(app: &App, credentials: &Credentials, endpoint: &str, region: &str) -> Result<DemoCredentials, String> {
    let operator_access = principal(app, credentials, "seikyu-operator", Owner::Operator).await?;
    let operator_key = operator_key(app, credentials).await?;
    let as_operator = Caller { principal: PrincipalArn::parse(&operator_access.principal_arn)?, owner: Owner::Operator, api_key_id: None };
    let specs = [
        (new_tenant("しまね商事", "株式会社しまね商事", "島根県松江市殿町1番地", "keiri@shimane.example.jp", "standard"), "redmine-shimane"),
        (new_tenant("いずも工業", "いずも工業株式会社", "島根県出雲市今市町70番地", "billing@izumo.example.jp", "basic"), "redmine-izumo"),
    ];
    let mut tenants_out = Vec::new();
    for (i, (spec, user)) in specs.into_iter().enumerate() {
        let onboarded = tenants::create(app, &as_operator, spec).await.map_err(|e| e.to_string())?;
        let tenant = onboarded.tenant;
        let id = tenant.tenant_id.clone();
        let plans =
            [("Redmine ホスティング スタンダード", 55_000, "monthly"), ("バックアップ オプション", 5_500, "monthly"), ("年間サポート", 120_000, "yearly")];
        for (n, (plan, fee, cycle)) in plans.iter().enumerate().take(3 - i) {
            let cid = ContractId::parse(&format!("C-DEMO-{:03}", n + 1))?;
            let terms = contract(plan, *fee, "2025-04-01", cycle).validate().map_err(|e| e.to_string())?;
            contracts::put(app, &as_operator, &id, &cid, terms, PutConditions::default()).await.map_err(|e| e.to_string())?;
        }
        let access = principal(app, credentials, user, Owner::Tenant { tenant_id: id.clone() }).await?;
        tenants_out.push(TenantCredentials {
            tenant_id: id,
            name: tenant.name.clone(),
            plan_tier: tenant.plan_tier,
            access_key_id: access.access_key_id,
            secret_access_key: access.secret_access_key,
            api_key: onboarded.api_key.value,
        });
    }
    let invoice = sample_invoice(app, &as_operator, &tenants_out[0].tenant_id).await?;
    tracing::info!(invoice = %invoice, "demo invoice issued");
    let demo = DemoCredentials {
        endpoint: endpoint.into(),
        region: region.into(),
        operator: ClientCredentials {
            access_key_id: operator_access.access_key_id,
            secret_access_key: operator_access.secret_access_key,
            api_key: operator_key.value,
        },
        tenants: tenants_out,
    };
    Ok(demo)
}

pub fn write(dir: &Path, demo: &DemoCredentials) -> Result<(), String> {
    let text = serde_json::to_string_pretty(demo).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(FILE), text).map_err(|e| format!("writing {FILE}: {e}"))
}

pub fn read(dir: &Path) -> Option<DemoCredentials> {
    serde_json::from_str(&std::fs::read_to_string(dir.join(FILE)).ok()?).ok()
}

/// Ready-to-paste awscurl commands (awscurl is on PyPI: `pip install awscurl`).
pub fn commands(demo: &DemoCredentials) -> String {
    let curl =
        |c: &str, s: &str, k: &str| format!("awscurl --service execute-api --region {} --access_key {c} --secret_key '{s}' -H 'x-api-key: {k}'", demo.region);
    let mut out = String::from("# Tenants, each with its own API key on its tier's usage plan:\n");
    for t in &demo.tenants {
        let p = usage_plan(t.plan_tier);
        let tier = serde_json::to_value(t.plan_tier).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let period = serde_json::to_value(p.quota.period).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        out.push_str(&format!("#   {} {}: {tier}, {} requests/s (burst {}), {} requests per {period}\n", t.tenant_id, t.name, p.rate, p.burst, p.quota.limit));
    }
    out.push('\n');
    if let [a, b, ..] = demo.tenants.as_slice() {
        let ta = curl(&a.access_key_id, &a.secret_access_key, &a.api_key);
        out.push_str(&format!(
            "# Tenant {} reads its own contracts:\n{ta} '{}/v1/tenants/{}/contracts?status=active'\n\n",
            a.tenant_id, demo.endpoint, a.tenant_id
        ));
        out.push_str(&format!("# The same tenant asking for another tenant's data gets 404:\n{ta} '{}/v1/tenants/{}'\n\n", demo.endpoint, b.tenant_id));
        out.push_str(&format!(
            "# Its usage this month (requests per day, bytes streamed, quota left):\n{ta} '{}/v1/tenants/{}/usage'\n\n",
            demo.endpoint, a.tenant_id
        ));
        let op = curl(&demo.operator.access_key_id, &demo.operator.secret_access_key, &demo.operator.api_key);
        out.push_str(&format!(
            "# The operator creates a contract:\n{op} -X PUT -H 'Content-Type: application/json' -d '{{\"planName\":\"追加ストレージ\",\"monthlyFee\":3300,\"startDate\":\"2025-05-01\",\"billingCycle\":\"monthly\"}}' '{}/v1/tenants/{}/contracts/C-DEMO-100'\n",
            demo.endpoint, b.tenant_id
        ));
    }
    out
}

/// The issuer, and one issued invoice for the first tenant: its PDF is under the data directory
/// (`objects/tenants/<tenantId>/invoices/<number>.pdf`).
async fn sample_invoice(app: &App, operator: &Caller, tenant: &TenantId) -> Result<String, String> {
    let issuer = IssuerInput {
        name: "株式会社セイキュウ".into(),
        address: "島根県松江市学園南1丁目2番3号".into(),
        registration_number: "T8700110005901".into(),
        bank_details: "しまね銀行 松江支店 普通 1234567\n口座名義 カ）セイキュウ".into(),
        invoice_prefix: "INV".into(),
        rounding: Some("floor".into()),
        invoice_dates: None,
    };
    invoices::put_issuer(app, operator, issuer, None).await.map_err(|e| e.to_string())?;
    let line = |d: &str, q: i64, p: i64, c: &str| LineInput { description: d.into(), quantity: q, unit_price: p, tax_category: c.into() };
    let input = NewBilling {
        period: "2025-04".into(),
        lines: vec![
            line("Redmine ホスティング スタンダード（4月分）", 1, 55_000, "standard"),
            line("追加ストレージ 50GB", 2, 3_300, "standard"),
            line("バックアップ オプション", 1, 5_500, "standard"),
            line("プラグイン導入作業", 3, 8_000, "standard"),
            line("打ち合わせ用 お茶（軽減税率）", 12, 108, "reduced"),
            line("会議用 弁当（軽減税率）", 6, 864, "reduced"),
            line("長期契約割引", 1, -5_000, "standard"),
        ],
        notes: Some("いつもご利用いただきありがとうございます。".into()),
        issue_date: "2025-04-30".into(),
        due_date: "2025-05-31".into(),
    };
    let (period, content) = billings::validate_new(input).map_err(|e| e.to_string())?;
    let draft = billings::create(app, operator, tenant, period, content, rand::random()).await.map_err(|e| e.to_string())?;
    let (invoice, _) = invoices::issue(app, operator, tenant, &draft.billing_id).await.map_err(|e| e.to_string())?;
    Ok(invoice.invoice_number.to_string())
}
