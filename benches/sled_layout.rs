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
//!
//! The packed variants write each value once: they show what sled takes for fewer,
//! larger values, not what a store that keeps links packed would take. Such a store
//! must merge each chunk into the segments already written (a later chunk's links fall
//! between earlier ones), which the two `merged` variants do: each touched segment found
//! by a range lookup, read, extended and written back, split past 32 links. The last
//! two write a whole import's trees (links, nodes, their country and name entries) in
//! key order on two threads, as an import that sorted the file first would.
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

/// An empty sled database in a temporary directory, with the store's configuration.
fn open_sled() -> (tempfile::TempDir, sled::Db) {
    let dir = tempfile::TempDir::new().unwrap();
    let db = sled::Config::new()
        .path(dir.path())
        .mode(sled::Mode::HighThroughput)
        .cache_capacity(256 << 20)
        .open()
        .unwrap();
    (dir, db)
}

/// Chunk `n` of `links` as the import writes it: (key number, link number) pairs sorted
/// by key. Chunks are taken in a scattered order too, as a file is not sorted by chunk
/// either.
fn sorted_chunk(n: u64, links: u64, scattered: bool) -> Vec<(u64, u64)> {
    let first = ((n * 7 + 3) % links.div_ceil(CHUNK)) * CHUNK;
    let mut numbered: Vec<(u64, u64)> = (first..(first + CHUNK).min(links))
        .map(|i| (key_number(i, scattered), i))
        .collect();
    numbered.sort_unstable();
    numbered
}

/// Writes `links` links, `per_value` to a sled value, and returns the seconds taken.
fn write(links: u64, per_value: u64, scattered: bool) -> f64 {
    let (_dir, db) = open_sled();
    let tree = db.open_tree("links").unwrap();
    let started = Instant::now();
    let chunks = links.div_ceil(CHUNK);
    for n in 0..chunks {
        for segment in sorted_chunk(n, links, scattered).chunks(per_value as usize) {
            let packed: Vec<u8> = segment.iter().flat_map(|&(_, i)| value(i)).collect();
            tree.insert(segment_key(segment[0].0), packed).unwrap();
        }
    }
    db.flush().unwrap();
    started.elapsed().as_secs_f64()
}

/// A packed segment's entries: (key number, link record), sorted by key number.
type Entries = Vec<(u64, Vec<u8>)>;

fn segment_key(number: u64) -> Vec<u8> {
    format!("twinning:city:aa:{number:010}").into_bytes()
}

fn encode_segment(entries: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (number, record) in entries {
        out.extend_from_slice(&number.to_be_bytes());
        out.extend_from_slice(&(record.len() as u32).to_be_bytes());
        out.extend_from_slice(record);
    }
    out
}

fn decode_segment(mut raw: &[u8]) -> Entries {
    let mut entries = Vec::new();
    while !raw.is_empty() {
        let number = u64::from_be_bytes(raw[..8].try_into().unwrap());
        let len = u32::from_be_bytes(raw[8..12].try_into().unwrap()) as usize;
        entries.push((number, raw[12..12 + len].to_vec()));
        raw = &raw[12 + len..];
    }
    entries
}

