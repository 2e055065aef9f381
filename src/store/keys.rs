//! Key encoding for the index trees.
//!
//! Keys are byte strings whose order is the logical order: text parts are UTF-8 and
//! separated by `0x00`, which ids, kinds and normalised search terms never contain
//! (ids refuse control characters; normalisation keeps only letters, digits and spaces).

use crate::model::{LinkId, LinkKind, NodeId, NodeKind};

/// Separator between variable-length key parts.
pub(crate) const SEP: u8 = 0;

/// Joins parts with [`SEP`].
pub(crate) fn join(parts: &[&[u8]]) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len() + 1).sum();
    let mut key = Vec::with_capacity(len);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(SEP);
        }
        key.extend_from_slice(part);
    }
    key
}

/// A prefix that selects every key starting with these whole parts.
pub(crate) fn prefix(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = join(parts);
    key.push(SEP);
    key
}

/// Splits a key into its parts.
#[cfg(test)]
pub(crate) fn split(key: &[u8]) -> Vec<&[u8]> {
    key.split(|b| *b == SEP).collect()
}

/// `kind ∥ id`: nodes by kind.
pub(crate) fn node_kind(kind: NodeKind, id: &NodeId) -> Vec<u8> {
    join(&[kind.as_str().as_bytes(), id.as_str().as_bytes()])
}

/// `country ∥ id`: nodes by country.
pub(crate) fn node_country(country: &str, id: &NodeId) -> Vec<u8> {
    join(&[country.as_bytes(), id.as_str().as_bytes()])
}

/// `term ∥ id`: nodes by normalised name or name word.
pub(crate) fn node_name(term: &str, id: &NodeId) -> Vec<u8> {
    join(&[term.as_bytes(), id.as_str().as_bytes()])
}

/// `kind ∥ link`: links by kind.
pub(crate) fn link_kind(kind: LinkKind, link: &LinkId) -> Vec<u8> {
    join(&[kind.as_str().as_bytes(), link.as_str().as_bytes()])
}

/// `kind ∥ m1 ∥ m2 [∥ m3]` (canonical member order): the key at most one link may have
/// (`pobratim check` looks for two; writes ask the graph, which indexes pairs).
pub(crate) fn link_pair(kind: LinkKind, canonical_members: &[NodeId]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = vec![kind.as_str().as_bytes()];
    parts.extend(canonical_members.iter().map(|m| m.as_str().as_bytes()));
    join(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(s: &str) -> NodeId {
        NodeId::new(s).unwrap()
    }

    #[test]
    fn parts_round_trip() {
        let key = link_pair(LinkKind::LocatedIn, &[node("city:ru:a"), node("state:ru")]);
        assert_eq!(
            split(&key),
            vec![&b"located_in"[..], b"city:ru:a", b"state:ru"]
        );
        assert_eq!(split(&key).last(), Some(&&b"state:ru"[..]));
    }

    #[test]
    fn byte_order_is_logical_order() {
        // A shorter id sorts before a longer id it prefixes, whatever follows.
        let a = node_kind(NodeKind::City, &node("city:a"));
        let ab = node_kind(NodeKind::City, &node("city:a-b"));
        assert!(a < ab);
        let mut ids = vec!["b", "a", "a:z", "a-b", "ab"];
        let mut keys: Vec<_> = ids.iter().map(|i| node_name("x", &node(i))).collect();
        keys.sort();
        ids.sort();
        let back: Vec<_> = keys
            .iter()
            .map(|k| std::str::from_utf8(split(k)[1]).unwrap())
            .collect();
        assert_eq!(back, ids);
    }

    #[test]
    fn a_term_prefix_selects_only_whole_part_matches() {
        let key = node_name("heihe", &node("city:cn:heihe"));
        assert!(key.starts_with(&prefix(&[b"heihe"])));
        assert!(!key.starts_with(&prefix(&[b"hei"])));
        assert!(key.starts_with(b"hei"));
    }
}
