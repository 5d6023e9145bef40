//! The API Gateway adapter: one API key per tenant, on the usage plan of its tier.
//!
//! The three plans (and the stages they cover) are made by the deployment template; this adapter
//! only learns their ids and moves keys between them.

use async_trait::async_trait;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use chrono::{Days, NaiveDate};

use super::{ApiKeys, DayUsage, KeyState, NewKey, PlanUsage};
use crate::domain::{PlanTier, TenantId};
use crate::store::aws::sdk_unavailable;
use crate::store::{ApiKeyId, StoreError};

/// Page size for GetUsage and GetUsagePlans (API Gateway allows up to 500).
const PAGE: i32 = 500;
const DATE: &str = "%Y-%m-%d";

/// Said to the operator when CreateApiKey meets the account's quota: retrying will not help.
/// API Gateway's limit is 10,000 keys per account and Region, and it cannot be raised.
const KEY_LIMIT: &str = "This deployment has reached API Gateway's limit of 10,000 API keys per AWS account and Region, which cannot be raised: \
no tenant can be onboarded here until tenants are offboarded (their keys are deleted) or new tenants go to a deployment in another Region or account.";

/// The usage plan id of each tier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanIds {
    pub basic: String,
    pub standard: String,
    pub premium: String,
}

impl PlanIds {
    /// Finds the plans named `<prefix>-basic`, `<prefix>-standard` and `<prefix>-premium`.
    pub async fn discover(client: &aws_sdk_apigateway::Client, prefix: &str) -> Result<Self, String> {
        let mut found = std::collections::HashMap::new();
        let mut position: Option<String> = None;
        loop {
            let out = client.get_usage_plans().limit(PAGE).set_position(position.clone()).send().await.map_err(|e| format!("GetUsagePlans: {e}"))?;
            for plan in out.items() {
                if let (Some(name), Some(id)) = (plan.name(), plan.id()) {
                    found.insert(name.to_owned(), id.to_owned());
                }
            }
            match out.position() {
                Some(p) if Some(p) != position.as_deref() => position = Some(p.to_owned()),
                _ => break,
            }
        }
        let mut take = |tier: &str| found.remove(&format!("{prefix}-{tier}")).ok_or_else(|| format!("no usage plan named {prefix}-{tier}"));
        Ok(Self { basic: take("basic")?, standard: take("standard")?, premium: take("premium")? })
    }

    pub fn of(&self, tier: PlanTier) -> &str {
        match tier {
            PlanTier::Basic => &self.basic,
            PlanTier::Standard => &self.standard,
            PlanTier::Premium => &self.premium,
        }
    }

    /// Reads `SEIKYU_USAGE_PLAN_BASIC`, `_STANDARD` and `_PREMIUM`, so a missing one fails at start-up.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
            _ => Err(format!("{name} is not set: it must hold the id of that tier's API Gateway usage plan")),
        };
        Ok(Self { basic: var("SEIKYU_USAGE_PLAN_BASIC")?, standard: var("SEIKYU_USAGE_PLAN_STANDARD")?, premium: var("SEIKYU_USAGE_PLAN_PREMIUM")? })
    }
}

pub struct ApiGatewayKeys {
    client: aws_sdk_apigateway::Client,
    plans: PlanIds,
    /// Leads every key's name (`<prefix>-<tenantId>`), so the console shows whose key it is.
    name_prefix: String,
}

impl ApiGatewayKeys {
    pub fn new(client: aws_sdk_apigateway::Client, plans: PlanIds, name_prefix: impl Into<String>) -> Self {
        Self { client, plans, name_prefix: name_prefix.into() }
    }

    /// Builds the SDK client once (call at init). `region` `None` takes the default provider
    /// chain's; `endpoint` and `static_credentials` are for a local endpoint (tests).
    pub async fn connect(
        region: Option<String>,
        endpoint: Option<String>,
        static_credentials: Option<(String, String)>,
        plans: PlanIds,
        name_prefix: impl Into<String>,
    ) -> Self {
        Self::new(aws_sdk_apigateway::Client::new(&crate::aws_http::sdk_config(region, endpoint, static_credentials).await), plans, name_prefix)
    }