/// Writes `links` links into packed segments as a store that keeps them would have to:
/// each chunk's links are merged into the segments whose key ranges they fall in (found
/// by a range lookup, read, extended and written back), a segment past `2 * per_value`
/// links is split into pieces of `per_value`. Returns the seconds taken.
fn write_merged(links: u64, per_value: u64, scattered: bool) -> f64 {
    use std::ops::Bound::{Excluded, Unbounded};
    let (_dir, db) = open_sled();
    let tree = db.open_tree("links").unwrap();
    let started = Instant::now();
    let chunks = links.div_ceil(CHUNK);
    for n in 0..chunks {
        let numbered = sorted_chunk(n, links, scattered);
        let mut at = 0;
        while at < numbered.len() {
            let key = segment_key(numbered[at].0);
            let holder = match tree.range(..=key.as_slice()).next_back() {
                Some(found) => Some(found.unwrap()),
                None => tree.iter().next().map(Result::unwrap),
            };
            let upper = holder.as_ref().and_then(|(k, _)| {
                tree.range::<&[u8], _>((Excluded(k.as_ref()), Unbounded))
                    .next()
                    .map(|e| e.unwrap().0)
            });
            let mut entries = holder
                .as_ref()
                .map_or_else(Vec::new, |(_, v)| decode_segment(v));
            let mut end = at;
            while end < numbered.len()
                && upper
                    .as_ref()
                    .is_none_or(|u| segment_key(numbered[end].0).as_slice() < u.as_ref())
            {
                entries.push((numbered[end].0, value(numbered[end].1)));
                end += 1;
            }
            entries.sort_unstable_by_key(|(number, _)| *number);
            if let Some((old, _)) = &holder {
                if old.as_ref() != segment_key(entries[0].0).as_slice() {
                    tree.remove(old).unwrap();
                }
            }
            let pieces = if entries.len() as u64 > 2 * per_value {
                entries.chunks(per_value as usize).collect::<Vec<_>>()
            } else {
                vec![entries.as_slice()]
            };
            for piece in pieces {
                tree.insert(segment_key(piece[0].0), encode_segment(piece))
                    .unwrap();
            }
            at = end;
        }
    }
    db.flush().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    // Untimed: every link is in exactly one segment, in order, under its first key.
    let mut stored = 0;
    let mut last = None;
    for entry in tree.iter() {
        let (key, raw) = entry.unwrap();
        let entries = decode_segment(&raw);
        assert_eq!(key.as_ref(), segment_key(entries[0].0).as_slice());
        for (number, _) in entries {
            assert!(last < Some(number), "segments out of order");
            last = Some(number);
            stored += 1;
        }
    }
    assert_eq!(stored, links, "links lost or repeated by the merging");
    seconds
}

/// Nodes per link in the peers' networks (223,405 nodes for 1,002,603 links).
const NODES_PER_LINK: f64 = 0.2228;

/// Writes a whole import's trees as a key-ordered bulk path would, into an empty store:
/// every tree's keys in order, links packed `per_value` to a value, nodes one a value
/// with their country and name index entries, the trees on two threads (links and
/// nodes; the two indexes). Returns the seconds taken: what such an import would add
/// after checking the file.
fn write_in_key_order(links: u64, per_value: u64) -> f64 {
    let (_dir, db) = open_sled();
    let nodes = (links as f64 * NODES_PER_LINK) as u64;
    let node_id = |i: u64| format!("city:aa:{i:010}");
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let tree = db.open_tree("links").unwrap();
            for first in (0..links).step_by(per_value as usize) {
                let last = (first + per_value).min(links);
                let packed: Vec<u8> = (first..last).flat_map(value).collect();
                tree.insert(segment_key(first), packed).unwrap();
            }
            let tree = db.open_tree("nodes").unwrap();
            for i in 0..nodes {
                let id = node_id(i);
                let record = format!(
                    "\u{1}{{\"id\":\"{id}\",\"kind\":\"city\",\"name\":\"Name {i}\",\
                     \"country\":\"AA\",\"lat\":12.3456,\"lon\":-65.4321}}"
                );
                tree.insert(id, record.into_bytes()).unwrap();
            }
        });
        scope.spawn(|| {
            let country = db.open_tree("idx.country").unwrap();
            for i in 0..nodes {
                country.insert(format!("aa\0{}", node_id(i)), &[]).unwrap();
            }
            let name = db.open_tree("idx.name").unwrap();
            for i in 0..nodes {
                name.insert(format!("name{i:010}\0{}", node_id(i)), &[1])
                    .unwrap();
            }
        });
    });
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
    for scattered in [false, true] {
        let per_value = 16;
        let seconds = write_merged(links, per_value, scattered);
        println!(
            "{:>9} keys, {per_value:>2} links a segment, merged into the segments: {seconds:6.1} s, {:>9.0} links/s",
            if scattered { "scattered" } else { "appended" },
            links as f64 / seconds,
        );
    }
    for per_value in [1, 16] {
        let seconds = write_in_key_order(links, per_value);
        println!(
            "a whole import in key order (links {per_value:>2} a value, nodes, two indexes; two threads): {seconds:6.1} s, {:>9.0} links/s",
            links as f64 / seconds,
        );
    }
}
