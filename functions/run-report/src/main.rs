//! Lambda entry point for `GET /v1/invoice-runs/{runId}/report.csv`, with response streaming:
//! configuration and clients are built once at init.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    common::runtime::run_streaming_lambda(run_report::handler).await
}
