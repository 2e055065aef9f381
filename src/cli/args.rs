//! The command line's arguments: `serve`, `import`, `export`, `query`, `check`, `token`,
//! `backup`, `restore`, `openapi`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::service::documents::Dataset;
pub use crate::service::export::{ExportFormat, ImportFormat};

/// pobratim: a graph database of twin towns and the associations around them.
#[derive(Debug, Parser)]
#[command(name = "pobratim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The data directory, shared by every command that opens the store.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The sled data directory (created when missing).
    #[arg(long = "data", env = "POBRATIM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API; a new, empty data directory is seeded with the seed network.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address and port to listen on.
        #[arg(long, env = "POBRATIM_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "POBRATIM_WORKERS", default_value_t = default_workers())]
        workers: usize,
        /// Time budget of one graph query, in seconds; past it the query answers 422
        /// `query_budget_exceeded` and says how to ask for less.
        #[arg(long, env = "POBRATIM_QUERY_BUDGET", default_value_t = 60.0)]
        query_budget: f64,
        /// What a new, empty data directory starts with: `seed` (the curated network of
        /// five documents, every link quoting its sentence), `world` (the Wikipedia
        /// lists' 17,232 cities and 24,891 twinnings), or `both`.
        #[arg(long, env = "POBRATIM_DATASET", default_value = "seed")]
        dataset: Dataset,
        /// Start a new, empty data directory empty.
        #[arg(long, env = "POBRATIM_NO_SEED", default_value_t = false)]
        no_seed: bool,
        /// Let pages from this origin call the API (CORS), e.g. `https://dash.example.org`;
        /// repeat or separate with commas; `*` for any origin. Default: none.
        #[arg(
            long = "cors-origin",
            env = "POBRATIM_CORS_ORIGIN",
            value_delimiter = ','
        )]
        cors_origins: Vec<String>,
        /// Expensive queries (centrality, communities, statistics, an association's
        /// partners) allowed at once; past it they answer 503 with `Retry-After`.
        #[arg(long, env = "POBRATIM_MAX_HEAVY_QUERIES", default_value_t = crate::service::DEFAULT_MAX_HEAVY_QUERIES)]
        max_heavy_queries: usize,
        /// Reads need a token too (scope `read` or more). Default: reads are open.
        #[arg(long, env = "POBRATIM_PRIVATE", default_value_t = false)]
        private: bool,
        /// Writes per second allowed to each token on average (bursts of twice that);
        /// past it, 429 with `Retry-After`. 0: no limit.
        #[arg(long, env = "POBRATIM_WRITE_RATE", default_value_t = crate::service::DEFAULT_WRITE_RATE)]
        write_rate: f64,
        /// MiB of node and link records kept rendered as JSON for graph answers
        /// (neighbours, neighbourhoods); a write makes its records' copies stale at
        /// once. 0: none, every record is read from the store each time.
        #[arg(long, env = "POBRATIM_RECORD_CACHE_MB", default_value_t = crate::service::rendered::DEFAULT_RECORD_CACHE_BYTES >> 20)]
        record_cache_mb: u64,
        /// MiB of large graph answers (2-hop neighbourhoods of hundreds of nodes) kept
        /// as the JSON sent, for the graph version they read: asked again before the
        /// next write, they are sent as they are. 0: none.
        #[arg(long, env = "POBRATIM_ANSWER_CACHE_MB", default_value_t = crate::service::answers::DEFAULT_ANSWER_CACHE_BYTES >> 20)]
        answer_cache_mb: u64,
        /// Set up the heap for a long-running server: freed memory goes back to the system
        /// within 100 ms (see `src/heap_tuning.rs`; a `MIMALLOC_PURGE_DELAY` in the
        /// environment is kept). `false`: leave mimalloc's defaults.
        #[arg(long, env = "POBRATIM_TUNE_HEAP", default_value_t = true, action = clap::ArgAction::Set)]
        tune_heap: bool,
    },
    /// Create, list and revoke access tokens (with the server stopped; while it runs,
    /// an admin token can do the same at `/api/v1/admin/tokens`).
    Token {
        /// What to do.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Write a consistent backup of the data directory to a file. While a server runs
    /// on the directory, the backup is taken by that server (`POST
    /// /api/v1/admin/backup`), which needs an admin token (`--token`).
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// The backup file to write.
        #[arg(long, env = "POBRATIM_BACKUP_TO")]
        to: PathBuf,
        /// An admin token, to ask a running server for the backup.
        #[arg(long, env = "POBRATIM_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Restore a backup into a new or empty data directory, then check it.
    Restore {
        #[command(flatten)]
        data: DataArgs,
        /// The backup file to read.
        #[arg(long, env = "POBRATIM_RESTORE_FROM")]
        from: PathBuf,
    },
    /// Import files as one all-or-nothing upsert (by id, or for nodes without one by
    /// kind, name and country), streaming CSV with a progress bar and a summary.
    ///
    /// CSV tables (`--format csv`): give the nodes file before the links file. Node
    /// columns: id, kind, name, name_<lang>, country, region, lat, lon, population,
    /// external_id_<key>, tags (a;b), attrs (JSON). Link columns: id, kind, source and
    /// target (or members a;b;c), status, signed, ended, areas (a;b), source_document,
    /// source_url, source_quote, notes, attrs. neo4j-admin headers (id:ID, :LABEL,
    /// :START_ID, :END_ID, :TYPE) are read too.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The files to read, in order (`-` for standard input).
        #[arg(env = "POBRATIM_IMPORT_FILE", required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Input format.
        #[arg(long, env = "POBRATIM_IMPORT_FORMAT", default_value = "pobratim")]
        format: ImportFormat,
        /// Link kind of rows without a `kind` column.
        #[arg(long, env = "POBRATIM_IMPORT_KIND", default_value = "twinning")]
        kind: String,
        /// Validate and report what would change, writing nothing.
        #[arg(long, env = "POBRATIM_IMPORT_DRY_RUN", default_value_t = false)]
        dry_run: bool,
        /// Import the good rows and report the bad ones (default: all or nothing).
        #[arg(long, env = "POBRATIM_IMPORT_SKIP_INVALID", default_value_t = false)]
        skip_invalid: bool,
        /// `changes`: write the change report to standard output (the summary goes to
        /// standard error): every record as create, update (field by field, before and
        /// after) or unchanged against the store before the import.
        #[arg(long, value_parser = ["changes"])]
        report: Option<String>,
        /// `report`: with `--report changes`, also list as `missing` the stored links of
        /// the file's datasets (same `source.document`) that the file no longer holds.
        #[arg(long, value_parser = ["report"], requires = "report")]
        missing: Option<String>,
        /// How the change report is written: `jsonl` (JSON lines) or `csv`.
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        report_format: String,
    },
    /// Export the network: pobratim JSON (everything), or a graph format (node-link,
    /// GraphML, GEXF, GeoJSON, CSV tables, neo4j-admin CSV) under the query filters.
    Export {
        #[command(flatten)]
        data: DataArgs,
        /// Where to write (`-` for standard output).
        #[arg(long, env = "POBRATIM_EXPORT_OUT", default_value = "-")]
        out: PathBuf,
        /// Output format.
        #[arg(long, env = "POBRATIM_EXPORT_FORMAT", default_value = "pobratim")]
        format: ExportFormat,
        /// Link kinds to export, comma-separated or `all` (graph formats; default all).
        #[arg(long, env = "POBRATIM_EXPORT_KINDS", default_value = "all")]
        kinds: String,
        /// Link statuses to export, comma-separated or `any` (graph formats; default any).
        #[arg(long, env = "POBRATIM_EXPORT_STATUS", default_value = "any")]
        status: String,
        /// Node kinds to export, comma-separated or `all`.
        #[arg(long, env = "POBRATIM_EXPORT_NODE_KINDS", default_value = "all")]
        node_kinds: String,
        /// Links by evidence: `stated`, `inferred`, or `any` (graph formats; default any).
        #[arg(long, env = "POBRATIM_EXPORT_EVIDENCE", default_value = "any")]
        evidence: String,
        /// The network as it stood at this date (YYYY, YYYY-MM or YYYY-MM-DD).
        #[arg(long, env = "POBRATIM_EXPORT_AS_OF")]
        as_of: Option<String>,
        /// Also write the manifest beside the file, as `<out>.manifest.json`: its
        /// SHA-256, size, graph version, filters, record counts and cited sources
        /// (`pobratim verify` checks a file against it).
        #[arg(long, requires = "out")]
        manifest: bool,
    },
    /// Check that a file is the one its manifest describes (same size and SHA-256);
    /// exits 1 when it is not.
    Verify {
        /// The exported file.
        file: PathBuf,
        /// Its manifest (`pobratim export --manifest`, or `GET /api/v1/export/manifest`).
        manifest: PathBuf,
    },
    /// Judge the partner finder on history: hide the links signed after `--cutoff` (or,
    /// for undated data, a seeded random `--holdout` fraction), predict from the rest, and
    /// print precision@k, recall@k and AUC of every method.
    EvaluatePartners {
        #[command(flatten)]
        data: DataArgs,
        /// Hide the partnerships first signed after this year.
        #[arg(long, env = "POBRATIM_EVAL_CUTOFF")]
        cutoff: Option<i32>,
        /// Without a cutoff (or dates): the fraction of partnerships to hide.
        #[arg(long, env = "POBRATIM_EVAL_HOLDOUT", default_value_t = 0.1)]
        holdout: f64,
        /// Seed of the random choices.
        #[arg(long, env = "POBRATIM_EVAL_SEED", default_value_t = 1)]
        seed: u64,
        /// The k of precision@k and recall@k.
        #[arg(long, env = "POBRATIM_EVAL_K", default_value_t = 10)]
        k: usize,
        /// Most sources ranked (a seeded sample).
        #[arg(long, env = "POBRATIM_EVAL_SOURCES", default_value_t = 1000)]
        sources: usize,
        /// Pairs sampled for the AUC.
        #[arg(long, env = "POBRATIM_EVAL_PAIRS", default_value_t = 20000)]
        pairs: usize,
        /// Link kinds that count as partnerships, comma-separated.
        #[arg(
            long,
            env = "POBRATIM_EVAL_KINDS",
            default_value = "twinning,friendship,trilateral"
        )]
        kinds: String,
        /// Link statuses that count, comma-separated or `any`.
        #[arg(long, env = "POBRATIM_EVAL_STATUS", default_value = "active")]
        status: String,
        /// Also compare this weighted ranking (`adamic_adar:1,proximity:0.5`); repeatable.
        #[arg(long = "also")]
        also: Vec<String>,
        /// Also write the evaluation to `<REPORT>.md` (the table) and `<REPORT>.json`
        /// (every figure, with the split and counts).
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// The partner finder's learned model.
    Partners {
        /// What to do.
        #[command(subcommand)]
        action: PartnersAction,
    },
    /// Verify that records and indexes agree; exits 1 naming each problem.
    Check {
        #[command(flatten)]
        data: DataArgs,
        /// Fix what has one right answer, as one logged change, and say what was done:
        /// remove records that cannot be read and the index entries pointing at them,
        /// links naming a node that is gone or damaged, and stray index entries; write
        /// missing or wrong index entries. Exits 1 if problems remain.
        #[arg(long)]
        repair: bool,
    },
    /// Ask a graph question (paths, centrality, neighbourhood, components, statistics,
    /// partners) of a data directory, as the HTTP API answers it.
    Query {
        #[command(flatten)]
        data: DataArgs,
        /// How to print the answer.
        #[arg(long, value_enum, default_value = "table")]
        format: super::query::OutputFormat,
        /// The question.
        #[command(subcommand)]
        question: super::query::Question,
    },
    /// Print the OpenAPI document.
    Openapi,
}

