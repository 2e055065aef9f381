//! `pobratim evaluate-partners` on a network small enough to work out by hand.
//!
//! Five cities; A, B, C, D all linked by 1990 except C–D, first signed in 2010; E has
//! no partner. With `--cutoff 2000`, C–D is hidden: the sources are C and D (each has a
//! hidden and a visible partnership). For C the candidates are D (two common partners,
//! A and B) and E (none); for D, C and E alike. So common neighbours ranks the hidden
//! partner first for both: precision@2 = 1/2, recall@2 = 1/1. Every sampled positive is
//! C–D (two common partners) and every negative a pair with E (none): AUC = 1.

use std::collections::BTreeMap;

use serde_json::json;

fn run(args: &[&str], data: &std::path::Path) -> String {
    let output = crate::common::pobratim_on(args, data);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// `method → (precision, recall, auc)` from the command's table (its columns: method,
/// precision, recall, MRR, AUC); the MRR is checked through [`mrr`].
fn table(out: &str) -> BTreeMap<String, (f64, f64, f64)> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| method") && !l.starts_with("| ---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let number = |i: usize| cells[i].parse::<f64>().unwrap();
            (cells[0].to_string(), (number(1), number(2), number(4)))
        })
        .collect()
}

/// `method → MRR` from the command's table.
fn mrr(out: &str) -> BTreeMap<String, f64> {
    out.lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| method") && !l.starts_with("| ---"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            (cells[0].to_string(), cells[3].parse::<f64>().unwrap())
        })
        .collect()
}

#[test]
fn evaluate_partners_gives_the_figures_worked_out_by_hand() {
    let dir = tempfile::TempDir::new().unwrap();
    let city =
        |c: &str| json!({"id": format!("city:ru:{c}"), "kind": "city", "name": c, "country": "RU"});
    let link = |a: &str, b: &str, signed: &str| {
        json!({"kind": "twinning", "members": [format!("city:ru:{a}"), format!("city:ru:{b}")],
               "status": "active", "signed": signed})
    };
    let nodes = ["a", "b", "c", "d", "e"].map(city);
    let doc = json!({
        "format": "pobratim", "version": 1,
        "nodes": nodes,
        "links": [
            link("a", "b", "1990"), link("a", "c", "1990"), link("b", "c", "1990"),
            link("a", "d", "1990"), link("b", "d", "1990"), link("c", "d", "2010"),
        ],
    });
    let file = dir.path().join("net.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let data = dir.path().join("data");
    let import = crate::common::pobratim_on(&["import", file.to_str().unwrap()], &data);
    assert!(import.status.success(), "{import:?}");

    let out = run(
        &[
            "evaluate-partners",
            "--cutoff",
            "2000",
            "--k",
            "2",
            "--pairs",
            "200",
        ],
        &data,
    );
    assert!(
        out.starts_with(
            "links first signed after 2000 hidden: 1 of 6 partnerships hidden, 2 sources ranked, k = 2"
        ),
        "{out}"
    );
    let rows = table(&out);
    assert_eq!(rows["common_neighbours"], (0.5, 1.0, 1.0), "{out}");
    // The hidden partner is first on both lists: reciprocal rank 1.
    assert_eq!(mrr(&out)["common_neighbours"], 1.0, "{out}");
    assert_eq!(rows["adamic_adar"], (0.5, 1.0, 1.0), "{out}");
    for (method, (precision, recall, auc)) in &rows {
        assert!(
            (0.0..=0.5).contains(precision),
            "{method}: at most one of two is hidden"
        );
        assert!(
            (0.0..=1.0).contains(recall) && (0.0..=1.0).contains(auc),
            "{method}"
        );
    }

    // Without a cutoff nothing is dated-split: the seeded random hold-out is reported,
    // and the same seed gives the same figures.
    let random = run(
        &["evaluate-partners", "--holdout", "0.5", "--seed", "3"],
        &data,
    );
    assert!(
        random.starts_with("a random 50 % of links hidden (seed 3)"),
        "{random}"
    );
    let again = run(
        &["evaluate-partners", "--holdout", "0.5", "--seed", "3"],
        &data,
    );
    assert_eq!(table(&random), table(&again));
}

#[test]
fn evaluate_partners_writes_its_report_as_markdown_and_json() {
    let dir = tempfile::TempDir::new().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, pobratim::io::seed::SEED_JSON).unwrap();
    let data = dir.path().join("data");
    let import = crate::common::pobratim_on(&["import", seed.to_str().unwrap()], &data);
    assert!(import.status.success(), "{import:?}");
    let report = dir.path().join("seed-eval");
    let out = run(
        &[
            "evaluate-partners",
            "--holdout",
            "0.2",
            "--status",
            "any",
            "--report",
            report.to_str().unwrap(),
        ],
        &data,
    );
    let markdown = std::fs::read_to_string(dir.path().join("seed-eval.md")).unwrap();
    assert!(out.contains(&markdown), "{out}\n---\n{markdown}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("seed-eval.json")).unwrap())
            .unwrap();
    let methods = json["methods"].as_array().unwrap();
    assert_eq!(methods.len(), table(&out).len());
    let learned = methods.iter().find(|m| m["method"] == "learned").unwrap();
    for field in ["precision_at_k", "recall_at_k", "mrr", "auc"] {
        assert!(learned[field].is_number(), "{field}: {learned}");
    }
}
