//! Fresh stores for each test, over each adapter, and an app seeded with known principals.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use common::App;
use common::clock::{Clock, ManualClock, SequentialIds, SystemClock};
use common::domain::{
    BillingContact, BillingContent, BillingCycle, BillingId, BillingLine, BillingPeriod, BillingRecord, BillingStatus, Contract, ContractId, ContractStatus,
    ContractTerms, CustomerProfile, Email, Invoice, InvoiceNumber, PdfInfo, PdfSource, PlanTier, PostalCode, TaxCategory, Tenant, TenantId, TenantStatus, Yen,
    lifecycle,
};
use common::store::aws::{AwsSettings, AwsStore, bootstrap};
use common::store::embedded::{EmbeddedOptions, EmbeddedStore, serve_objects};
use common::store::{ApiKeyId, ApiKeyRecord, Owner, Principal, PrincipalArn, Stores};
use local_gateway::credentials::{ApiKey, CredentialFile, Credentials};
use local_gateway::keys::GatewayKeys;
use local_gateway::limits::Limiter;

pub const CURSOR_KEY: [u8; 32] = [0x5e; 32];
pub const REGION: &str = "ap-northeast-1";
/// Set by the test command to the moto server it started.
pub const MOTO_ENV: &str = "SEIKYU_TEST_MOTO_ENDPOINT";