    /// Reads `AWS_REGION`, optional `SEIKYU_ENDPOINT_URL`, `SEIKYU_API_KEY_PREFIX` (default
    /// `seikyu`), and the plans: their ids (see `PlanIds::from_env`) or, as the SAM template
    /// gives it, `SEIKYU_USAGE_PLAN_PREFIX`, the plans being named `<prefix>-basic`, `-standard`
    /// and `-premium` (a function cannot name the plans' ids: they depend on the API's stage,
    /// which depends on the functions, a cycle CloudFormation refuses).
    pub async fn from_env() -> Result<Self, String> {
        let nonempty = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        let prefix = nonempty("SEIKYU_API_KEY_PREFIX").unwrap_or_else(|| "seikyu".into());
        let explicit = PlanIds::from_env();
        let mut keys = Self::connect(nonempty("AWS_REGION"), nonempty("SEIKYU_ENDPOINT_URL"), None, explicit.clone().unwrap_or_default(), prefix).await;
        if let Err(missing) = explicit {
            let plan_prefix =
                nonempty("SEIKYU_USAGE_PLAN_PREFIX").ok_or_else(|| format!("{missing}; or set SEIKYU_USAGE_PLAN_PREFIX to find the plans by name"))?;
            keys.plans = PlanIds::discover(&keys.client, &plan_prefix).await?;
        }
        Ok(keys)
    }

    /// The SDK client, for set-up code and tests that create plans.
    pub fn client(&self) -> &aws_sdk_apigateway::Client {
        &self.client
    }

    pub fn plans(&self) -> &PlanIds {
        &self.plans
    }

    /// Puts the key on a plan; already being there is success. A conflict is checked, not
    /// trusted: it may also be API Gateway refusing a second plan that covers the same stage.
    async fn attach(&self, key: &str, plan: &str) -> Result<(), StoreError> {
        match self.client.create_usage_plan_key().usage_plan_id(plan).key_id(key).key_type("API_KEY").send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => {
                match self.client.get_usage_plan_key().usage_plan_id(plan).key_id(key).send().await {
                    Ok(_) => Ok(()),
                    Err(_) => Err(sdk_unavailable("CreateUsagePlanKey", e)),
                }
            }
            Err(e) => Err(sdk_unavailable("CreateUsagePlanKey", e)),
        }
    }

    /// Takes the key off a plan; not being there is success.
    async fn detach(&self, key: &str, plan: &str) -> Result<(), StoreError> {
        match self.client.delete_usage_plan_key().usage_plan_id(plan).key_id(key).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(()),
            Err(e) => Err(sdk_unavailable("DeleteUsagePlanKey", e)),
        }
    }

    /// The ids of every plan the key is on. Asked first, rather than deleting blindly from each
    /// plan: an unchanged tier then costs one call, and moto answers 500 to deleting an absent
    /// plan key.
    async fn plans_of(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let sent = position.clone();
            let out = self
                .client
                .get_usage_plans()
                .key_id(key)
                .limit(PAGE)
                .set_position(sent.clone())
                .send()
                .await
                .map_err(|e| sdk_unavailable("GetUsagePlans", e))?;
            ids.extend(out.items().iter().filter_map(|p| p.id().map(str::to_owned)));
            position = next_position(out.position(), sent.as_deref(), "GetUsagePlans")?;
            if position.is_none() {
                return Ok(ids);
            }
        }
    }

    /// The ids of the keys on a plan.
    async fn plan_keys(&self, plan: &str) -> Result<std::collections::HashSet<String>, StoreError> {
        let (mut ids, mut position) = (std::collections::HashSet::new(), None::<String>);
        loop {
            let sent = position.clone();
            let page = self.client.get_usage_plan_keys().usage_plan_id(plan).limit(PAGE).set_position(sent.clone()).send().await;
            let page = page.map_err(|e| sdk_unavailable("GetUsagePlanKeys", e))?;
            ids.extend(page.items().iter().filter_map(|k| k.id().map(str::to_owned)));
            position = next_position(page.position(), sent.as_deref(), "GetUsagePlanKeys")?;
            if position.is_none() {
                return Ok(ids);
            }
        }
    }

    /// Best effort, after a failed onboarding: a key left behind would only count against the quota.
    async fn discard(&self, key: &str) {
        if let Err(e) = self.delete_key_raw(key).await {
            tracing::warn!(api_key_id = key, error = %e, "could not delete the API key of a failed onboarding; delete it by hand");
        }
    }

    async fn delete_key_raw(&self, key: &str) -> Result<(), StoreError> {
        match self.client.delete_api_key().api_key(key).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(()),
            Err(e) => Err(sdk_unavailable("DeleteApiKey", e)),
        }
    }
}

