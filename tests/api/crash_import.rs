//! Crash safety of imports into a store that has records: `pobratim import` and the
//! HTTP import are killed with SIGKILL at random moments; whichever process opens the
//! directory next (`check`, or the server) rolls the load back, after which `check`
//! is clean and the records are exactly those before the import or those after it.
//! 50 kills; `POBRATIM_CRASH_IMPORT_CYCLES` for another number.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::pobratim_on as pobratim;
use crate::crash::{next, serve};

/// Nodes and links of the store, as the pobratim export lists them (in id order).
fn records(data: &Path) -> (Value, Value) {
    let out = pobratim(&["export"], data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    (doc["nodes"].clone(), doc["links"].clone())
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A nodes table that moves every seed node to another country and region (so its
/// index entries change) at places spread through the file, between new cities.
fn nodes_table(seed_nodes: &Value, new_cities: usize) -> String {
    let seed = seed_nodes.as_array().unwrap();
    let spacing = new_cities / seed.len().max(1);
    let mut out = String::from("id,kind,name,country,region\n");
    let mut seed_rows = seed.iter();
    for i in 0..new_cities {
        if i % spacing.max(1) == 0 {
            if let Some(node) = seed_rows.next() {
                let name = node["name"].as_str().unwrap().replace('"', "\"\"");
                out.push_str(&format!(
                    "{},{},\"{name}\",KR,Moved {i}\n",
                    node["id"].as_str().unwrap(),
                    node["kind"].as_str().unwrap()
                ));
            }
        }
        out.push_str(&format!("city:nz:n{i},city,New {i},NZ,Region {}\n", i % 97));
    }
    for node in seed_rows {
        let name = node["name"].as_str().unwrap().replace('"', "\"\"");
        out.push_str(&format!(
            "{},{},\"{name}\",KR,Moved last\n",
            node["id"].as_str().unwrap(),
            node["kind"].as_str().unwrap()
        ));
    }
    out
}

#[test]
fn an_import_killed_at_any_moment_leaves_the_store_before_or_after_it() {
    let cycles: usize = std::env::var("POBRATIM_CRASH_IMPORT_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let root = tempfile::TempDir::new().unwrap();
    let pristine = root.path().join("pristine");
    let seeded = pobratim(&["import", "fixtures/seed.json"], &pristine);
    assert!(seeded.status.success(), "{seeded:?}");
    let token = {
        let made = pobratim(
            &["token", "create", "--name", "importer", "--scope", "write"],
            &pristine,
        );
        assert!(made.status.success(), "{made:?}");
        String::from_utf8(made.stdout).unwrap().trim().to_string()
    };
    let before = records(&pristine);
    let table = root.path().join("nodes.csv");
    std::fs::write(&table, nodes_table(&before.0, 20_000)).unwrap();
    let after = {
        let done = root.path().join("done");
        copy_dir(&pristine, &done);
        let started = std::time::Instant::now();
        let out = pobratim(
            &["import", "--format", "csv", table.to_str().unwrap()],
            &done,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        println!("the whole import took {:?}", started.elapsed());
        records(&done)
    };
    assert_ne!(before, after);
    let data = root.path().join("data");
    let mut rng = 0x1A9047_u64;
    let (mut as_before, mut as_after) = (0, 0);
    for cycle in 0..cycles {
        copy_dir(&pristine, &data);
        let over_http = cycle % 2 == 0;
        let delay = Duration::from_millis(next(&mut rng) % 2_500);
        if over_http {
            let (mut child, base) = serve(&data);
            let body = std::fs::read_to_string(&table).unwrap();
            let url = format!("{base}/api/v1/import?format=csv");
            let bearer = format!("Bearer {token}");
            let request = std::thread::spawn(move || {
                let _ = ureq::post(&url)
                    .set("authorization", &bearer)
                    .set("content-type", "text/csv")
                    .send_string(&body);
            });
            std::thread::sleep(delay);
            child.kill().unwrap();
            child.wait().unwrap();
            let _ = request.join();
        } else {
            let mut child = Command::new(env!("CARGO_BIN_EXE_pobratim"))
                .args(["import", "--format", "csv"])
                .arg(&table)
                .arg("--data")
                .arg(&data)
                .env("POBRATIM_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(delay);
            child.kill().unwrap();
            child.wait().unwrap();
        }
        // Whichever opens the directory first rolls an unfinished load back.
        if cycle % 4 < 2 {
            let check = pobratim(&["check"], &data);
            assert!(
                check.status.success(),
                "cycle {cycle} ({delay:?}): check found problems:\n{}",
                String::from_utf8_lossy(&check.stdout)
            );
        } else {
            let (mut child, _) = serve(&data);
            child.kill().unwrap();
            child.wait().unwrap();
            let check = pobratim(&["check"], &data);
            assert!(
                check.status.success(),
                "cycle {cycle} ({delay:?}): check after the server's rollback found problems:\n{}",
                String::from_utf8_lossy(&check.stdout)
            );
        }
        let now = records(&data);
        if now == before {
            as_before += 1;
        } else if now == after {
            as_after += 1;
        } else {
            panic!("cycle {cycle} ({delay:?}): the records are neither those before the import nor those after it");
        }
    }
    println!("import crash safety: {cycles} kills, {as_before} left the store as before, {as_after} as after; check clean each time");
    assert!(as_before > 0, "some kills landed during an import");
}
