//! The snapshot on disk: a compact binary copy of a compacted graph, so that opening a
//! large store does not decode every record again. The service writes it beside the
//! store (after a compaction, an import, and on shutdown) and on open loads it, then
//! replays the change log from its version; anything unusable (missing, damaged by a
//! crash mid-write, from another format, or newer than the store) means a rebuild.
//!
//! Layout: `POBRATIM-GRAPH\n\0`, format (u32), graph version (u64); node count (u64),
//! then per node its kind (u8) and id (u16 length + bytes); link count (u64), then per
//! link id (u16 + bytes), kind (u8), status (u8), signed and ended (u8 length + text, 0
//! when absent), member count (u8) and members (u32 node positions); CRC-32 of it all.
//! Integers big-endian; kinds and statuses by position in their `ALL` lists.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::project::{self, ProjectError};
use super::{GraphSnapshot, LinkEntry};
use crate::model::{LinkId, LinkKind, LinkStatus, NodeId, NodeKind, PartialDate};

const MAGIC: &[u8; 16] = b"POBRATIM-GRAPH\n\0";
const FORMAT: u32 = 1;

/// Why a snapshot file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// Reading or writing failed.
    #[error("snapshot file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is damaged, truncated or of another format.
    #[error("snapshot file unusable: {0}")]
    Unusable(String),
    /// The graph could not be assembled.
    #[error(transparent)]
    Project(#[from] ProjectError),
}

struct Crc<T> {
    inner: T,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

fn text(out: &mut impl Write, s: &str, max: usize) -> Result<(), PersistError> {
    if s.len() > max {
        return Err(PersistError::Unusable(format!(
            "a text of {} bytes",
            s.len()
        )));
    }
    if max > u8::MAX as usize {
        out.write_all(&(s.len() as u16).to_be_bytes())?;
    } else {
        out.write_all(&[s.len() as u8])?;
    }
    out.write_all(s.as_bytes())?;
    Ok(())
}

fn position<T: PartialEq>(all: &[T], item: &T) -> u8 {
    all.iter().position(|x| x == item).unwrap_or(0) as u8
}

/// Writes the live graph of `graph` to `path` (through a temporary file and a rename,
/// flushed to disk, so a crash never leaves half a file under the name).
pub fn save(graph: &GraphSnapshot, path: &Path) -> Result<(), PersistError> {
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let partial = path.with_extension(format!("partial-{}-{n}", std::process::id()));
    let file = std::fs::File::create(&partial)?;
    let mut out = Crc {
        inner: BufWriter::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
    };
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT.to_be_bytes())?;
    out.write_all(&graph.version().to_be_bytes())?;
    let mut position_of = vec![u32::MAX; graph.node_bound()];
    out.write_all(&(graph.node_count() as u64).to_be_bytes())?;
    for (i, v) in graph.live_nodes().enumerate() {
        position_of[v as usize] = i as u32;
        out.write_all(&[position(&NodeKind::ALL, &graph.node_kind(v))])?;
        text(&mut out, graph.node_id(v).as_str(), u16::MAX as usize)?;
    }
    out.write_all(&(graph.link_count() as u64).to_be_bytes())?;
    for l in graph.live_links() {
        let link = graph.link(l);
        text(&mut out, link.id.as_str(), u16::MAX as usize)?;
        out.write_all(&[
            position(&LinkKind::ALL, &link.kind),
            position(&LinkStatus::ALL, &link.status),
        ])?;
        for date in [link.signed, link.ended] {
            text(
                &mut out,
                &date.map(|d| d.to_string()).unwrap_or_default(),
                32,
            )?;
        }
        out.write_all(&[link.members.len() as u8])?;
        for m in &link.members {
            out.write_all(&position_of[*m as usize].to_be_bytes())?;
        }
    }
    let crc = out.crc.clone().finalize();
    let mut file = out
        .inner
        .into_inner()
        .map_err(|e| PersistError::Io(e.into_error()))?;
    file.write_all(&crc.to_be_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&partial);
    })?;
    Ok(())
}

fn bytes<const N: usize>(input: &mut impl Read) -> Result<[u8; N], PersistError> {
    let mut buf = [0u8; N];
    input.read_exact(&mut buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => PersistError::Unusable("truncated".into()),
        _ => PersistError::Io(e),
    })?;
    Ok(buf)
}

fn read_text(input: &mut impl Read, wide: bool) -> Result<String, PersistError> {
    let len = if wide {
        u16::from_be_bytes(bytes(input)?) as usize
    } else {
        bytes::<1>(input)?[0] as usize
    };
    let mut buf = vec![0u8; len];
    input
        .read_exact(&mut buf)
        .map_err(|_| PersistError::Unusable("truncated".into()))?;
    String::from_utf8(buf).map_err(|_| PersistError::Unusable("a text is not UTF-8".into()))
}