/// Partner-finder commands.
#[derive(Debug, Subcommand)]
pub enum PartnersAction {
    /// Fit the learned ranking (`method=learned`) on the graph's own partnerships and
    /// print what it learned: each signal's bins and the log-odds each adds, the
    /// training pairs and the time the fit took. A server fits it on the first learned
    /// question of each graph version.
    Fit {
        #[command(flatten)]
        data: DataArgs,
        /// Link kinds that count as partnerships, comma-separated.
        #[arg(long, default_value = "twinning,friendship,trilateral")]
        kinds: String,
        /// Link statuses that count, comma-separated or `any`.
        #[arg(long, default_value = "active")]
        status: String,
        /// Print the model as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print it once (only its hash is stored).
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// Who holds it; recorded as the author of its changes (default: the scope,
        /// numbered when taken: `write`, `write-2`, …).
        #[arg(long)]
        name: Option<String>,
        /// What it allows: read, write or admin.
        #[arg(long, default_value = "write")]
        scope: String,
    },
    /// List every token (never their secrets).
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke the live token with this name (or, with `--id`, this id).
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        /// Name of the token (its id with `--id`).
        name: String,
        /// Take NAME as the token's id, not its name.
        #[arg(long)]
        id: bool,
    },
}

impl clap::ValueEnum for ExportFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &ExportFormat::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl clap::ValueEnum for Dataset {
    fn value_variants<'a>() -> &'a [Self] {
        &Dataset::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl clap::ValueEnum for ImportFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &ImportFormat::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
}
