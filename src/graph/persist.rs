//! The snapshot on disk: a compact binary copy of a compacted graph, so that opening a
//! large store does not decode every record again. The service writes it beside the
//! store (after a compaction, an import, and on shutdown) and on open loads it, then
//! replays the change log from its version; anything unusable (missing, damaged by a
//! crash mid-write, from another format, or newer than the store) means a rebuild.
//!
//! Layout (format 3): `POBRATIM-GRAPH\n\0`, format (u32), graph version (u64); node
//! count (u64), then per node its kind (u8) and id (u16 length + bytes); link count
//! (u64), then per link its id (u16 + bytes; length 0 when the id is the one derived
//! from kind and members, which is not stored), kind (u8), status (u8), signed and ended
//! (year u16, month u8, day u8 each; 0 where unknown or absent), member count (u8) and
//! members (u32 node positions); CRC-32 of it all. Integers big-endian; kinds and
//! statuses by position in their `ALL` lists. Loading reads the file whole, checks the
//! CRC, then interns ids straight from the buffer (no allocation per record).

use std::io::{BufWriter, Write};
use std::path::Path;

use super::ids::IdTable;
use super::link_ids::LinkIds;
use super::project::ProjectError;
use super::{GraphSnapshot, LinkEntry, Members, MAX_MEMBERS};
use crate::model::{Evidence, LinkKind, LinkStatus, NodeKind, PartialDate};

const MAGIC: &[u8; 16] = b"POBRATIM-GRAPH\n\0";
const FORMAT: u32 = 4;

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