fn bad(what: &str) -> PersistError {
    PersistError::Unusable(what.into())
}

/// Reads a snapshot written by [`save`]; `Ok(None)` when there is no file.
pub fn load(path: &Path) -> Result<Option<GraphSnapshot>, PersistError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut input = Crc {
        inner: BufReader::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
    };
    if &bytes::<16>(&mut input)? != MAGIC {
        return Err(bad("not a pobratim snapshot"));
    }
    if u32::from_be_bytes(bytes(&mut input)?) != FORMAT {
        return Err(bad("another snapshot format"));
    }
    let version = u64::from_be_bytes(bytes(&mut input)?);
    let node_count = u64::from_be_bytes(bytes(&mut input)?) as usize;
    let mut nodes = Vec::with_capacity(node_count.min(1 << 26));
    for _ in 0..node_count {
        let kind = *NodeKind::ALL
            .get(bytes::<1>(&mut input)?[0] as usize)
            .ok_or_else(|| bad("unknown node kind"))?;
        let id = NodeId::new(read_text(&mut input, true)?).map_err(|_| bad("bad node id"))?;
        nodes.push((id, kind));
    }
    let link_count = u64::from_be_bytes(bytes(&mut input)?) as usize;
    let mut links = Vec::with_capacity(link_count.min(1 << 26));
    for _ in 0..link_count {
        let id = LinkId::new(read_text(&mut input, true)?).map_err(|_| bad("bad link id"))?;
        let [kind, status] = bytes::<2>(&mut input)?;
        let kind = *LinkKind::ALL
            .get(kind as usize)
            .ok_or_else(|| bad("unknown link kind"))?;
        let status = *LinkStatus::ALL
            .get(status as usize)
            .ok_or_else(|| bad("unknown link status"))?;
        let mut dates = [None, None];
        for date in &mut dates {
            let raw = read_text(&mut input, false)?;
            if !raw.is_empty() {
                *date = Some(raw.parse::<PartialDate>().map_err(|_| bad("bad date"))?);
            }
        }
        let count = bytes::<1>(&mut input)?[0] as usize;
        let mut members = Vec::with_capacity(count);
        for _ in 0..count {
            let m = u32::from_be_bytes(bytes(&mut input)?);
            if m as usize >= nodes.len() {
                return Err(bad("a member out of range"));
            }
            members.push(m);
        }
        links.push(LinkEntry {
            id,
            kind,
            status,
            signed: dates[0],
            ended: dates[1],
            members,
        });
    }
    let expected = input.crc.clone().finalize();
    if u32::from_be_bytes(bytes(&mut input.inner)?) != expected {
        return Err(bad("checksum mismatch"));
    }
    Ok(Some(project::build_indexed(version, nodes, links)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Link;

    fn link(lid: &str, kind: &str, members: &[&str], signed: Option<&str>) -> Link {
        serde_json::from_value(serde_json::json!({
            "id": lid, "kind": kind, "members": members, "signed": signed, "status": "ended", "ended": "2021-03"
        }))
        .unwrap()
    }

    #[test]
    fn a_saved_snapshot_loads_equal_and_damage_is_refused() {
        let nodes = ["a", "b", "c", "d"].map(|n| (NodeId::new(n).unwrap(), NodeKind::City));
        let g = project::build(
            9,
            nodes,
            [
                link("t", "trilateral", &["a", "b", "c"], Some("1999-05-01")),
                link("f", "friendship", &["c", "d"], None),
            ],
        )
        .unwrap();
        let delta = project::GraphDelta {
            removed_nodes: vec![NodeId::new("d").unwrap()],
            removed_links: vec![LinkId::new("f").unwrap()],
            ..Default::default()
        };
        let g = project::apply(&g, 10, delta).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("graph.snapshot");
        assert!(load(&path).unwrap().is_none());
        save(&g, &path).unwrap();
        let back = load(&path).unwrap().unwrap();
        assert_eq!(
            (back.version(), back.node_count(), back.link_count()),
            (10, 3, 1)
        );
        let l = back.link(back.link_ix(&LinkId::new("t").unwrap()).unwrap());
        assert_eq!(l.signed.unwrap().to_string(), "1999-05-01");
        assert_eq!(l.ended.unwrap().to_string(), "2021-03");
        assert_eq!(l.members.len(), 3);
        assert!(back.index_of(&NodeId::new("d").unwrap()).is_none());

        let mut raw = std::fs::read(&path).unwrap();
        let at = raw.len() - 10;
        raw[at] ^= 0x55;
        std::fs::write(&path, &raw).unwrap();
        assert!(matches!(load(&path), Err(PersistError::Unusable(_))));
        std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
        assert!(matches!(load(&path), Err(PersistError::Unusable(_))));
    }
}
