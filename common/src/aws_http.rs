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
