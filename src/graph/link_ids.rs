//! Link ids of a snapshot base. Most link ids are derived — `kind:a+b`, the kind and the
//! canonical members ([`crate::model::LinkId::derive`]) — and those are not stored at
//! all: they are written out from the node ids when asked for. Only ids chosen by a
//! writer are kept, in a text arena, with a hash table that finds them. A derived id
//! is found from what it names — its members' nodes, the pair they share, the link of
//! its kind there (the base's `find_derived`) — so it costs no index either: on the 1M
//! network every id is derived, which saves their 250 MB of text and a 40 MB table.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::ids::IdTable;
use super::{LinkEntry, LinkIx};

/// Link ids by dense index, and the index of a chosen id.
#[derive(Clone, Default)]
pub(crate) struct LinkIds {
    chosen: Chosen,
    /// The links with chosen ids, by the hash of the id.
    index: HashTable<LinkIx>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// The ids chosen by writers.
#[derive(Clone, Default)]
struct Chosen {
    /// Per link: 0 when its id is derived, else 1 + its position among chosen ids.
    /// Empty when every id is derived.
    position: Vec<u32>,
    text: String,
    ends: Vec<u32>,
}

impl Chosen {
    fn id(&self, ix: LinkIx) -> Option<&str> {
        let position = self.position_of(ix)?;
        let start = match position {
            0 => 0,
            _ => self.ends[position - 1] as usize,
        };
        Some(&self.text[start..self.ends[position] as usize])
    }

    fn position_of(&self, ix: LinkIx) -> Option<usize> {
        let position = *self.position.get(ix as usize)?;
        position.checked_sub(1).map(|p| p as usize)
    }
}

/// What rendering a derived id needs: the node ids and the link table of the base.
#[derive(Clone, Copy)]
pub(crate) struct Names<'a> {
    pub(crate) nodes: &'a IdTable,
    pub(crate) links: &'a [LinkEntry],
}

/// Writes the derived id of a link of `kind` with `members` (any order) to `out`.
pub(crate) fn write_derived(kind: crate::model::LinkKind, members: &[&str], out: &mut String) {
    let mut sorted: [&str; super::MAX_MEMBERS] = [""; super::MAX_MEMBERS];
    let n = members.len().min(super::MAX_MEMBERS);
    sorted[..n].copy_from_slice(&members[..n]);
    if !kind.is_directed() {
        sorted[..n].sort_unstable();
    }
    out.push_str(kind.as_str());
    out.push(':');
    for (i, m) in sorted[..n].iter().enumerate() {
        if i > 0 {
            out.push('+');
        }
        out.push_str(m);
    }
}

impl Names<'_> {
    fn member_ids(&self, link: &LinkEntry) -> ([&str; super::MAX_MEMBERS], usize) {
        let mut ids = [""; super::MAX_MEMBERS];
        for (slot, m) in ids.iter_mut().zip(link.members.iter()) {
            *slot = self.nodes.get(*m);
        }
        (ids, link.members.len())
    }

    fn write(&self, ix: LinkIx, out: &mut String) {
        let link = &self.links[ix as usize];
        let (ids, n) = self.member_ids(link);
        write_derived(link.kind, &ids[..n], out);
    }
}

impl LinkIds {
    /// Appends the next link (`links_before` links precede it): `None` when its id is
    /// derived, else the id. Fails past 4 GiB of chosen ids.
    pub(crate) fn push(&mut self, chosen: Option<&str>, links_before: usize) -> Result<(), ()> {
        let c = &mut self.chosen;
        match chosen {
            None if c.position.is_empty() => {}
            None => c.position.push(0),
            Some(id) => {
                if c.position.is_empty() {
                    c.position.resize(links_before, 0);
                }
                let end = u32::try_from(c.text.len() + id.len()).map_err(|_| ())?;
                c.text.push_str(id);
                c.ends.push(end);
                c.position
                    .push(u32::try_from(c.ends.len()).map_err(|_| ())?);
            }
        }
        Ok(())
    }

    /// Whether the id of `ix` is derived (and so not stored).
    pub(crate) fn is_derived(&self, ix: LinkIx) -> bool {
        self.chosen.id(ix).is_none()
    }

