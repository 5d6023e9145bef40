//! The AWS identity requests are signed with, and SigV4 signing (service `execute-api`) with the
//! `aws-sigv4` crate, the signer every Rust AWS SDK uses.

use std::time::{Duration, SystemTime};

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use tokio::sync::Mutex;

use crate::config::{CredentialSource, Settings};
use crate::error::{CliError, chain};

/// Credentials are fetched again when they expire within this margin (a long `run watch` can
/// outlive an SSO or assumed-role session's keys).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

pub struct Signer {
    region: String,
    provider: SharedCredentialsProvider,
    current: Mutex<Option<Credentials>>,
}

impl Signer {
    /// Static keys from a demo file as they are; otherwise the AWS SDK's default chain, which is
    /// also where the Region comes from when no setting gave one.
    pub async fn new(settings: &Settings) -> Result<Self, CliError> {
        let (provider, region) = match &settings.credentials {
            CredentialSource::Static { access_key_id, secret_access_key } => {
                let keys = Credentials::new(access_key_id, secret_access_key, None, None, "seikyu-demo-file");
                (SharedCredentialsProvider::new(keys), settings.region.clone())
            }
            CredentialSource::Chain { aws_profile } => {
                // HTTPS for STS and SSO on rustls with ring, the same TLS stack as the API calls.
                let https = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
                let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https.clone());
                if let Some(profile) = aws_profile {
                    loader = loader.profile_name(profile);
                }
                if let Some(region) = &settings.region {
                    loader = loader.region(aws_config::Region::new(region.clone()));
                }
                let sdk = loader.load().await;
                let provider = match aws_profile {
                    // A profile named on purpose wins over keys in the environment, as the AWS
                    // CLI's --profile does (the default chain looks at the environment first).
                    Some(profile) => {
                        let conf = ProviderConfig::without_region().with_http_client(https).with_region(sdk.region().cloned());
                        SharedCredentialsProvider::new(ProfileFileCredentialsProvider::builder().configure(&conf).profile_name(profile).build())
                    }
                    None => sdk
                        .credentials_provider()
                        .ok_or_else(|| CliError::usage("no AWS credentials provider: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or pass --demo PATH"))?,
                };
                (provider, sdk.region().map(ToString::to_string))
            }
        };
        let region =
            region.ok_or_else(|| CliError::usage("no Region: pass --region, set SEIKYU_REGION or AWS_REGION, or add `region = ...` to the profile"))?;
        Ok(Self { region, provider, current: Mutex::new(None) })
    }

    async fn credentials(&self) -> Result<Credentials, CliError> {
        let mut current = self.current.lock().await;
        let fresh = |c: &Credentials| c.expiry().is_none_or(|at| at > SystemTime::now() + REFRESH_MARGIN);
        if let Some(c) = current.as_ref().filter(|c| fresh(c)) {
            return Ok(c.clone());
        }
        let c = self.provider.provide_credentials().await.map_err(|e| {
            CliError::usage(format!("no AWS credentials: {} (log in as for the AWS CLI: AWS_PROFILE, `aws sso login`, or pass --demo PATH)", chain(&e)))
        })?;
        *current = Some(c.clone());
        Ok(c)
    }

    /// The headers SigV4 adds (Authorization, X-Amz-Date, X-Amz-Security-Token for temporary
    /// credentials) for a request with these headers and body. Every header given is signed.
    pub async fn sign(&self, method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Vec<(String, String)>, CliError> {
        let identity = self.credentials().await?.into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::Headers;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| CliError::usage(format!("cannot sign: {e}")))?
            .into();
        let signable = SignableRequest::new(method, url, headers.iter().copied(), SignableBody::Bytes(body))
            .map_err(|e| CliError::usage(format!("cannot sign {url}: {e}")))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| CliError::usage(format!("cannot sign {url}: {e}")))?.into_parts();
        Ok(instructions.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }
}