/// The position to ask for next, or `None` at the last page. A server repeating the position it
/// was given would otherwise loop forever.
fn next_position(got: Option<&str>, sent: Option<&str>, what: &str) -> Result<Option<String>, StoreError> {
    match got.filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) if Some(p) == sent => Err(StoreError::Unavailable(format!("{what} returned the page position it was given"))),
        Some(p) => Ok(Some(p.to_owned())),
    }
}

/// One key's `[used, remaining]` pairs, one per day from `start`; days after `to` are dropped.
/// Counts that are missing or negative read as 0.
fn days_of(start: NaiveDate, to: NaiveDate, pairs: &[Vec<i64>]) -> impl Iterator<Item = DayUsage> + '_ {
    let count = |n: Option<&i64>| n.and_then(|n| u64::try_from(*n).ok()).unwrap_or(0);
    pairs.iter().enumerate().map_while(move |(i, pair)| {
        let date = start.checked_add_days(Days::new(u64::try_from(i).ok()?))?;
        (date <= to).then(|| DayUsage { date, used: count(pair.first()), remaining: count(pair.get(1)) })
    })
}

#[async_trait]
impl ApiKeys for ApiGatewayKeys {
    async fn create_key(&self, tenant: &TenantId, tier: PlanTier, enabled: bool) -> Result<NewKey, StoreError> {
        let out = self
            .client
            .create_api_key()
            .name(format!("{}-{tenant}", self.name_prefix))
            .description(format!("seikyu API key of tenant {tenant}"))
            .enabled(enabled)
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_limit_exceeded_exception()) {
                    tracing::error!(error = %aws_smithy_types::error::display::DisplayErrorContext(&e), "CreateApiKey: API key limit reached");
                    StoreError::LimitReached(KEY_LIMIT.into())
                } else {
                    sdk_unavailable("CreateApiKey", e)
                }
            })?;
        let raw = out.id().unwrap_or_default();
        let made = match (ApiKeyId::parse(raw), out.value()) {
            (Ok(id), Some(value)) => self.attach(id.as_str(), self.plans.of(tier)).await.map(|()| NewKey { id, value: value.to_owned() }),
            (Err(m), _) => Err(StoreError::Unavailable(format!("CreateApiKey returned the key id {raw:?}, which {m}"))),
            (Ok(_), None) => Err(StoreError::Unavailable("CreateApiKey returned no key value".into())),
        };
        if made.is_err() && !raw.is_empty() {
            self.discard(raw).await;
        }
        made
    }

    /// Off every other tier's plan before onto the target's: API Gateway refuses a key on two
    /// plans that cover the same stage.
    async fn set_key(&self, key: &ApiKeyId, tier: PlanTier, enabled: bool) -> Result<(), StoreError> {
        let target = self.plans.of(tier);
        let current = self.plans_of(key.as_str()).await?;
        for other in PlanTier::ALL.into_iter().map(|t| self.plans.of(t)).filter(|p| *p != target) {
            if current.iter().any(|c| c == other) {
                self.detach(key.as_str(), other).await?;
            }
        }
        if !current.iter().any(|c| c == target) {
            self.attach(key.as_str(), target).await?;
        }
        let patch = PatchOperation::builder().op(Op::Replace).path("/enabled").value(enabled.to_string()).build();
        self.client.update_api_key().api_key(key.as_str()).patch_operations(patch).send().await.map_err(|e| sdk_unavailable("UpdateApiKey", e))?;
        Ok(())
    }

    async fn delete_key(&self, key: &ApiKeyId) -> Result<(), StoreError> {
        self.delete_key_raw(key.as_str()).await
    }

    /// GetApiKeys by our names' prefix, then each plan's keys: a few calls for thousands of keys.
    async fn list_keys(&self) -> Result<Vec<KeyState>, StoreError> {
        let mut on_plan: Vec<(PlanTier, std::collections::HashSet<String>)> = Vec::new();
        for tier in PlanTier::ALL {
            on_plan.push((tier, self.plan_keys(self.plans.of(tier)).await?));
        }
        let prefix = format!("{}-", self.name_prefix);
        let (mut out, mut position) = (Vec::new(), None::<String>);
        loop {
            let sent = position.clone();
            let page = self.client.get_api_keys().name_query(&prefix).limit(PAGE).set_position(sent.clone()).send().await;
            let page = page.map_err(|e| sdk_unavailable("GetApiKeys", e))?;
            for key in page.items() {
                let tenant = key.name().and_then(|n| n.strip_prefix(&prefix)).and_then(|t| TenantId::parse(t).ok());
                let (Some(tenant), Some(Ok(id))) = (tenant, key.id().map(ApiKeyId::parse)) else { continue };
                let tiers = on_plan.iter().filter(|(_, ids)| ids.contains(id.as_str())).map(|(t, _)| *t).collect();
                let created = key.created_date().and_then(|d| chrono::DateTime::from_timestamp(d.secs(), d.subsec_nanos()));
                out.push(KeyState { id, tenant, tiers, enabled: key.enabled(), created });
            }
            position = next_position(page.position(), sent.as_deref(), "GetApiKeys")?;
            if position.is_none() {
                return Ok(out);
            }
        }
    }

    async fn usage(&self, tier: PlanTier, key: Option<&ApiKeyId>, from: NaiveDate, to: NaiveDate) -> Result<PlanUsage, StoreError> {
        let mut usage = PlanUsage::new();
        let mut position: Option<String> = None;
        loop {
            let sent = position.clone();
            let out = self
                .client
                .get_usage()
                .usage_plan_id(self.plans.of(tier))
                .start_date(from.format(DATE).to_string())
                .end_date(to.format(DATE).to_string())
                .set_key_id(key.map(|k| k.as_str().to_owned()))
                .limit(PAGE)
                .set_position(sent.clone())
                .send()
                .await
                .map_err(|e| sdk_unavailable("GetUsage", e))?;
            // The series start where the answer says, which is where we asked unless it moved it.
            let start = out.start_date().and_then(|s| NaiveDate::parse_from_str(s, DATE).ok()).unwrap_or(from);
            for (raw, pairs) in out.items().into_iter().flatten() {
                match ApiKeyId::parse(raw) {
                    Ok(id) => usage.entry(id).or_default().extend(days_of(start, to, pairs)),
                    Err(m) => tracing::warn!(api_key_id = %raw, "GetUsage reported a key id that {m}; skipped"),
                }
            }
            position = next_position(out.position(), sent.as_deref(), "GetUsage")?;
            if position.is_none() {
                break;
            }
        }
        // A key split over two pages keeps one entry per day, in date order.
        for days in usage.values_mut() {
            days.sort_by_key(|d| d.date);
            days.dedup_by_key(|d| d.date);
        }
        Ok(usage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, DATE).unwrap()
    }

    #[test]
    fn days_count_from_the_start_and_stop_after_to() {
        let pairs = vec![vec![3, 97], vec![], vec![-1, 5], vec![7], vec![1, 1]];
        let days: Vec<_> = days_of(d("2025-01-31"), d("2025-02-03"), &pairs).collect();
        assert_eq!(
            days,
            vec![
                DayUsage { date: d("2025-01-31"), used: 3, remaining: 97 },
                DayUsage { date: d("2025-02-01"), used: 0, remaining: 0 },
                DayUsage { date: d("2025-02-02"), used: 0, remaining: 5 },
                DayUsage { date: d("2025-02-03"), used: 7, remaining: 0 },
            ]
        );
    }

    #[test]
    fn a_repeated_position_is_an_error_not_a_loop() {
        assert!(next_position(Some("p"), Some("p"), "GetUsage").is_err());
        assert_eq!(next_position(Some(""), None, "GetUsage").unwrap(), None);
        assert_eq!(next_position(Some("q"), Some("p"), "GetUsage").unwrap().as_deref(), Some("q"));
    }

    #[test]
    fn plan_ids_name_each_tier() {
        let p = PlanIds { basic: "b".into(), standard: "s".into(), premium: "p".into() };
        assert_eq!(PlanTier::ALL.map(|t| p.of(t)), ["b", "s", "p"]);
    }
}
