//! Interned ids: the node ids of a snapshot's base in one text arena, found by a hash
//! table of dense indices. A million nodes cost their id bytes plus about 9 bytes each
//! (an end offset and a table slot), where a `String` per id in a `Vec` and again as a
//! `HashMap` key cost ~120 bytes over the bytes, twice. (Link ids: `link_ids.rs`.)

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Ids in insertion order, each found by its text in O(1).
#[derive(Clone, Default)]
pub(crate) struct IdTable {
    text: String,
    ends: Vec<u32>,
    index: HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// Why an id could not be added.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InternError {
    /// The id is already in the table (at that index).
    Duplicate(u32),
    /// More ids or bytes than 32-bit offsets hold.
    TooLarge,
}

impl IdTable {
    /// An empty table with room for `ids` ids of `bytes` bytes in all.
    pub(crate) fn with_capacity(ids: usize, bytes: usize) -> Self {
        Self {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(ids),
            index: HashTable::with_capacity(ids),
            hasher: hashbrown::DefaultHashBuilder::default(),
        }
    }

    /// Number of ids.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Bytes of all ids together.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The id at `ix` (which must be below [`IdTable::len`]).
    pub(crate) fn get(&self, ix: u32) -> &str {
        let ix = ix as usize;
        let start = match ix {
            0 => 0,
            _ => self.ends[ix - 1] as usize,
        };
        &self.text[start..self.ends[ix] as usize]
    }

    /// The index of `id`, if present.
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.index.find(hash, |&ix| self.get(ix) == id).copied()
    }

    /// Appends `id`; its index is the number of ids before it.
    pub(crate) fn push(&mut self, id: &str) -> Result<u32, InternError> {
        let hash = self.hasher.hash_one(id);
        if let Some(&existing) = self.index.find(hash, |&ix| self.get(ix) == id) {
            return Err(InternError::Duplicate(existing));
        }
        let ix = u32::try_from(self.ends.len()).map_err(|_| InternError::TooLarge)?;
        let end = u32::try_from(self.text.len() + id.len()).map_err(|_| InternError::TooLarge)?;
        self.text.push_str(id);
        self.ends.push(end);
        let Self {
            text,
            ends,
            index,
            hasher,
        } = self;
        let text: &str = text;
        let ends: &[u32] = ends;
        index.insert_unique(hash, ix, |&other| {
            let other = other as usize;
            let start = match other {
                0 => 0,
                _ => ends[other - 1] as usize,
            };
            hasher.hash_one(&text[start..ends[other] as usize])
        });
        Ok(ix)
    }

    /// Heap bytes held (for memory reports).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.index.capacity() * 5
    }
}

impl std::fmt::Debug for IdTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTable")
            .field("ids", &self.len())
            .field("bytes", &self.text.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_it_holds_and_nothing_else() {
        let mut table = IdTable::default();
        let ids: Vec<String> = (0..5_000).map(|i| format!("city:xx:{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.push(id), Ok(i as u32));
        }
        assert_eq!(table.len(), ids.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(table.get(i as u32), id);
            assert_eq!(table.find(id), Some(i as u32));
        }
        assert_eq!(table.find("city:xx:5000"), None);
        assert_eq!(table.find(""), None);
        assert_eq!(table.push("city:xx:17"), Err(InternError::Duplicate(17)));
        assert_eq!(table.len(), ids.len());
    }

    #[test]
    fn an_empty_id_and_unicode_are_kept_apart() {
        let mut table = IdTable::with_capacity(3, 16);
        assert_eq!(table.push("黑河"), Ok(0));
        assert_eq!(table.push("a"), Ok(1));
        assert_eq!(table.find("黑河"), Some(0));
        assert_eq!(table.get(1), "a");
    }
}
