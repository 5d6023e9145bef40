//! The one HTTP client every AWS SDK client here uses: rustls with the ring crypto provider
//! (a fraction of aws-lc's size in each Lambda package), trusting the roots AWS endpoints chain
//! to, compiled in: no certificate directory is scanned at init. `SEIKYU_NATIVE_ROOTS=1` adds
//! the system's store, for an endpoint behind another CA (a TLS-inspecting proxy, say).

use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Trust Services' roots, Starfield's cross-signing root and DigiCert's global roots.
const AWS_ROOTS: &[u8] = include_bytes!("../certs/aws-roots.pem");

/// Builds the client; call once per process.
pub fn http_client() -> SharedHttpClient {
    let native = std::env::var("SEIKYU_NATIVE_ROOTS").is_ok_and(|v| v == "1");
    let trust = TrustStore::empty().with_native_roots(native).with_pem_certificate(AWS_ROOTS);
    let builder = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring));
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(tls) => builder.tls_context(tls).build_https(),
        // Only a malformed compiled-in PEM gets here (a test holds it well-formed).
        Err(_) => builder.build_https(),
    }
}

/// `aws_config::defaults` with that client.
pub fn sdk_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http_client())
}

/// The SDK configuration for the given Region (default `AWS_REGION`), endpoint (moto, in tests)
/// and fixed credentials (for such an endpoint). Without them, credentials come from the SDK's
/// whole default chain (profiles, SSO, instance roles) where the `credential-chain` feature is
/// on (the local gateway, tests), and from the environment otherwise: a Lambda's credentials are
/// always there, and leaving out the chain (STS, SSO, IMDS, profile parsing) keeps the package
/// small and its init short.
pub async fn sdk_config(region: Option<String>, endpoint: Option<String>, static_credentials: Option<(String, String)>) -> aws_config::SdkConfig {
    #[cfg(feature = "credential-chain")]
    {
        let mut loader = sdk_loader();
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some((id, secret)) = static_credentials {
            loader = loader.credentials_provider(aws_credential_types::Credentials::new(id, secret, None, None, "seikyu-static"));
        }
        loader.load().await
    }
    #[cfg(not(feature = "credential-chain"))]
    {
        use aws_credential_types::provider::SharedCredentialsProvider;
        let credentials = match static_credentials {
            Some((id, secret)) => SharedCredentialsProvider::new(aws_credential_types::Credentials::new(id, secret, None, None, "seikyu-static")),
            None => SharedCredentialsProvider::new(aws_config::environment::EnvironmentVariableCredentialsProvider::new()),
        };
        let region = region.or_else(|| std::env::var("AWS_REGION").ok()).map(aws_config::Region::new);
        let mut b = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .credentials_provider(credentials)
            .http_client(http_client())
            .time_source(aws_smithy_async::time::SharedTimeSource::default())
            .retry_config(aws_smithy_types::retry::RetryConfig::standard())
            // The SDK's default connect timeout (what the default loader sets).
            .timeout_config(aws_smithy_types::timeout::TimeoutConfig::builder().connect_timeout(std::time::Duration::from_millis(3100)).build());
        b.set_region(region);
        b.set_sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep());
        b.set_endpoint_url(endpoint);
        b.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_parse() {
        let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AWS_ROOTS);
        assert!(TlsContext::builder().with_trust_store(trust).build().is_ok());
        let count = String::from_utf8_lossy(AWS_ROOTS).matches("-----BEGIN CERTIFICATE-----").count();
        assert_eq!(count, 8);
    }
}
