//! What IAM and API Gateway's key store know, for the local gateway: access keys (secret, the
//! principal they sign as, an optional session token) and API keys (value, id, tenant, enabled).
//! Kept in `<data dir>/gateway-credentials.json`, readable and editable by hand.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use common::domain::{PlanTier, TenantId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// As API Gateway reports it in `identity.userArn`: an IAM user, or an STS assumed-role ARN.
    pub principal_arn: String,
    /// Temporary credentials carry one; requests must then send it as `x-amz-security-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub value: String,
    /// `None` for the operator's key.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    pub enabled: bool,
    /// The usage plan the key is on (its tenant's tier).
    #[serde(default = "default_plan")]
    pub plan: PlanTier,
}

fn default_plan() -> PlanTier {
    PlanTier::Standard
}

/// An IAM user's identity policy (the local gateway's IAM keeps one per user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserPolicy {
    pub principal_arn: String,
    pub document: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialFile {
    pub access_keys: Vec<AccessKey>,
    pub api_keys: Vec<ApiKey>,
    /// Users with a policy may invoke only what it allows; users without one, anything.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<UserPolicy>,
}

#[derive(Default)]
struct Index {
    file: CredentialFile,
    by_access_key: HashMap<String, usize>,
    by_api_key_value: HashMap<String, usize>,
}

impl Index {
    fn new(file: CredentialFile) -> Self {
        let by_access_key = file.access_keys.iter().enumerate().map(|(i, k)| (k.access_key_id.clone(), i)).collect();
        let by_api_key_value = file.api_keys.iter().enumerate().map(|(i, k)| (k.value.clone(), i)).collect();
        Self { file, by_access_key, by_api_key_value }
    }
}

/// The credential registry, in memory, saved to its file on every change when it has one.
pub struct Credentials {
    path: Option<PathBuf>,
    index: RwLock<Index>,
}

impl Credentials {
    pub const FILE: &'static str = "gateway-credentials.json";

    pub fn in_memory(file: CredentialFile) -> Self {
        Self { path: None, index: RwLock::new(Index::new(file)) }
    }

    /// Loads `<dir>/gateway-credentials.json`; `None` when the file does not exist yet.
    pub fn load(dir: &Path) -> Result<Option<Self>, String> {
        let path = dir.join(Self::FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("reading {}: {e}", path.display())),
        };
        let file: CredentialFile = serde_json::from_str(&text).map_err(|e| format!("{} is not a credential file: {e}", path.display()))?;
        Ok(Some(Self { path: Some(path), index: RwLock::new(Index::new(file)) }))
    }

    pub fn create(dir: &Path, file: CredentialFile) -> Result<Self, String> {
        let me = Self { path: Some(dir.join(Self::FILE)), index: RwLock::new(Index::new(file)) };
        me.save_file(&me.snapshot())?;
        Ok(me)
    }

    fn save_file(&self, file: &CredentialFile) -> Result<(), String> {
        let Some(path) = &self.path else { return Ok(()) };
        let text = serde_json::to_string_pretty(file).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    pub fn snapshot(&self) -> CredentialFile {
        self.index.read().map(|i| i.file.clone()).unwrap_or_default()
    }

    pub fn access_key(&self, id: &str) -> Option<AccessKey> {
        let idx = self.index.read().ok()?;
        idx.by_access_key.get(id).map(|&i| idx.file.access_keys[i].clone())
    }

    /// The identity policy of the user `principal_arn`, when it has one.
    pub fn policy(&self, principal_arn: &str) -> Option<serde_json::Value> {
        let idx = self.index.read().ok()?;
        idx.file.policies.iter().find(|p| p.principal_arn == principal_arn).map(|p| p.document.clone())
    }

    pub fn api_key(&self, value: &str) -> Option<ApiKey> {
        let idx = self.index.read().ok()?;
        idx.by_api_key_value.get(value).map(|&i| idx.file.api_keys[i].clone())
    }

    /// Replaces the whole registry (and saves it).
    pub fn replace(&self, file: CredentialFile) -> Result<(), String> {
        self.modify(|f| *f = file)
    }

    /// Changes the registry with `f` and saves it; the lookups see the change at once.
    pub fn modify<R>(&self, f: impl FnOnce(&mut CredentialFile) -> R) -> Result<R, String> {
        // Saved under the lock, so that concurrent changes reach the file in order.
        let mut idx = self.index.write().map_err(|_| "credential registry poisoned".to_owned())?;
        let mut file = std::mem::take(&mut idx.file);
        let result = f(&mut file);
        let saved = self.save_file(&file);
        *idx = Index::new(file);
        saved.map(|()| result)
    }
}
