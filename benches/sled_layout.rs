//! What sled itself takes to write an import's links, by key order and by how many
//! links share a sled value: the ceiling under `pobratim import` with one key per link
//! (store formats 1–4), and what a format packing links into sorted segments would
//! leave. sled alone, outside pobratim, with the store's configuration (high-throughput
//! mode, 256 MiB cache, mimalloc): each variant is timed once, from an empty directory
//! to a flushed one.
//!
//! ```sh
//! cargo bench --bench sled_layout                                   # 1,000,000 links
//! POBRATIM_SLED_LAYOUT_LINKS=4567039 cargo bench --bench sled_layout  # the 1M network's
//! ```
//!
//! Links come as an import writes them: chunks of 20,000, each sorted by key. With
//! `appended` keys every chunk extends the key range (a file sorted by link id); with
//! `scattered` keys each chunk spreads over the whole range, as the link ids of a real
//! file do (`kind:member+member`, members in the file's order). Values are ~200 bytes
//! of JSON, the size of a link record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Links per chunk, as `pobratim import` writes them.
const CHUNK: u64 = 20_000;

/// A link record's stored value (format byte, then JSON) for link number `i`.
fn value(i: u64) -> Vec<u8> {
    let partner = (i * 7919) % 1_000_000;
    format!(
        "\u{1}{{\"id\":\"twinning:city:aa:{i:07}+city:bb:{partner:07}\",\"kind\":\"twinning\",\
         \"members\":[\"city:aa:{i:07}\",\"city:bb:{partner:07}\"],\"status\":\"active\",\
         \"since\":\"1995-05-01\",\"source\":\"peers.py gen\"}}"
    )
    .into_bytes()
}

/// The key of link number `i`: in link order, or spread over the key space.
fn key_number(i: u64, scattered: bool) -> u64 {
    if scattered {
        i.wrapping_mul(2_654_435_761) % 4_294_967_291
    } else {
        i
    }
}

/// Writes `links` links, `per_value` to a sled value, and returns the seconds taken.
fn write(links: u64, per_value: u64, scattered: bool) -> f64 {
    let dir = tempfile::TempDir::new().unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .mode(sled::Mode::HighThroughput)
        .cache_capacity(256 << 20)
        .open()
        .unwrap();
    let tree = db.open_tree("links").unwrap();
    let started = Instant::now();
    let chunks = links.div_ceil(CHUNK);
    for n in 0..chunks {
        // Chunks in a scattered order too: a file is not sorted by chunk either.
        let first = ((n * 7 + 3) % chunks) * CHUNK;
        let last = (first + CHUNK).min(links);
        let mut numbers: Vec<u64> = (first..last).map(|i| key_number(i, scattered)).collect();
        numbers.sort_unstable();
        for (segment, keys) in numbers.chunks(per_value as usize).enumerate() {
            let at = first + segment as u64 * per_value;
            let packed: Vec<u8> = (at..at + keys.len() as u64).flat_map(value).collect();
            tree.insert(format!("twinning:city:aa:{:010}", keys[0]), packed)
                .unwrap();
        }
    }
    db.flush().unwrap();
    started.elapsed().as_secs_f64()
}

fn main() {
    let links: u64 = std::env::var("POBRATIM_SLED_LAYOUT_LINKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!("{links} links, chunks of {CHUNK} sorted by key; sled alone");
    for scattered in [false, true] {
        for per_value in [1, 4, 16, 64] {
            let seconds = write(links, per_value, scattered);
            println!(
                "{:>9} keys, {per_value:>2} links a value: {seconds:6.1} s, {:>9.0} links/s, {:>8.0} keys/s",
                if scattered { "scattered" } else { "appended" },
                links as f64 / seconds,
                links.div_ceil(per_value) as f64 / seconds,
            );
        }
    }
}
