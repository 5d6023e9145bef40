//! Lambda entry point for the scheduled repair sweep: configuration, the storage and API Gateway
//! clients and the PDF renderer (its font from the fonts layer) are built once at init.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    common::telemetry::init();
    let options = repair_sweep::options_from_env()?;
    let mut app = common::App::from_env().await?;
    app.renderer = Some(Arc::new(issue_invoice::PdfRenderer::from_env()?));
    app.keys = Some(Arc::new(common::apikeys::apigateway::ApiGatewayKeys::from_env().await?));
    let app = Arc::new(app);
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
        let (app, options) = (app.clone(), options.clone());
        async move { repair_sweep::handle(&app, &options).await.map_err(lambda_runtime::Error::from) }
    }))
    .await
}
