//! Where the endpoint, Region, API key and AWS credentials come from. Each setting is taken from
//! the first place that has it: flags, then the environment (`SEIKYU_ENDPOINT`, `SEIKYU_REGION`,
//! `SEIKYU_API_KEY`, `SEIKYU_DEMO`), then the profile in `~/.config/seikyu/config`. A demo file
//! (the local gateway's `demo-credentials.json`) counts where it was named, just below that
//! place's own settings, so `--demo F --endpoint X` calls X with F's keys.
//!
//! AWS credentials come from a demo file's keys, else from the AWS SDK's chain exactly as for the
//! AWS CLI (`AWS_PROFILE`, SSO, assumed roles, instance roles), with the profile named by
//! `--aws-profile` or the seikyu profile's `aws_profile` if any.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::CliError;

/// The settings one place holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Layer {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub api_key: Option<String>,
    pub demo: Option<PathBuf>,
    pub aws_profile: Option<String>,
}

/// Everything the resolution reads, gathered first so that it can be tested without touching the
/// process's environment.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    pub flags: Layer,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--as-tenant`: act as one of the demo file's tenants instead of its operator.
    pub as_tenant: Option<String>,
    pub env: Layer,
    /// `SEIKYU_PROFILE`.
    pub env_profile: Option<String>,
    /// The config file: `SEIKYU_CONFIG_FILE`, else `$XDG_CONFIG_HOME/seikyu/config`, else
    /// `~/.config/seikyu/config`.
    pub config_file: Option<PathBuf>,
}

impl Inputs {
    /// The flags given, and this process's environment.
    pub fn from_process(flags: Layer, profile: Option<String>, as_tenant: Option<String>) -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let env = Layer {
            endpoint: var("SEIKYU_ENDPOINT"),
            region: var("SEIKYU_REGION"),
            api_key: var("SEIKYU_API_KEY"),
            demo: var("SEIKYU_DEMO").map(PathBuf::from),
            aws_profile: None,
        };
        let config_file = var("SEIKYU_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CONFIG_HOME").map(|d| Path::new(&d).join("seikyu/config")))
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config/seikyu/config")));
        Self { flags, profile, as_tenant, env, env_profile: var("SEIKYU_PROFILE"), config_file }
    }
}

/// How requests are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// Keys from a demo file.
    Static { access_key_id: String, secret_access_key: String },
    /// The AWS SDK's default chain, optionally with a named AWS profile.
    Chain { aws_profile: Option<String> },
}

/// What the command calls, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub endpoint: String,
    /// `None`: the AWS SDK's Region chain decides (`AWS_REGION`, the AWS profile's `region`).
    pub region: Option<String>,
    pub api_key: String,
    pub credentials: CredentialSource,
}

/// `demo-credentials.json`, as the local gateway writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Demo {
    pub endpoint: String,
    pub region: String,
    pub operator: DemoIdentity,
    #[serde(default)]
    pub tenants: Vec<DemoIdentity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoIdentity {
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub api_key: String,
}

impl Demo {
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read the demo file {}: {e}", path.display())))?;
        serde_json::from_slice(&text).map_err(|e| CliError::usage(format!("{} is not a demo-credentials.json: {e}", path.display())))
    }

    /// The operator, or the tenant named by id or name.
    fn identity(&self, as_tenant: Option<&str>) -> Result<&DemoIdentity, CliError> {
        let Some(wanted) = as_tenant else { return Ok(&self.operator) };
        self.tenants.iter().find(|t| t.tenant_id.as_deref() == Some(wanted) || t.name.as_deref() == Some(wanted)).ok_or_else(|| {
            let known: Vec<String> =
                self.tenants.iter().map(|t| format!("{} ({})", t.tenant_id.as_deref().unwrap_or("?"), t.name.as_deref().unwrap_or(""))).collect();
            CliError::usage(format!("--as-tenant {wanted}: the demo file has no such tenant; it has {}", known.join(", ")))
        })
    }

    /// The demo as a layer of settings, for the identity chosen.
    fn layer(&self, as_tenant: Option<&str>) -> Result<(Layer, CredentialSource), CliError> {
        let who = self.identity(as_tenant)?;
        let layer = Layer { endpoint: Some(self.endpoint.clone()), region: Some(self.region.clone()), api_key: Some(who.api_key.clone()), ..Layer::default() };
        let keys = CredentialSource::Static { access_key_id: who.access_key_id.clone(), secret_access_key: who.secret_access_key.clone() };
        Ok((layer, keys))
    }
}

