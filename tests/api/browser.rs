//! The network explorer and the docs page in a real browser: runs
//! `node --test tests/browser/` (playwright-core driving Debian's headless Chromium)
//! against a seeded server. Needs `/usr/bin/chromium` and `npm ci` (scripts/test.sh,
//! the README's test command, installs both when missing, and sets
//! `POBRATIM_REQUIRE_BROWSER` so that a missing one fails; plain `cargo test` skips
//! with the reason). Screenshots land in `artifacts/browser/`.

use std::path::Path;
use std::process::Command;

use crate::common::TestServer;

#[test]
fn the_explorer_works_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing = if !Path::new(&chromium).exists() {
        Some(format!(
            "no Chromium at {chromium}: run scripts/test.sh (it installs Debian's chromium), or set CHROMIUM"
        ))
    } else if !root.join("node_modules/playwright-core").exists() {
        Some("playwright-core is not installed: run `npm ci` (scripts/test.sh does)".into())
    } else {
        None
    };
    if let Some(why) = missing {
        // The README's test command (scripts/test.sh) installs both and sets this: there,
        // a missing browser is a failure, never a skip.
        assert!(
            std::env::var_os("POBRATIM_REQUIRE_BROWSER").is_none(),
            "{why}"
        );
        println!("skipped: {why}");
        return;
    }
    let server = TestServer::start_seeded();
    let world = TestServer::start_seeded_with(|c| {
        c.dataset = Some(pobratim::api::server::Dataset::Both);
    });
    let out = Command::new("node")
        .args(["--test", "--test-reporter=spec", "tests/browser/"])
        .current_dir(root)
        .env("POBRATIM_URL", &server.base)
        .env("POBRATIM_WORLD_URL", &world.base)
        .env("POBRATIM_ARTIFACTS", root.join("artifacts/browser"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "browser test failed:\n{said}");
    for timings in said
        .lines()
        .filter(|l| l.contains("world explorer:") || l.contains("world network:"))
    {
        println!("{}", timings.trim());
    }
    assert!(
        said.contains("pass 16") || said.contains("ℹ pass 16"),
        "{said}"
    );
}

#[test]
fn the_explorer_is_served_from_the_binary() {
    let server = TestServer::start();
    let page = ureq::get(&format!("{}/", server.base)).call().unwrap();
    assert!(page.content_type().starts_with("text/html"));
    let html = page.into_string().unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no outside address: {html}"
    );
    let script = ureq::get(&format!("{}/explorer/explorer.js", server.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    for asset in [
        "/explorer/explorer.js",
        "/explorer/explorer.css",
        "/explorer/vendor/cytoscape.min.js",
        "/explorer/vendor/topojson-client.min.js",
        "/explorer/vendor/countries-110m.json",
        "/explorer/vendor/graphology.umd.min.js",
        "/explorer/vendor/sigma.min.js",
    ] {
        // The whole-network view's libraries are loaded by the script on first use.
        assert!(
            html.contains(asset) || script.contains(asset) || asset.ends_with(".json"),
            "{asset} not linked"
        );
        let response = ureq::get(&format!("{}{asset}", server.base))
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
    }
}
