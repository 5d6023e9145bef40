//! Lambda entry point for the run worker: configuration, clients and the PDF renderer (its font
//! from the fonts layer) are built once at init.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let mut app = common::App::from_env().await?;
    app.renderer = Some(Arc::new(issue_invoice::PdfRenderer::from_env()?));
    let app = Arc::new(app);
    lambda_runtime::run(service_fn(move |e: LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
        let app = app.clone();
        async move { Ok::<_, lambda_runtime::Error>(run_worker::handle(&app, e.payload).await) }
    }))
    .await
}
