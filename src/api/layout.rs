//! `/api/v1/layout`: the whole network laid out, for a whole-network view.

use actix_web::{web, HttpResponse};

use super::extract::ValidQuery;
use super::filters::graph_params;
use super::problem::{ApiError, Problem};
use super::Versioned;
use crate::service::layout::NetworkLayout;
use crate::service::Service;

graph_params! {
    /// Filters of the layout.
    pub struct LayoutParams {
    }
}

impl Versioned for NetworkLayout {
    fn graph_version(&self) -> u64 {
        self.graph_version
    }

    fn json_size_hint(&self) -> usize {
        // A node is ~130 bytes of JSON, an edge ~14.
        self.nodes.len() * 136 + self.edges.len() * 16 + 1024
    }
}

/// The whole network, laid out
///
/// Every node of the filtered graph with a ForceAtlas2 position (the settings graphology
/// infers from the graph's order, Barnes–Hut at θ 1.2 from 2,048 nodes, 300 rounds;
/// cities start from their longitude and latitude), its degree and its Louvain community
/// (the index of its group in `/api/v1/communities`), and the graph's edges as pairs of
/// positions in `nodes`. Computed once per graph version and filter, then kept: the same
/// graph gives the same picture. At a date (`as_of`), nodes keep the positions of the same
/// filters without it, so the pictures of different years line up. A view too large to
/// lay out within the query budget is a 422.
#[utoipa::path(get, path = "/api/v1/layout", tag = "graph", params(LayoutParams),
    responses(
        (status = 200, description = "The laid-out network", body = NetworkLayout),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The computation ran past its budget", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many expensive queries at once: retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_layout(
    service: web::Data<Service>,
    params: ValidQuery<LayoutParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = params.0.filter()?;
    super::answer_heavy(service, move |svc| Ok(svc.network_layout(&filter)?)).await
}

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/layout", super::get().to(get_layout));
}