/// Merges flags, environment and profile into the settings to call with.
pub fn resolve(inputs: &Inputs) -> Result<Settings, CliError> {
    let profile = profile_layer(inputs)?;
    let mut layers: Vec<(Layer, Option<CredentialSource>)> = Vec::new();
    for place in [Some(&inputs.flags), Some(&inputs.env), profile.as_ref()].into_iter().flatten() {
        let named = place.aws_profile.clone().map(|p| CredentialSource::Chain { aws_profile: Some(p) });
        layers.push((place.clone(), named));
        if let Some(path) = &place.demo {
            let (layer, keys) = Demo::read(path)?.layer(inputs.as_tenant.as_deref())?;
            layers.push((layer, Some(keys)));
        }
    }
    if inputs.as_tenant.is_some() && !layers.iter().any(|(_, c)| matches!(c, Some(CredentialSource::Static { .. }))) {
        return Err(CliError::usage("--as-tenant picks one of a demo file's tenants: give --demo PATH (or SEIKYU_DEMO) too"));
    }
    let first = |get: fn(&Layer) -> Option<String>| layers.iter().find_map(|(l, _)| get(l));
    let endpoint = first(|l| l.endpoint.clone()).ok_or_else(|| {
        CliError::usage(
            "no endpoint: pass --endpoint URL or --demo PATH, set SEIKYU_ENDPOINT, or add `endpoint = ...` to the profile in ~/.config/seikyu/config",
        )
    })?;
    let api_key = first(|l| l.api_key.clone())
        .ok_or_else(|| CliError::usage("no API key: pass --api-key or --demo PATH, set SEIKYU_API_KEY, or add `api_key = ...` to the profile"))?;
    let credentials = layers.iter().find_map(|(_, c)| c.clone()).unwrap_or(CredentialSource::Chain { aws_profile: None });
    Ok(Settings { endpoint, region: first(|l| l.region.clone()), api_key, credentials })
}

/// The chosen profile of the config file: `--profile`, else `SEIKYU_PROFILE`, else `default`
/// (which may be absent; a profile named on purpose may not).
fn profile_layer(inputs: &Inputs) -> Result<Option<Layer>, CliError> {
    let named = inputs.profile.clone().or_else(|| inputs.env_profile.clone());
    let name = named.clone().unwrap_or_else(|| "default".to_owned());
    let text = match inputs.config_file.as_deref().map(std::fs::read_to_string) {
        Some(Ok(text)) => text,
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => return Err(CliError::usage(format!("cannot read the config file: {e}"))),
        _ if named.is_some() => return Err(CliError::usage(format!("profile `{name}`: there is no config file ({})", config_path(inputs)))),
        _ => return Ok(None),
    };
    let mut profiles = parse_profiles(&text).map_err(|e| CliError::usage(format!("{}: {e}", config_path(inputs))))?;
    match profiles.remove(&name) {
        Some(layer) => Ok(Some(layer)),
        None if named.is_none() => Ok(None),
        None => Err(CliError::usage(format!("no profile `{name}` in {}", config_path(inputs)))),
    }
}

fn config_path(inputs: &Inputs) -> String {
    inputs.config_file.as_deref().map_or_else(|| "~/.config/seikyu/config".to_owned(), |p| p.display().to_string())
}