/// A store under test and whatever must live as long as it.
pub struct StoreFixture {
    pub stores: Stores,
    pub adapter: &'static str,
    _dir: Option<tempfile::TempDir>,
    _server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Drop for StoreFixture {
    fn drop(&mut self) {
        if let Some(s) = &self._server {
            s.abort();
        }
    }
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-04-01T09:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// An embedded store in a fresh directory, with its presigned-URL server on a random port.
pub async fn embedded_store() -> StoreFixture {
    embedded_store_with(Arc::new(SystemClock)).await
}

pub async fn embedded_store_with(clock: Arc<dyn Clock>) -> StoreFixture {
    embedded_store_and_handle(clock).await.0
}

/// `embedded_store_with`, and the store itself (its run queue is read through it).
pub async fn embedded_store_and_handle(clock: Arc<dyn Clock>) -> (StoreFixture, Arc<EmbeddedStore>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let options = EmbeddedOptions { cursor_key: CURSOR_KEY.to_vec(), presign_key: vec![0x11; 32], public_base_url: base };
    let store = EmbeddedStore::open(dir.path(), options, clock).expect("open embedded store");
    let server = tokio::spawn(serve_objects(store.clone(), listener));
    (StoreFixture { stores: store.stores(), adapter: "embedded", _dir: Some(dir), _server: Some(server) }, store)
}

/// The moto endpoint the test command started. Failing here, not skipping: the DynamoDB/S3
/// adapter is only proven against a real protocol server.
pub fn moto_endpoint() -> String {
    std::env::var(MOTO_ENV).unwrap_or_else(|_| panic!("{MOTO_ENV} is not set: run the tests with ./scripts/test, which starts a moto server"))
}

/// A DynamoDB table and S3 bucket of their own on the moto server, created by `bootstrap`.
pub async fn dynamodb_store() -> StoreFixture {
    dynamodb_store_with(Arc::new(SystemClock)).await
}

/// `dynamodb_store`, with an SQS queue of its own on moto for month-end runs; the queue's URL.
pub async fn dynamodb_store_with_queue() -> (StoreFixture, String) {
    dynamodb_store_with_queue_at(Arc::new(SystemClock)).await
}

/// The SDK's configuration for the test command's moto server (fake credentials).
pub async fn moto_sdk_config() -> aws_config::SdkConfig {
    common::aws_http::sdk_loader()
        .region(aws_config::Region::new(REGION))
        .endpoint_url(moto_endpoint())
        .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await
}

/// `dynamodb_store_with_queue` on `clock`.
pub async fn dynamodb_store_with_queue_at(clock: Arc<dyn Clock>) -> (StoreFixture, String) {
    let conf = moto_sdk_config().await;
    let name = format!("seikyu-runs-{}", hex::encode(rand::random::<[u8; 6]>()));
    let url = aws_sdk_sqs::Client::new(&conf).create_queue().queue_name(name).send().await.expect("create the run queue on moto").queue_url.expect("queue url");
    (dynamodb_store_with_settings(clock, Some(url.clone())).await, url)
}

pub async fn dynamodb_store_with(clock: Arc<dyn Clock>) -> StoreFixture {
    dynamodb_store_with_settings(clock, None).await
}

async fn dynamodb_store_with_settings(clock: Arc<dyn Clock>, run_queue_url: Option<String>) -> StoreFixture {
    let suffix = hex::encode(rand::random::<[u8; 6]>());
    let settings = AwsSettings {
        region: REGION.into(),
        endpoint: Some(moto_endpoint()),
        table: format!("seikyu-test-{suffix}"),
        bucket: format!("seikyu-test-{suffix}"),
        static_credentials: Some(("testing".into(), "testing".into())),
        run_queue_url,
        pdf_retention: Default::default(),
    };
    let store = AwsStore::connect(&settings, &CURSOR_KEY, clock).await.expect("connect to moto");
    bootstrap(&store, REGION).await.expect("bootstrap table and bucket on moto");
    StoreFixture { stores: store.stores(), adapter: "dynamodb", _dir: None, _server: None }
}

pub fn tenant_id(n: u8) -> TenantId {
    TenantId::parse(&format!("tn_{:016}", n)).expect("fixed tenant id")
}

pub fn tenant(id: &TenantId, name: &str) -> Tenant {
    Tenant {
        tenant_id: id.clone(),
        name: name.into(),
        customer_profile: CustomerProfile {
            company_name: format!("{name}株式会社"),
            postal_code: PostalCode::parse("690-0887").expect("postal code"),
            address: "島根県松江市殿町1番地".into(),
            billing_contact: BillingContact { name: "経理 太郎".into(), email: Email::parse("keiri@example.co.jp").expect("email") },
        },
        plan_tier: PlanTier::Standard,
        status: TenantStatus::Active,
        api_key_id: None,
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

pub fn contract(tenant: &TenantId, id: &str, status: ContractStatus) -> Contract {
    Contract {
        contract_id: ContractId::parse(id).expect("contract id"),
        tenant_id: tenant.clone(),
        terms: ContractTerms {
            plan_name: "Redmine ホスティング スタンダード".into(),
            monthly_fee: Yen::non_negative(55_000).expect("fee"),
            start_date: t0().date_naive(),
            end_date: None,
            billing_cycle: BillingCycle::Monthly,
            status,
            notes: Some("備考: \"引用\", カンマ".into()),
        },
        created_at: t0(),
        updated_at: t0(),
        version: 1,
    }
}

/// Principals and keys every handler test and `events/` file use.
pub mod who {
    pub const OPERATOR_ARN: &str = "arn:aws:iam::123456789012:role/SeikyuOperator";
    pub const OPERATOR_KEY: &str = "opkey0000001";
    /// Tenant A signs with an assumed role; the session name is whatever the plugin chose.
    pub const TENANT_A_ARN: &str = "arn:aws:sts::123456789012:assumed-role/RedmineTenantA/redmine-plugin";
    pub const TENANT_A_KEY: &str = "tenantakey01";
    pub const TENANT_B_ARN: &str = "arn:aws:iam::123456789012:user/redmine-tenant-b";
    pub const TENANT_B_KEY: &str = "tenantbkey01";
    pub const UNKNOWN_ARN: &str = "arn:aws:iam::123456789012:user/stranger";
}

/// An app over a fresh store (embedded, or DynamoDB and S3 on moto) with a manual clock, sequential
/// ids, an operator and two tenants (`tenant_id(1)` = A with contracts C-A-1 and C-A-2 and billing
/// records 2025-03-issued01 (issued) and 2025-04-draft001 (draft); `tenant_id(2)` = B with C-B-1,
/// 2025-03-issued02, and 2025-04-extern01 whose invoice SEED-2025-000003 awaits an uploaded PDF).
pub struct Seeded {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    /// The local key registry behind `app.keys`, holding tenant A's and B's keys.
    pub credentials: Arc<Credentials>,
    pub limiter: Arc<Limiter>,
    _store: StoreFixture,
}

impl Seeded {
    /// The adapter under the app: `embedded` or `dynamodb`.
    pub fn adapter(&self) -> &'static str {
        self._store.adapter
    }
}

/// The gateway registry's entries for the seeded tenants' keys (both on the standard plan).
pub fn seeded_api_keys() -> Vec<ApiKey> {
    [(who::TENANT_A_KEY, tenant_id(1)), (who::TENANT_B_KEY, tenant_id(2))]
        .into_iter()
        .map(|(id, t)| ApiKey { id: id.into(), value: format!("{id}-value"), tenant_id: Some(t), enabled: true, plan: PlanTier::Standard })
        .collect()
}

/// The seeded app over the embedded store.
pub async fn seeded_app() -> Seeded {
    let clock = Arc::new(ManualClock::new(t0()));
    seeded_app_over(embedded_store_with(clock.clone()).await, clock).await
}

/// The same seeded app over a DynamoDB table and S3 bucket of its own on the moto server.
pub async fn seeded_dynamodb_app() -> Seeded {
    let clock = Arc::new(ManualClock::new(t0()));
    seeded_app_over(dynamodb_store_with(clock.clone()).await, clock).await
}

/// Seeds `store` and builds the app over it; `clock` is the one the store was opened with.
pub async fn seeded_app_over(store: StoreFixture, clock: Arc<ManualClock>) -> Seeded {
    let credentials = Arc::new(Credentials::in_memory(CredentialFile { access_keys: Vec::new(), api_keys: seeded_api_keys(), policies: Vec::new() }));
    let limiter = Arc::new(Limiter::open(None).expect("limiter"));
    let keys = Arc::new(GatewayKeys::new(credentials.clone(), limiter.clone()));
    let app = Arc::new(App {
        stores: store.stores.clone(),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        renderer: Some(Arc::new(FakePdf)),
        keys: Some(keys),
        iam: None,
    });
    seed(&app.stores).await;
    Seeded { app, clock, credentials, limiter, _store: store }
}

pub async fn seed(stores: &Stores) {
    let (a, b) = (tenant_id(1), tenant_id(2));
    let principal = |arn: &str, owner: Owner| Principal { arn: PrincipalArn::parse(arn).expect("arn"), owner, registered_at: None };
    let key = |id: &str, owner: Owner| ApiKeyRecord { api_key_id: ApiKeyId::parse(id).expect("key id"), owner, enabled: true };
    let ta = Owner::Tenant { tenant_id: a.clone() };
    let tb = Owner::Tenant { tenant_id: b.clone() };
    for (arn, owner) in [(who::OPERATOR_ARN, Owner::Operator), (who::TENANT_A_ARN, ta.clone()), (who::TENANT_B_ARN, tb.clone())] {
        stores.principals.put_principal(&principal(arn, owner)).await.expect("seed principal");
    }
    for (id, owner) in [(who::OPERATOR_KEY, Owner::Operator), (who::TENANT_A_KEY, ta), (who::TENANT_B_KEY, tb)] {
        stores.principals.put_api_key(&key(id, owner)).await.expect("seed key");
    }
    for (t, name, key) in [(&a, "テナントA", who::TENANT_A_KEY), (&b, "テナントB", who::TENANT_B_KEY)] {
        let record = Tenant { api_key_id: Some(ApiKeyId::parse(key).expect("key id")), ..tenant(t, name) };
        stores.tenants.create_tenant(&record).await.expect("seed tenant");
    }
    for (t, id, s) in [(&a, "C-A-1", ContractStatus::Active), (&a, "C-A-2", ContractStatus::Cancelled), (&b, "C-B-1", ContractStatus::Active)] {
        stores.contracts.create_contract(&contract(t, id, s)).await.expect("seed contract");
    }
    let seeded = [(&a, "2025-03-issued01", Some("SEED-2025-000001")), (&a, "2025-04-draft001", None), (&b, "2025-03-issued02", Some("SEED-2025-000002"))];
    for (t, id, number) in seeded {
        let draft = draft_with(t, BillingId::parse(id).expect("billing id"), content(BillingPeriod::parse(&id[..7]).expect("period")));
        match number {
            Some(n) => {
                let invoice = issue_in(stores, &draft, InvoiceNumber::parse(n).expect("invoice number"), PdfSource::Rendered).await;
                let pdf = Bytes::from(common::service::invoices::InvoiceRenderer::render(&FakePdf, &invoice).expect("fake pdf"));
                finish_in(stores, &invoice, pdf).await;
            }
            None => stores.billings.create_billing(&draft).await.expect("seed billing"),
        }
    }
    // Tenant B's invoice SEED-2025-000003 waits for a PDF the operator's system uploads.
    let external = draft_with(&b, BillingId::parse("2025-04-extern01").expect("billing id"), content(BillingPeriod::parse("2025-04").expect("period")));
    issue_in(stores, &external, InvoiceNumber::parse("SEED-2025-000003").expect("invoice number"), PdfSource::External).await;
    stores.invoices.put_issuer(&issuer(), None).await.expect("seed issuer");
}

/// The two lines every fixture record bills (one at the reduced rate), dated in `period`.
pub fn content(period: BillingPeriod) -> BillingContent {
    let line = |d: &str, q, p, c| BillingLine { description: d.into(), quantity: q, unit_price: Yen::new(p).expect("price"), tax_category: c };
    BillingContent {
        lines: vec![line("Redmine ホスティング", 1, 55_000, TaxCategory::Standard), line("お茶（軽減税率）", 3, 108, TaxCategory::Reduced)],
        notes: None,
        issue_date: period.first_day().unwrap_or_default(),
        due_date: period.first_day().unwrap_or_default() + chrono::TimeDelta::days(30),
    }
}

/// A draft with the given id and content.
pub fn draft_with(tenant: &TenantId, id: BillingId, content: BillingContent) -> BillingRecord {
    BillingRecord::draft(id, tenant.clone(), content, t0())
}

/// A draft for `period`, its id made from `n`.
pub fn draft(tenant: &TenantId, period: &str, n: u8) -> BillingRecord {
    let period = BillingPeriod::parse(period).expect("period");
    draft_with(tenant, BillingId::new(period, [n, n / 36, n, n, n, n, n, n]), content(period))
}

/// `draft` walked through the lifecycle to `status`, the only way records and invoices change:
/// the invoice (numbered `number`, with PDF `pdf`) once it has one, and the record.
pub fn walk(draft: &BillingRecord, status: BillingStatus, number: InvoiceNumber, pdf: PdfInfo) -> (Option<Invoice>, BillingRecord) {
    if status == BillingStatus::Draft {
        return (None, draft.clone());
    }
    let source = if status == BillingStatus::AwaitingUpload { PdfSource::External } else { PdfSource::Rendered };
    let frozen = lifecycle::freeze(draft, &issuer(), recipient(&draft.tenant_id), number, source).expect("freeze");
    let (invoice, record) = lifecycle::bind(draft, frozen, t0()).expect("bind");
    if matches!(status, BillingStatus::Issuing | BillingStatus::AwaitingUpload) {
        return (Some(invoice), record);
    }
    let (invoice, record) = lifecycle::issue(&invoice, &record, pdf, t0()).expect("issue");
    let (invoice, record) = match status {
        BillingStatus::Paid => lifecycle::pay(&invoice, &record, draft.content().due_date, t0()).expect("pay"),
        BillingStatus::Void => lifecycle::void(&invoice, &record, "fixture".into(), t0()).expect("void"),
        _ => (invoice, record),
    };
    (Some(invoice), record)
}

/// A billing record for `period` in `status` (from a draft whose id is made from `n`).
pub fn billing(tenant: &TenantId, period: &str, n: u8, status: BillingStatus) -> BillingRecord {
    let d = draft(tenant, period, n);
    let number = InvoiceNumber::parse(&format!("FIX-{}-{:06}", &period[..4], u32::from(n) + 1)).expect("invoice number");
    walk(&d, status, number, PdfInfo { sha256: "0".repeat(64), size: 0 }).1
}

/// The recipient every fixture invoice names.
pub fn recipient(t: &TenantId) -> common::domain::CustomerProfile {
    tenant(t, "seeded").customer_profile
}

/// Stores `draft` and binds it to invoice `number` through the store ports, as issuing does.
pub async fn issue_in(stores: &Stores, draft: &BillingRecord, number: InvoiceNumber, source: PdfSource) -> Invoice {
    stores.billings.create_billing(draft).await.expect("store draft");
    let frozen = lifecycle::freeze(draft, &issuer(), recipient(&draft.tenant_id), number, source).expect("freeze");
    let (invoice, bound) = lifecycle::bind(draft, frozen, t0()).expect("bind");
    let year = Invoice::year_of(draft.content().issue_date);
    // Allocation moves the year's counter with the invoice: take its current value.
    let seq = stores.invoices.next_invoice_seq(year).await.expect("counter");
    stores.invoices.allocate_invoice(year, seq, &invoice, &bound, draft.version).await.expect("allocate");
    invoice
}

/// Stores `pdf` as numbered `invoice`'s PDF and issues it, as issuing does. Returns its SHA-256.
pub async fn finish_in(stores: &Stores, invoice: &Invoice, pdf: Bytes) -> String {
    let info = PdfInfo { sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pdf)), size: pdf.len() as u64 };
    let key = common::service::invoices::pdf_key(invoice).expect("pdf key");
    stores.objects.create_object(&key, pdf, "application/pdf").await.expect("store pdf");
    let record = stores.billings.get_billing(&invoice.tenant_id, &invoice.billing_id).await.expect("read").expect("bound record");
    let (issued, issued_record) = lifecycle::issue(invoice, &record, info.clone(), t0()).expect("issue");
    stores.invoices.update_invoice_and_billing(&issued, invoice.version, &issued_record, record.version).await.expect("issue in store");
    info.sha256
}

/// A stand-in renderer: deterministic bytes that name the invoice and its totals.
pub struct FakePdf;

impl common::service::invoices::InvoiceRenderer for FakePdf {
    fn render(&self, invoice: &common::domain::Invoice) -> Result<Vec<u8>, String> {
        Ok(format!("%PDF-1.7\n% {} {} {}\n%%EOF\n", invoice.invoice_number, invoice.tenant_id, invoice.totals.total.get()).into_bytes())
    }
}

/// The issuer every seeded app has.
pub fn issuer() -> common::domain::IssuerSettings {
    common::domain::IssuerSettings {
        name: "株式会社セイキュウ".into(),
        address: "島根県松江市学園南1-2-3".into(),
        registration_number: common::domain::RegistrationNumber::parse("T8700110005901").expect("registration number"),
        bank_details: "しまね銀行 松江支店 普通 1234567".into(),
        invoice_prefix: common::domain::InvoicePrefix::parse("INV").expect("prefix"),
        rounding: common::domain::Rounding::Floor,
        invoice_dates: Default::default(),
        version: 1,
        updated_at: t0(),
    }
}
