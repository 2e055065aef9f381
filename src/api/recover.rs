//! Panic safety: a panic while answering a request is caught, logged with the request
//! line, and answered as a 500 problem; the worker goes on serving.

use std::panic::AssertUnwindSafe;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use futures_util::FutureExt;

use super::problem::{ApiError, ProblemCode};

/// Middleware: runs the rest of the chain under `catch_unwind`.
pub async fn catch_panics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let line = format!("{} {}", req.method(), req.path());
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            tracing::error!(request = %line, panic = %what, "a handler panicked; answered 500");
            let error = ApiError::new(
                ProblemCode::Internal,
                "the server failed while answering; the failure is logged",
                None,
            );
            // The request went down the chain with the panic; actix answers an error
            // with its `error_response`: the 500 problem.
            Err(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{test, web, App};

    #[actix_web::test]
    async fn a_panicking_handler_is_a_500_problem_and_the_app_goes_on() {
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(super::catch_panics))
                .route(
                    "/boom",
                    web::get().to(|| async {
                        if std::hint::black_box(true) {
                            panic!("boom");
                        }
                        "never"
                    }),
                )
                .route("/fine", web::get().to(|| async { "fine" })),
        )
        .await;
        // The server turns the middleware's error into its response; the test harness
        // hands the error over as it is.
        let Err(error) =
            test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await
        else {
            panic!("a panic was answered as a success")
        };
        let boom = error.error_response();
        assert_eq!(boom.status(), 500);
        assert_eq!(
            boom.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        let fine =
            test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(fine.status(), 200);
    }
}
