//! The `pobratim` binary.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use pobratim::api::server::{self, ServeConfig};
use pobratim::cli::{admin, import};
use pobratim::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

mod heap_tuning;

/// The heap: mimalloc (see `heap_tuning` for why and how it is set up).
#[global_allocator]
static HEAP: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Colours only for a person at a terminal, and never when NO_COLOR is set
    // (https://no-color.org): a log written to a file or a pipe stays plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let cli = Cli::parse();
    // A server's log is for its operator; a command prints its own summary for the
    // person who ran it, and logs only warnings unless POBRATIM_LOG asks for more.
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("POBRATIM_LOG")
                .unwrap_or_else(|_| EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data,
            bind,
            workers,
            query_budget,
            no_seed,
            dataset,
            cors_origins,
            max_heavy_queries,
            private,
            write_rate,
            record_cache_mb,
            answer_cache_mb,
            tune_heap,
        } => {
            if tune_heap {
                heap_tuning::tune_for_serving();
            }
            anyhow::ensure!(
                write_rate.is_finite() && write_rate >= 0.0,
                "--write-rate must be a number of writes per second, 0 or more"
            );
            anyhow::ensure!(
                max_heavy_queries >= 1,
                "--max-heavy-queries must be at least 1"
            );
            anyhow::ensure!(
                query_budget.is_finite() && query_budget > 0.0,
                "--query-budget must be a positive number of seconds"
            );
            let query_budget = std::time::Duration::from_secs_f64(query_budget);
            let config = ServeConfig {
                data_dir: data.data_dir,
                bind,
                workers,
                dataset: (!no_seed).then_some(dataset),
                query_budget,
                cors_origins,
                max_heavy_queries,
                private,
                write_rate,
                record_cache_bytes: record_cache_mb.saturating_mul(1 << 20),
                answer_cache_bytes: answer_cache_mb.saturating_mul(1 << 20),
            };
            serve(&config)?;
        }
        Command::Import {
            data,
            files,
            format,
            kind,
            dry_run,
            skip_invalid,
            report,
            missing,
            report_format,
        } => {
            let options = pobratim::service::ImportOptions {
                dry_run,
                skip_invalid,
                report_changes: report.is_some(),
                report_missing: missing.is_some(),
            };
            let report_format = report_format.parse().map_err(anyhow::Error::msg)?;
            return import::run(
                &data.data_dir,
                &files,
                format,
                &kind,
                options,
                report_format,
            );
        }
        Command::Export {
            data,
            out,
            format,
            kinds,
            status,
            node_kinds,
            evidence,
            as_of,
            manifest,
        } => {
            let filter = pobratim::service::filters::FilterWords {
                kinds: Some(&kinds),
                status: Some(&status),
                node_kinds: Some(&node_kinds),
                evidence: Some(&evidence),
                as_of: as_of.as_deref(),
                undated: None,
            }
            .parse()?;
            let service = pobratim::cli::open_existing(&data.data_dir)?;
            let mut sink: Box<dyn Write> = if out.as_os_str() == "-" {
                Box::new(BufWriter::new(std::io::stdout().lock()))
            } else {
                Box::new(BufWriter::new(
                    File::create(&out)
                        .with_context(|| format!("cannot create {}", out.display()))?,
                ))
            };
            let mut written = service.export(format, &filter, &mut sink)?;
            sink.flush()?;
            if manifest {
                if out.as_os_str() == "-" {
                    anyhow::bail!("--manifest needs --out FILE: the manifest is written beside it");
                }
                let beside = pobratim::cli::manifest_path(&out);
                if let Some(name) = out.file_name() {
                    written.file = name.to_string_lossy().into_owned();
                }
                let json = serde_json::to_vec_pretty(&written)?;
                std::fs::write(&beside, [json.as_slice(), b"\n"].concat())
                    .with_context(|| format!("cannot write {}", beside.display()))?;
                eprintln!(
                    "exported {} node(s) and {} link(s) at graph version {} to {} ({} bytes, sha256 {}); manifest {}",
                    written.nodes,
                    written.links,
                    written.graph_version,
                    out.display(),
                    written.bytes,
                    written.sha256,
                    beside.display()
                );
            }
        }
        Command::Partners {
            action:
                pobratim::cli::PartnersAction::Fit {
                    data,
                    kinds,
                    status,
                    json,
                },
        } => {
            let service = pobratim::cli::open_existing(&data.data_dir)?;
            let filter = pobratim::service::filters::FilterWords {
                kinds: Some(&kinds),
                status: Some(&status),
                ..Default::default()
            }
            .parse()?;
            let model = service.partner_model(&filter)?;
            let version = service.version();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&pobratim::cli::model_json(&model, version))?
                );
            } else {
                print!("{}", pobratim::cli::model_table(&model, version));
            }
        }
        Command::Verify { file, manifest } => {
            let claimed = std::fs::read(&manifest)
                .with_context(|| format!("cannot read {}", manifest.display()))?;
            let opened =
                File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let verified =
                pobratim::service::manifest::verify(opened, &claimed).with_context(|| {
                    format!("{} does not match {}", file.display(), manifest.display())
                })?;
            println!(
                "ok: {} matches {} ({} bytes, sha256 {}{})",
                file.display(),
                manifest.display(),
                verified.bytes,
                verified.sha256,
                verified
                    .graph_version
                    .map(|v| format!(", graph version {v}"))
                    .unwrap_or_default()
            );
        }
        Command::EvaluatePartners {
            data,
            cutoff,
            holdout,
            seed,
            k,
            sources,
            pairs,
            kinds,
            status,
            also,
            report: report_to,
        } => {
            let extra = also
                .iter()
                .map(|raw| {
                    pobratim::service::partners::parse_weights(raw)
                        .map(|w| (raw.clone(), w))
                        .map_err(|e| anyhow::anyhow!("--also: {e}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::ensure!(
                (0.0..1.0).contains(&holdout) && holdout > 0.0,
                "--holdout must be between 0 and 1"
            );
            anyhow::ensure!(k > 0, "--k must be at least 1");
            let service = pobratim::cli::open_existing(&data.data_dir)?;
            let filter = pobratim::service::filters::FilterWords {
                kinds: Some(&kinds),
                status: Some(&status),
                ..Default::default()
            }
            .parse()?;
            let setup = pobratim::service::evaluate::EvaluationSetup {
                cutoff,
                holdout,
                seed,
                k,
                max_sources: sources,
                pairs,
                extra,
            };
            let started = std::time::Instant::now();
            let report = service.evaluate_partners(&filter, &setup)?;
            let heading = format!(
                "{}: {} of {} partnerships hidden, {} sources ranked, k = {} ({:.1} s)",
                report.split,
                report.hidden,
                report.edges,
                report.sources,
                report.k,
                started.elapsed().as_secs_f64()
            );
            let mut table = format!(
                "| method | precision@{k} | recall@{k} | MRR | AUC |\n| --- | --- | --- | --- | --- |\n"
            );
            for row in &report.methods {
                table.push_str(&format!(
                    "| {} | {:.4} | {:.4} | {:.4} | {:.4} |\n",
                    row.method, row.precision_at_k, row.recall_at_k, row.mrr, row.auc
                ));
            }
            println!("{heading}\n\n{table}");
            if let Some(path) = report_to {
                let with = |ext: &str| {
                    let mut name = path.as_os_str().to_owned();
                    name.push(ext);
                    std::path::PathBuf::from(name)
                };
                std::fs::write(with(".md"), format!("{heading}\n\n{table}"))
                    .with_context(|| format!("cannot write {}", with(".md").display()))?;
                std::fs::write(with(".json"), serde_json::to_string_pretty(&report)?)
                    .with_context(|| format!("cannot write {}", with(".json").display()))?;
            }
        }
        Command::Check { data, repair } => {
            let store = pobratim::cli::open_upkeep(&data.data_dir)?;
            if repair {
                let repair = store.repair("cli")?;
                for line in &repair.done {
                    println!("{line}");
                }
                for problem in &repair.left {
                    println!("left: {problem}");
                }
                let (nodes, links) = store.counts();
                println!(
                    "repair: {} fix(es), {} problem(s) left; {nodes} nodes, {links} links, graph version {}",
                    repair.done.len(),
                    repair.left.len(),
                    repair.version
                );
                if !repair.left.is_empty() {
                    return Ok(ExitCode::FAILURE);
                }
                return Ok(ExitCode::SUCCESS);
            }
            let problems = store.check()?;
            let (nodes, links) = store.counts();
            if problems.is_empty() {
                println!("ok: {nodes} nodes, {links} links, indexes agree");
            } else {
                for problem in &problems {
                    println!("{problem}");
                }
                println!("{} problem(s) found", problems.len());
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Token { action } => admin::token(action)?,
        Command::Backup { data, to, token } => admin::backup(&data.data_dir, &to, token)?,
        Command::Restore { data, from } => return admin::restore(&data.data_dir, &from),
        Command::Query {
            data,
            format,
            question,
        } => {
            let mut stdout = std::io::stdout().lock();
            pobratim::cli::query::run(&data.data_dir, question, format, &mut stdout)?;
        }
        Command::Openapi => {
            let doc = pobratim::api::openapi_document()?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{doc}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Most nodes of the default view whose layout a starting server computes (the world
/// network's 17k take ~3 s; a million would spend the query budget for nothing).
const WARM_LAYOUT_NODES: usize = 100_000;

fn serve(config: &ServeConfig) -> anyhow::Result<()> {
    let service = server::open_service(config)?;
    let graph = service.snapshot();
    tracing::info!(
        data = %config.data_dir.display(),
        nodes = graph.node_count(),
        links = graph.link_count(),
        version = graph.version(),
        "store open"
    );
    let service = actix_web::web::Data::new(service);
    let saver = service.clone();
    // Off the request path: build the views of the default and the unfiltered graph
    // (the first requests would wait for them), then keep the snapshot file current
    // for the next start.
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let mut view_bytes = 0;
        for filter in [
            pobratim::graph::filter::Filter::default(),
            pobratim::graph::filter::Filter::everything(),
        ] {
            view_bytes += saver.scope(&filter).view.heap_bytes();
        }
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            views_mb = view_bytes >> 20,
            "views warmed"
        );
        // The explorer's whole-network picture, where one is worth drawing.
        let default = pobratim::graph::filter::Filter::default();
        let nodes = saver.scope(&default).view.node_count();
        if nodes <= WARM_LAYOUT_NODES {
            let started = std::time::Instant::now();
            match saver.network_layout(&default) {
                Ok(_) => tracing::info!(ms = started.elapsed().as_millis() as u64, "layout warmed"),
                Err(e) => tracing::warn!(error = %e, "layout not warmed: it failed"),
            }
        } else {
            tracing::info!(nodes, "layout not warmed: too many nodes");
        }
        let current =
            saver.snapshot_origin() == pobratim::service::SnapshotOrigin::File { replayed: 0 };
        if current {
            return; // the file already holds this version
        }
        if let Err(e) = saver.save_snapshot() {
            tracing::warn!(error = %e, "cannot write the snapshot file");
        }
    });
    let served = actix_web::rt::System::new().block_on({
        let service = service.clone();
        async move {
            let (server, addrs) = server::http_server(service, config)?;
            for addr in addrs {
                tracing::info!("listening on http://{addr}");
            }
            server.await.context("server failed")
        }
    });
    if let Err(e) = service.save_snapshot() {
        tracing::warn!(error = %e, "cannot write the snapshot file at shutdown");
    }
    served
}
