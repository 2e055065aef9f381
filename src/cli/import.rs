//! `pobratim import`: files streamed into one bulk load, with a progress bar on the
//! terminal (bytes, records, rate, ETA) and a summary line. Files ending in `.gz` are
//! read through gzip.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::ImportFormat;
use crate::model::LinkKind;
use crate::service::import::{open_items, Items, ReportFormat};
use crate::service::ImportOptions;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

/// Most refused records printed.
const MAX_ERRORS_SHOWN: usize = 50;

/// Imports `files` in order as one all-or-nothing load (or skipping bad records).
pub fn run(
    dir: &Path,
    files: &[PathBuf],
    format: ImportFormat,
    kind: &str,
    options: ImportOptions,
    report_format: ReportFormat,
) -> anyhow::Result<ExitCode> {
    let kind: LinkKind = serde_json::from_value(serde_json::Value::String(kind.into()))
        .map_err(|_| anyhow::anyhow!("--kind: `{kind}` is not a link kind"))?;
    let bar = progress_bar(files)?;
    let mut streams: Vec<Items> = Vec::new();
    for file in files {
        let input: Box<dyn Read> = if file.as_os_str() == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let f = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
            let read = BufReader::with_capacity(1 << 20, bar.wrap_read(f));
            if file.extension().is_some_and(|e| e == "gz") {
                // A `.gz` file is read through gzip; the bar counts compressed bytes.
                Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(read)))
            } else {
                Box::new(read)
            }
        };
        let name = file.display().to_string();
        match open_items(format, input, kind) {
            Ok(items) => {
                let named = items.map(move |item| {
                    item.map_err(|mut e| {
                        e.file.clone_from(&name);
                        e
                    })
                });
                streams.push(Box::new(named));
            }
            Err(e) => {
                bar.finish_and_clear();
                eprintln!("{}: {e}", file.display());
                if let Some(hint) = format_hint(file, format) {
                    eprintln!("{hint}");
                }
                eprintln!("nothing written");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    let service = super::open_service(dir)?;
    let started = std::time::Instant::now();
    let mut on_progress = |records: u64| {
        let rate = records as f64 / started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{records} records, {rate:.0}/s"));
    };
    let report = service.import(streams.into_iter().flatten(), options, &mut on_progress)?;
    bar.finish_and_clear();
    for error in report.errors.iter().take(MAX_ERRORS_SHOWN) {
        eprintln!("{error}");
    }
    if report.refused as usize > MAX_ERRORS_SHOWN {
        eprintln!("… and {} more", report.refused as usize - MAX_ERRORS_SHOWN);
    }
    let refused_all =
        report.refused > 0 && (!options.skip_invalid || report.errors.iter().any(|e| e.fatal));
    if refused_all {
        eprintln!(
            "{} of {} records refused: nothing written{}",
            report.refused,
            report.records,
            if options.skip_invalid {
                ""
            } else {
                " (use --skip-invalid to import the good records)"
            }
        );
        return Ok(ExitCode::FAILURE);
    }
    if report.written {
        service.upkeep().mark_seeded("import")?;
    }
    if let Some(changes) = &report.changes {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        report_format.write(changes, &mut out)?;
        std::io::Write::flush(&mut out)?;
    }
    // With a change report on standard output, the summary goes beside it.
    let summary = format!(
        "{}: {} records, {} created, {} updated, {} unchanged, {} skipped, in {:.2} s ({:.0} records/s; graph version {})",
        if options.dry_run { "dry run, nothing written" } else { "imported" },
        report.records,
        report.created,
        report.updated,
        report.unchanged,
        report.refused,
        report.seconds,
        report.records as f64 / report.seconds.max(1e-6),
        report.graph_version
    );
    if report.changes.is_some() {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// A bar over the bytes of every file (hidden when standard error is not a terminal).
fn progress_bar(files: &[PathBuf]) -> anyhow::Result<ProgressBar> {
    let total: u64 = files
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {msg} · {elapsed_precise} elapsed, ETA {eta}",
    )?);
    Ok(bar)
}

/// A hint when a file's name says it is in another format than the one asked for (the
/// default, `pobratim`, reads a CSV file as broken JSON).
fn format_hint(file: &Path, format: ImportFormat) -> Option<String> {
    let name = file.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let (_, suggested) = [
        (
            ".csv",
            "csv (pobratim tables), edge-list (twin-town lists) or sparql-csv",
        ),
        (".tsv", "sparql-tsv"),
        (".graphml", "graphml"),
        (".gexf", "gexf"),
        (".xml", "graphml or gexf"),
    ]
    .into_iter()
    .find(|(end, _)| name.ends_with(end))?;
    (format == ImportFormat::Pobratim).then(|| {
        format!("hint: this is read as --format pobratim (JSON); for this file give --format {suggested}")
    })
}