    /// Builds the index over links `0..links` (after every push).
    pub(crate) fn index_all(&mut self, links: usize) {
        self.index_from(0, links);
    }

    /// Adds the chosen ids of links `first..links` to the index (after every push), the
    /// ones before being indexed already.
    pub(crate) fn index_from(&mut self, first: usize, links: usize) {
        let Self {
            chosen,
            index,
            hasher,
        } = self;
        let rehash = |&other: &LinkIx| chosen.id(other).map_or(0, |id| hasher.hash_one(id));
        for ix in first..links.min(chosen.position.len()) {
            let ix = ix as LinkIx;
            if let Some(id) = chosen.id(ix) {
                index.insert_unique(hasher.hash_one(id), ix, rehash);
            }
        }
    }

    /// Appends the id of link `ix` to `out` (as [`LinkIds::get`], without a `String` of
    /// its own: a 2-hop answer writes hundreds of ids into one buffer).
    pub(crate) fn write(&self, names: Names<'_>, ix: LinkIx, out: &mut String) {
        match self.chosen.id(ix) {
            Some(id) => out.push_str(id),
            None => names.write(ix, out),
        }
    }

    /// The id of `ix`.
    pub(crate) fn get<'a>(&'a self, names: Names<'a>, ix: LinkIx) -> Cow<'a, str> {
        match self.chosen.id(ix) {
            Some(id) => Cow::Borrowed(id),
            None => {
                let mut out = String::new();
                names.write(ix, &mut out);
                Cow::Owned(out)
            }
        }
    }

    /// The index of the link whose chosen id is `id`, if any (derived ids are found
    /// from their members: the base's `find_derived`).
    pub(crate) fn find_chosen(&self, id: &str) -> Option<LinkIx> {
        let hash = self.hasher.hash_one(id);
        self.index
            .find(hash, |&ix| self.chosen.id(ix) == Some(id))
            .copied()
    }

    /// Heap bytes held (for memory reports).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.chosen.position.capacity() * 4
            + self.chosen.text.capacity()
            + self.chosen.ends.capacity() * 4
            + self.index.capacity() * 5
    }
}

impl std::fmt::Debug for LinkIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkIds")
            .field("chosen", &self.chosen.ends.len())
            .field("indexed", &self.index.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Members;
    use crate::model::{LinkKind, LinkStatus};

    fn entry(kind: LinkKind, members: &[u32]) -> LinkEntry {
        LinkEntry {
            kind,
            status: LinkStatus::Active,
            evidence: crate::model::Evidence::Stated,
            signed: None,
            ended: None,
            members: Members::new(members).unwrap(),
        }
    }

    #[test]
    fn chosen_ids_are_found_and_derived_ones_written_out() {
        let mut nodes = IdTable::default();
        for id in ["city:ru:b", "city:cn:a", "association:x", "city:jp:c"] {
            nodes.push(id).unwrap();
        }
        let links = vec![
            entry(LinkKind::Twinning, &[0, 1]),
            entry(LinkKind::Membership, &[0, 2]),
            entry(LinkKind::Friendship, &[3, 0]),
            entry(LinkKind::Trilateral, &[3, 0, 1]),
        ];
        let mut ids = LinkIds::default();
        ids.push(None, 0).unwrap();
        ids.push(None, 1).unwrap();
        ids.push(Some("friends-1999"), 2).unwrap();
        ids.push(None, 3).unwrap();
        ids.index_all(links.len());
        let names = Names {
            nodes: &nodes,
            links: &links,
        };
        let expected = [
            "twinning:city:cn:a+city:ru:b",
            "membership:city:ru:b+association:x",
            "friends-1999",
            "trilateral:city:cn:a+city:jp:c+city:ru:b",
        ];
        for (ix, id) in expected.iter().enumerate() {
            assert_eq!(ids.get(names, ix as u32), *id);
            assert_eq!(ids.is_derived(ix as u32), ix != 2);
        }
        assert_eq!(ids.find_chosen("friends-1999"), Some(2));
        assert_eq!(
            ids.find_chosen("twinning:city:cn:a+city:ru:b"),
            None,
            "derived"
        );
        assert_eq!(ids.find_chosen(""), None);
    }
}