/// The config file: INI sections as the AWS CLI writes them, `[default]` and `[profile NAME]`
/// (or `[NAME]`), with `key = value` lines and `#` or `;` comments.
pub fn parse_profiles(text: &str) -> Result<HashMap<String, Layer>, String> {
    let mut profiles: HashMap<String, Layer> = HashMap::new();
    let mut current: Option<String> = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = section.trim();
            let name = name.strip_prefix("profile ").map_or(name, str::trim).to_owned();
            profiles.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { return Err(format!("line {}: expected `key = value` or `[profile NAME]`", n + 1)) };
        let Some(layer) = current.as_ref().and_then(|c| profiles.get_mut(c)) else {
            return Err(format!("line {}: `{}` comes before any [profile]", n + 1, key.trim()));
        };
        let value = Some(value.trim().to_owned());
        match key.trim() {
            "endpoint" => layer.endpoint = value,
            "region" => layer.region = value,
            "api_key" => layer.api_key = value,
            "demo" => layer.demo = value.map(PathBuf::from),
            "aws_profile" => layer.aws_profile = value,
            other => return Err(format!("line {}: unknown setting `{other}` (known: endpoint, region, api_key, demo, aws_profile)", n + 1)),
        }
    }
    Ok(profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(endpoint: &str, api_key: &str) -> Layer {
        Layer { endpoint: Some(endpoint.into()), api_key: Some(api_key.into()), ..Layer::default() }
    }

    fn with_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const CONFIG: &str = "# seikyu profiles\n[default]\nendpoint = https://file.example/v1\nregion = eu-west-1\napi_key = file-key\n\n[profile staging]\nendpoint = https://staging.example\napi_key = staging-key\naws_profile = seikyu-staging\n";

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_profile_file() {
        let (_dir, file) = with_file(CONFIG);
        let mut inputs = Inputs { config_file: Some(file), ..Inputs::default() };
        let from_file = resolve(&inputs).unwrap();
        assert_eq!(
            (from_file.endpoint.as_str(), from_file.api_key.as_str(), from_file.region.as_deref()),
            ("https://file.example/v1", "file-key", Some("eu-west-1"))
        );
        assert_eq!(from_file.credentials, CredentialSource::Chain { aws_profile: None });

        inputs.env = layer("https://env.example", "env-key");
        let from_env = resolve(&inputs).unwrap();
        assert_eq!((from_env.endpoint.as_str(), from_env.api_key.as_str()), ("https://env.example", "env-key"));
        assert_eq!(from_env.region.as_deref(), Some("eu-west-1"), "what the environment leaves out still comes from the file");

        inputs.flags = Layer { endpoint: Some("https://flag.example".into()), ..Layer::default() };
        let from_flag = resolve(&inputs).unwrap();
        assert_eq!((from_flag.endpoint.as_str(), from_flag.api_key.as_str()), ("https://flag.example", "env-key"));
    }

    #[test]
    fn profiles_are_chosen_by_flag_then_environment_and_must_exist_when_named() {
        let (_dir, file) = with_file(CONFIG);
        let mut inputs = Inputs { config_file: Some(file), env_profile: Some("staging".into()), ..Inputs::default() };
        let s = resolve(&inputs).unwrap();
        assert_eq!((s.endpoint.as_str(), s.credentials), ("https://staging.example", CredentialSource::Chain { aws_profile: Some("seikyu-staging".into()) }));
        inputs.profile = Some("default".into());
        assert_eq!(resolve(&inputs).unwrap().endpoint, "https://file.example/v1");
        inputs.profile = Some("prod".into());
        let err = resolve(&inputs).unwrap_err();
        assert!(err.to_string().contains("no profile `prod`"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn a_demo_file_gives_keys_below_the_flags_of_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let demo = dir.path().join("demo-credentials.json");
        std::fs::write(
            &demo,
            r#"{"endpoint":"http://127.0.0.1:3000","region":"ap-northeast-1",
                "operator":{"accessKeyId":"AKOP","secretAccessKey":"s-op","apiKey":"k-op"},
                "tenants":[{"tenantId":"tn_a","name":"しまね商事","planTier":"standard","accessKeyId":"AKA","secretAccessKey":"s-a","apiKey":"k-a"}]}"#,
        )
        .unwrap();
        let mut inputs =
            Inputs { flags: Layer { demo: Some(demo.clone()), ..Layer::default() }, env: layer("https://env.example", "env-key"), ..Inputs::default() };
        let s = resolve(&inputs).unwrap();
        assert_eq!((s.endpoint.as_str(), s.api_key.as_str(), s.region.as_deref()), ("http://127.0.0.1:3000", "k-op", Some("ap-northeast-1")));
        assert_eq!(s.credentials, CredentialSource::Static { access_key_id: "AKOP".into(), secret_access_key: "s-op".into() });

        inputs.as_tenant = Some("しまね商事".into());
        inputs.flags.endpoint = Some("http://127.0.0.1:4000".into());
        let s = resolve(&inputs).unwrap();
        assert_eq!((s.endpoint.as_str(), s.api_key.as_str()), ("http://127.0.0.1:4000", "k-a"));
        inputs.as_tenant = Some("tn_nobody".into());
        assert!(resolve(&inputs).unwrap_err().to_string().contains("tn_a (しまね商事)"));
    }

    #[test]
    fn missing_settings_and_bad_files_are_usage_errors() {
        let err = resolve(&Inputs::default()).unwrap_err();
        assert!(err.to_string().starts_with("no endpoint"), "{err}");
        assert!(parse_profiles("endpoint = x").unwrap_err().contains("before any [profile]"));
        assert!(parse_profiles("[default]\nendpont = x").unwrap_err().contains("unknown setting `endpont`"));
        let as_tenant = Inputs { as_tenant: Some("tn_a".into()), flags: layer("http://x", "k"), ..Inputs::default() };
        assert!(resolve(&as_tenant).unwrap_err().to_string().contains("--demo"));
    }
}