fn id(out: &mut impl Write, s: &str) -> Result<(), PersistError> {
    let len = u16::try_from(s.len())
        .map_err(|_| PersistError::Unusable(format!("an id of {} bytes", s.len())))?;
    out.write_all(&len.to_be_bytes())?;
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
        id(&mut out, graph.node_id(v))?;
    }
    out.write_all(&(graph.link_count() as u64).to_be_bytes())?;
    for l in graph.live_links() {
        let link = graph.link(l);
        if graph.link_id_is_derived(l) {
            out.write_all(&0u16.to_be_bytes())?;
        } else {
            id(&mut out, &graph.link_id(l))?;
        }
        out.write_all(&[
            position(&LinkKind::ALL, &link.kind),
            position(&LinkStatus::ALL, &link.status),
            position(&Evidence::ALL, &link.evidence),
        ])?;
        for date in [link.signed, link.ended] {
            let (year, month, day) = date.map_or((0, 0, 0), |d| {
                (d.year(), d.month().unwrap_or(0), d.day().unwrap_or(0))
            });
            out.write_all(&year.to_be_bytes())?;
            out.write_all(&[month, day])?;
        }
        out.write_all(&[link.members.len() as u8])?;
        for m in link.members.iter() {
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

fn bad(what: &str) -> PersistError {
    PersistError::Unusable(what.into())
}

/// A cursor over the file's bytes.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PersistError> {
        if self.0.len() < n {
            return Err(bad("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PersistError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, PersistError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, PersistError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, PersistError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    fn id(&mut self) -> Result<&'a str, PersistError> {
        let len = u16::from_be_bytes(self.array()?) as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| bad("an id is not UTF-8"))
    }

    fn date(&mut self) -> Result<Option<PartialDate>, PersistError> {
        let year = u16::from_be_bytes(self.array()?);
        let [month, day] = self.array()?;
        if year == 0 {
            return Ok(None);
        }
        let part = |x: u8| (x != 0).then_some(x);
        PartialDate::new(year, part(month), part(day))
            .map(Some)
            .map_err(|_| bad("bad date"))
    }
}

/// Reads a snapshot written by [`save`]; `Ok(None)` when there is no file.
pub fn load(path: &Path) -> Result<Option<GraphSnapshot>, PersistError> {
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(body_len) = raw.len().checked_sub(4) else {
        return Err(bad("truncated"));
    };
    let (body, crc) = raw.split_at(body_len);
    if crc32fast::hash(body).to_be_bytes() != crc {
        return Err(bad("checksum mismatch"));
    }
    let mut input = Cursor(body);
    if input.take(MAGIC.len())? != MAGIC {
        return Err(bad("not a pobratim snapshot"));
    }
    if input.u32()? != FORMAT {
        return Err(bad("another snapshot format"));
    }
    let version = input.u64()?;
    let node_count = input.u64()? as usize;
    let mut node_ids = IdTable::with_capacity(node_count.min(1 << 26), 0);
    let mut node_kinds = Vec::with_capacity(node_count.min(1 << 26));
    for _ in 0..node_count {
        let kind = *NodeKind::ALL
            .get(input.u8()? as usize)
            .ok_or_else(|| bad("unknown node kind"))?;
        let id = input.id()?;
        super::layout::intern_node(&mut node_ids, id)?;
        node_kinds.push(kind);
    }
    let link_count = input.u64()? as usize;
    let mut links = Vec::with_capacity(link_count.min(1 << 26));
    let mut link_ids = LinkIds::default();
    for _ in 0..link_count {
        let id = input.id()?;
        let chosen = (!id.is_empty()).then_some(id);
        link_ids
            .push(chosen, links.len())
            .map_err(|()| bad("too many link ids"))?;
        let kind = *LinkKind::ALL
            .get(input.u8()? as usize)
            .ok_or_else(|| bad("unknown link kind"))?;
        let status = *LinkStatus::ALL
            .get(input.u8()? as usize)
            .ok_or_else(|| bad("unknown link status"))?;
        let evidence = *Evidence::ALL
            .get(input.u8()? as usize)
            .ok_or_else(|| bad("unknown evidence"))?;
        let signed = input.date()?;
        let ended = input.date()?;
        let count = input.u8()? as usize;
        let mut members = [0; MAX_MEMBERS];
        if count > MAX_MEMBERS {
            return Err(bad("too many members"));
        }
        for slot in &mut members[..count] {
            *slot = input.u32()?;
            if *slot as usize >= node_count {
                return Err(bad("a member out of range"));
            }
        }
        links.push(LinkEntry {
            kind,
            status,
            evidence,
            signed,
            ended,
            members: Members::new(&members[..count]).ok_or_else(|| bad("too many members"))?,
        });
    }
    if !input.0.is_empty() {
        return Err(bad("trailing bytes"));
    }
    Ok(Some(super::layout::build_indexed(
        version, node_ids, node_kinds, links, link_ids,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::project;
    use crate::model::{Link, LinkId, NodeId};

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
                link("twinning:a+c", "twinning", &["c", "a"], None),
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
            (10, 3, 2)
        );
        let l = back.link(back.link_ix(&LinkId::new("t").unwrap()).unwrap());
        assert_eq!(l.signed.unwrap().to_string(), "1999-05-01");
        assert_eq!(l.ended.unwrap().to_string(), "2021-03");
        assert_eq!(l.members.len(), 3);
        assert!(back.index_of(&NodeId::new("d").unwrap()).is_none());
        let derived = LinkId::new("twinning:a+c").unwrap();
        let ix = back.link_ix(&derived).unwrap();
        assert!(back.link_id_is_derived(ix));
        assert_eq!(back.link_id(ix), "twinning:a+c");
        assert!(back
            .link_ix(&LinkId::new("twinning:a+b").unwrap())
            .is_none());

        let mut raw = std::fs::read(&path).unwrap();
        let at = raw.len() - 10;
        raw[at] ^= 0x55;
        std::fs::write(&path, &raw).unwrap();
        assert!(matches!(load(&path), Err(PersistError::Unusable(_))));
        std::fs::write(&path, &raw[..raw.len() / 2]).unwrap();
        assert!(matches!(load(&path), Err(PersistError::Unusable(_))));
    }
}
