//! `pobratim query …`: the graph questions of the HTTP API, asked of a data directory
//! from the shell, answered by the same service calls, as JSON or as a table.

use std::io::Write;
use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::model::{NodeId, NodeKind};
use crate::service::analysis::{Measure, NodeRef};
use crate::service::centrality::RankingQuery;
use crate::service::filters::{Filter, FilterWords};
use crate::service::neighbourhood::EgoQuery;
use crate::service::paths::{PathQuery, PathQuestion};
use crate::service::structure::GroupQuery;
use crate::service::suggestions::PartnerRequest;
use crate::service::{Service, ServiceError};

/// How an answer is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for reading.
    Table,
    /// The answer as one JSON document, for scripts (`jq`).
    Json,
}

/// The graph a question is asked of: the same words as the API's query parameters.
#[derive(Clone, Debug, Args)]
pub struct FilterArgs {
    /// Link kinds to traverse, comma-separated, or `all` (default: the three diplomatic kinds).
    #[arg(long)]
    pub kinds: Option<String>,
    /// Link statuses to traverse, comma-separated, or `any` (default: active).
    #[arg(long)]
    pub status: Option<String>,
    /// Node kinds in the graph, comma-separated, or `all` (default).
    #[arg(long)]
    pub node_kinds: Option<String>,
    /// Links by evidence: `stated`, `inferred`, or `any` (default).
    #[arg(long)]
    pub evidence: Option<String>,
    /// The network as it stood at this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
    /// With `--as-of`, leave out links without a signed date.
    #[arg(long)]
    pub no_undated: bool,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter, ServiceError> {
        FilterWords {
            kinds: self.kinds.as_deref(),
            status: self.status.as_deref(),
            node_kinds: self.node_kinds.as_deref(),
            evidence: self.evidence.as_deref(),
            as_of: self.as_of.as_deref(),
            undated: self.no_undated.then_some(false),
        }
        .parse()
    }
}

