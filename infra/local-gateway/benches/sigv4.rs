//! SigV4 verification cost: a GET, a 1 KiB POST and a 1 MiB PUT, signed by `aws-sigv4`.
//! Run with `cargo bench -p local-gateway --bench sigv4`.

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::HeaderMap;
use local_gateway::credentials::{AccessKey, CredentialFile, Credentials};
use local_gateway::sigv4::{Signed, Verifier};

const AKID: &str = "AKIABENCHMARK0000001";
const SECRET: &str = "benchmark/secret/key/0123456789abcdefghij";

fn signed_headers(method: &str, url: &str, body: &[u8], at: SystemTime) -> HeaderMap {
    let identity = AwsCredentials::new(AKID, SECRET, None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("ap-northeast-1")
        .name("execute-api")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let base = [("host", "127.0.0.1:3000"), ("x-api-key", "benchkey"), ("content-type", "application/json")];
    let req = SignableRequest::new(method, url, base.iter().copied(), SignableBody::Bytes(body)).unwrap();
    let (instructions, _) = sign(req, &params).unwrap().into_parts();
    let mut h = HeaderMap::new();
    for (k, v) in base.iter().copied().chain(instructions.headers()) {
        h.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
    }
    h
}

fn bench(c: &mut Criterion) {
    let creds = Arc::new(Credentials::in_memory(CredentialFile {
        access_keys: vec![AccessKey {
            access_key_id: AKID.into(),
            secret_access_key: SECRET.into(),
            principal_arn: "arn:aws:iam::000000000000:user/bench".into(),
            session_token: None,
        }],
        api_keys: vec![],
        policies: vec![],
    }));
    let verifier = Verifier::new("ap-northeast-1", creds);
    let now: DateTime<Utc> = Utc::now();
    let at: SystemTime = now.into();
    let path = "/v1/tenants/tn_0123456789abcdef/contracts";
    let cases: [(&str, &str, Vec<u8>); 3] =
        [("GET", "status=active&limit=20", Vec::new()), ("POST", "", vec![b'x'; 1024]), ("PUT", "", vec![b'y'; 1024 * 1024])];
    let mut group = c.benchmark_group("sigv4_verify");
    for (method, query, body) in cases {
        let url = if query.is_empty() { format!("http://127.0.0.1:3000{path}") } else { format!("http://127.0.0.1:3000{path}?{query}") };
        let headers = signed_headers(method, &url, &body, at);
        let req = Signed { method, path, query, headers: &headers, body: &body };
        assert!(verifier.verify(&req, now).is_ok(), "{method} must verify");
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(format!("{method} {} bytes", body.len()), |b| b.iter(|| verifier.verify(std::hint::black_box(&req), now)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
