//! Crash safety: the real binary serves a real directory while concurrent writers log
//! every acknowledged write; the server is killed with SIGKILL at a random moment,
//! then `pobratim check` must be clean, every acknowledged write must be there, and no
//! batch may be half there. 20 cycles; `POBRATIM_CRASH_CYCLES=200` for more.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pobratim::model::NodeId;
use pobratim::service::Service;
use serde_json::json;

/// Starts `pobratim serve` on a free port; returns the process and its base URL.
pub(crate) fn serve(data: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args([
            "serve",
            "--no-seed",
            "--workers",
            "2",
            "--bind",
            "127.0.0.1:0",
            "--write-rate",
            "0",
            "--data",
        ])
        .arg(data)
        .env("POBRATIM_LOG", "info")
        // As it starts by default, whatever the environment of the tests says.
        .env_remove("POBRATIM_TUNE_HEAP")
        .env_remove("MIMALLOC_PURGE_DELAY")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on ") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_string());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server starts");
    (child, base)
}

/// A tiny deterministic generator for the kill moments.
pub(crate) fn next(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

#[derive(Default)]
struct Log {
    /// Node ids of acknowledged single writes.
    nodes: Vec<String>,
    /// (node a, node b, link id) of acknowledged batches.
    batches: Vec<(String, String, String)>,
    /// Every batch attempted (acknowledged or not).
    attempted: Vec<(String, String, String)>,
    /// Answers that were neither the write's success nor a refusal a client can act on
    /// (a 5xx, or a 4xx other than 429): each with its status and body.
    unexpected: Vec<(u16, String)>,
}

/// Records an answer other than success; a dropped connection (the kill) is not one.
fn note_refusal(log: &Mutex<Log>, status: u16, response: ureq::Response) {
    // 429: the token's write rate, which a client waits out.
    if status != 429 {
        let body = response.into_string().unwrap_or_default();
        log.lock().unwrap().unexpected.push((status, body));
    }
}

fn writer(
    base: String,
    token: &str,
    cycle: usize,
    worker: usize,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
) {
    let bearer = format!("Bearer {token}");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let name = format!("C{cycle} W{worker} N{i}");
        if i % 3 == 0 {
            let (a, b) = (format!("{name} a"), format!("{name} b"));
            let ids = (
                NodeId::derive("city", Some("ru"), &a).unwrap().to_string(),
                NodeId::derive("city", Some("ru"), &b).unwrap().to_string(),
            );
            let link = format!(
                "twinning:{}+{}",
                ids.0.clone().min(ids.1.clone()),
                ids.0.clone().max(ids.1.clone())
            );
            log.lock()
                .unwrap()
                .attempted
                .push((ids.0.clone(), ids.1.clone(), link.clone()));
            let body = json!({"operations": [
                {"op": "create_node", "node": {"kind": "city", "name": a, "country": "RU"}},
                {"op": "create_node", "node": {"kind": "city", "name": b, "country": "RU"}},
                {"op": "create_link", "link": {"kind": "twinning", "members": [ids.0, ids.1]}},
            ]});
            match agent
                .post(&format!("{base}/api/v1/batch"))
                .set("authorization", &bearer)
                .send_json(body)
            {
                Ok(r) if r.status() == 200 => {
                    log.lock().unwrap().batches.push((ids.0, ids.1, link))
                }
                Ok(r) => note_refusal(&log, r.status(), r),
                Err(ureq::Error::Status(status, r)) => note_refusal(&log, status, r),
                Err(_) => return,
            }
        } else {
            let body = json!({"kind": "city", "name": name, "country": "RU"});
            match agent
                .post(&format!("{base}/api/v1/nodes"))
                .set("authorization", &bearer)
                .send_json(body)
            {
                Ok(r) if r.status() == 201 => {
                    let id: serde_json::Value = r.into_json().unwrap_or_default();
                    if let Some(id) = id["id"].as_str() {
                        log.lock().unwrap().nodes.push(id.to_string());
                    }
                }
                Ok(r) => note_refusal(&log, r.status(), r),
                Err(ureq::Error::Status(status, r)) => note_refusal(&log, status, r),
                Err(_) => return,
            }
        }
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_and_no_batch_is_half_there() {
    let cycles: usize = std::env::var("POBRATIM_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let root = tempfile::TempDir::new().unwrap();
    let data = root.path().join("data");
    let mut rng = 0xC0FFEE_u64;
    let log = Arc::new(Mutex::new(Log::default()));
    let created = Command::new(env!("CARGO_BIN_EXE_pobratim"))
        .args([
            "token",
            "create",
            "--name",
            "crash-writers",
            "--scope",
            "write",
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let token = Arc::new(
        String::from_utf8(created.stdout)
            .unwrap()
            .trim()
            .to_string(),
    );
    for cycle in 0..cycles {
        let (mut child, base) = serve(&data);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (base, stop, log) = (base.clone(), Arc::clone(&stop), Arc::clone(&log));
                let token = Arc::clone(&token);
                std::thread::spawn(move || writer(base, &token, cycle, w, stop, log))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50 + next(&mut rng) % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let check = Command::new(env!("CARGO_BIN_EXE_pobratim"))
            .args(["check", "--data"])
            .arg(&data)
            .env("POBRATIM_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "cycle {cycle}: check found problems:\n{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
    let service = Service::open(&data).unwrap();
    let log = log.lock().unwrap();
    let found = |read: Result<(), pobratim::service::ServiceError>| match read {
        Ok(()) => true,
        Err(pobratim::service::ServiceError::NotFound { .. }) => false,
        Err(e) => panic!("{e}"),
    };
    let has_node = |id: &str| {
        found(
            service
                .get_node(NodeId::new(id).unwrap().as_str())
                .map(drop),
        )
    };
    let has_link = |id: &str| found(service.get_link(id).map(drop));
    let mut lost = 0;
    for id in &log.nodes {
        lost += usize::from(!has_node(id));
    }
    for (a, b, link) in &log.batches {
        let there = has_node(a) && has_node(b) && has_link(link);
        lost += usize::from(!there);
    }
    for (a, b, link) in &log.attempted {
        let parts = [has_node(a), has_node(b), has_link(link)];
        assert!(
            parts.iter().all(|p| *p) || parts.iter().all(|p| !*p),
            "batch {link} is half there: {parts:?}"
        );
    }
    let acknowledged = log.nodes.len() + log.batches.len();
    println!(
        "crash safety: {cycles} cycles, {acknowledged} writes acknowledged ({} nodes, {} batches of 3), {lost} lost, check clean",
        log.nodes.len(),
        log.batches.len()
    );
    assert!(acknowledged > cycles, "the writers got writes through");
    assert_eq!(lost, 0, "acknowledged writes lost");
    assert_eq!(
        log.unexpected,
        Vec::new(),
        "answers that were neither success nor 429"
    );
}