/// Two endpoints and the options of a path question.
#[derive(Clone, Debug, Args)]
pub struct PathArgs {
    /// Start node id.
    #[arg(long)]
    pub from: String,
    /// End node id.
    #[arg(long)]
    pub to: String,
    /// Longest path considered, in hops (default and maximum 64).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Costs per link kind, `kind:cost` comma-separated (default 1 per kind).
    #[arg(long)]
    pub weights: Option<String>,
    /// Paths: k for k-shortest (default 3), the cap for all-shortest (default 100).
    #[arg(long)]
    pub k: Option<usize>,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// The questions.
#[derive(Clone, Debug, Subcommand)]
pub enum Question {
    /// One shortest path by hops.
    Shortest(PathArgs),
    /// The cheapest path under per-kind costs (`--weights`).
    Weighted(PathArgs),
    /// The k cheapest loopless paths.
    KShortest(PathArgs),
    /// Every shortest path by hops (at most `--k`).
    AllShortest(PathArgs),
    /// Rank every node by a centrality measure.
    Centrality {
        /// degree, betweenness, closeness, harmonic, pagerank or eigenvector.
        measure: String,
        /// Only the first N of the ranking.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// List only nodes of this kind (the measure covers the whole graph).
        #[arg(long)]
        kind: Option<String>,
        /// List only nodes of this country.
        #[arg(long)]
        country: Option<String>,
        /// Betweenness from k sampled sources (reproducible with `--seed`).
        #[arg(long)]
        k: Option<usize>,
        /// Seed of the source sample.
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// The ego network: every node within `--depth` hops, closest first.
    Neighbourhood {
        /// The centre's id.
        id: String,
        /// Hops from the centre, 1–6.
        #[arg(long, default_value_t = 1)]
        depth: usize,
        /// Most nodes, 1–10000.
        #[arg(long, default_value_t = 500)]
        limit: usize,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Connected components, largest first.
    Components {
        /// Groups listed.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Member ids listed per group.
        #[arg(long, default_value_t = 100)]
        members: usize,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Statistics of the network, each equal to its NetworkX function.
    Stats {
        /// Skip the diameter and average shortest path length (one BFS per node).
        #[arg(long)]
        no_distances: bool,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Ranked, explained partner suggestions for a city.
    Partners {
        /// The city's id.
        id: String,
        /// Rank by one signal (`adamic_adar`, `proximity`, …).
        #[arg(long)]
        method: Option<String>,
        /// Several signals with weights, `signal:weight` comma-separated.
        #[arg(long)]
        weights: Option<String>,
        /// Suggestions, 1–200.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Only candidates in this country.
        #[arg(long)]
        country: Option<String>,
        /// Only candidates within this many kilometres.
        #[arg(long)]
        within_km: Option<f64>,
        #[command(flatten)]
        filters: FilterArgs,
    },
}

fn node_id(raw: &str, field: &str) -> Result<NodeId, ServiceError> {
    NodeId::new(raw).map_err(|e| ServiceError::BadQuery {
        field: field.into(),
        detail: format!("{field}: {e}"),
    })
}

fn node_kind(raw: &str) -> Result<NodeKind, ServiceError> {
    serde_json::from_value(serde_json::Value::String(raw.into())).map_err(|_| {
        ServiceError::BadQuery {
            field: "kind".into(),
            detail: format!("kind: `{raw}` is not city, association or state"),
        }
    })
}

fn measure(raw: &str) -> Result<Measure, ServiceError> {
    serde_json::from_value(serde_json::Value::String(raw.into())).map_err(|_| {
        let names: Vec<&str> = Measure::ALL.iter().map(|m| m.as_str()).collect();
        ServiceError::BadQuery {
            field: "measure".into(),
            detail: format!("measure: `{raw}` is not one of {}", names.join(", ")),
        }
    })
}

/// Rows of a table: a header and cells.
type Table = (Vec<&'static str>, Vec<Vec<String>>);

fn named(node: &NodeRef) -> [String; 2] {
    [node.id.clone(), node.name.clone()]
}

/// Asks the question of the data directory and prints the answer.
pub fn run(
    dir: &Path,
    question: Question,
    format: OutputFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let service = crate::cli::open_existing(dir)?;
    let (json, table) = answer(&service, question)?;
    match format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?,
        OutputFormat::Table => write_table(table, out)?,
    }
    Ok(())
}

fn as_json(value: &impl Serialize) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::to_value(value)?)
}

fn answer(service: &Service, question: Question) -> anyhow::Result<(serde_json::Value, Table)> {
    match question {
        Question::Shortest(args) => paths(service, PathQuestion::Shortest, args),
        Question::Weighted(args) => paths(service, PathQuestion::Weighted, args),
        Question::KShortest(args) => paths(service, PathQuestion::KShortest, args),
        Question::AllShortest(args) => paths(service, PathQuestion::AllShortest, args),
        Question::Centrality {
            measure: raw,
            top,
            kind,
            country,
            k,
            seed,
            filters,
        } => {
            let kind = kind.as_deref().map(node_kind).transpose()?;
            let query = RankingQuery {
                filter: filters.filter()?,
                top: Some(top),
                kind,
                country,
                k,
                seed,
                start: 0,
                limit: top,
            };
            let ranking = service.ranking(measure(&raw)?, &query)?;
            let rows = ranking
                .items
                .iter()
                .map(|r| {
                    let [id, name] = named(&r.node);
                    vec![r.rank.to_string(), format!("{:.6}", r.value), id, name]
                })
                .collect();
            Ok((
                as_json(&ranking)?,
                (vec!["rank", "value", "id", "name"], rows),
            ))
        }
        Question::Neighbourhood {
            id,
            depth,
            limit,
            filters,
        } => {
            let query = EgoQuery {
                filter: filters.filter()?,
                depth: Some(depth),
                limit: Some(limit),
                links: Some(true),
            };
            let ego = service.ego(&node_id(&id, "id")?, &query)?;
            let rows = ego
                .nodes
                .iter()
                .map(|n| {
                    let [id, name] = named(&n.node.parse::<NodeRef>()?);
                    Ok(vec![n.distance.to_string(), id, name])
                })
                .collect::<Result<_, ServiceError>>()?;
            Ok((as_json(&ego)?, (vec!["distance", "id", "name"], rows)))
        }
        Question::Components {
            limit,
            members,
            filters,
        } => {
            let query = GroupQuery {
                filter: filters.filter()?,
                start: 0,
                limit,
                members: Some(members),
            };
            let groups = service.components(&query)?;
            let rows = groups
                .items
                .iter()
                .map(|g| vec![g.index.to_string(), g.size.to_string(), g.members.join(" ")])
                .collect();
            Ok((as_json(&groups)?, (vec!["index", "size", "members"], rows)))
        }
        Question::Stats {
            no_distances,
            filters,
        } => {
            let stats = service.stats(&filters.filter()?, !no_distances)?;
            let json = as_json(&stats)?;
            let rows = json
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(key, _)| key.as_str() != "filters")
                .map(|(key, value)| vec![key.clone(), value.to_string()])
                .collect();
            Ok((json, (vec!["statistic", "value"], rows)))
        }
        Question::Partners {
            id,
            method,
            weights,
            limit,
            country,
            within_km,
            filters,
        } => {
            let request = PartnerRequest {
                filter: filters.filter()?,
                method,
                weights,
                limit: Some(limit),
                country,
                within_km,
                ..PartnerRequest::default()
            };
            let partners = service.city_partners(&node_id(&id, "id")?, &request)?;
            let rows = partners
                .items
                .iter()
                .map(|e| {
                    let [id, name] = named(&e.node);
                    vec![
                        e.rank.to_string(),
                        format!("{:.4}", e.score),
                        id,
                        name,
                        e.why.clone(),
                    ]
                })
                .collect();
            Ok((
                as_json(&partners)?,
                (vec!["rank", "score", "id", "name", "why"], rows),
            ))
        }
    }
}

fn paths(
    service: &Service,
    question: PathQuestion,
    args: PathArgs,
) -> anyhow::Result<(serde_json::Value, Table)> {
    let query = PathQuery {
        filter: args.filters.filter()?,
        from: args.from,
        to: args.to,
        max_depth: args.max_depth,
        weights: args.weights,
        k: args.k,
    };
    let found = service.paths(question, &query)?;
    let rows = found
        .paths
        .iter()
        .enumerate()
        .flat_map(|(i, path)| {
            path.nodes.iter().enumerate().map(move |(hop, node)| {
                let [id, name] = named(node);
                vec![(i + 1).to_string(), hop.to_string(), id, name]
            })
        })
        .collect();
    Ok((as_json(&found)?, (vec!["path", "hop", "id", "name"], rows)))
}

fn write_table((header, rows): Table, out: &mut impl Write) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len() - 1;
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = if i == last {
                    0
                } else {
                    widths[i] - c.chars().count()
                };
                format!("{c}{}", " ".repeat(pad))
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    writeln!(out, "{}", line(header.clone()))?;
    for row in &rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
