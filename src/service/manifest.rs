//! What an export holds, said so that a reader can check the file and cite it: its
//! SHA-256 and size, the graph version and filters it was cut at, its record counts,
//! and the documents its links cite with their licences. [`verify`] checks a file
//! against its manifest.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::shown::Filters;
use super::sources::SourceDocument;
use crate::io::seed::{WORLD_ATTRIBUTION, WORLD_DOCUMENT, WORLD_LICENCE, WORLD_URL};
use crate::model::{Link, Node};

/// The version of the manifest's own layout.
pub const MANIFEST_VERSION: u32 = 1;

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportManifest {
    /// Layout version of this manifest ([`MANIFEST_VERSION`]).
    pub manifest_version: u32,
    /// The file's name.
    pub file: String,
    /// The export format (`graphml`).
    pub format: &'static str,
    /// Its media type.
    pub media_type: &'static str,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, as 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// The graph version the records were read at.
    pub graph_version: u64,
    /// The filters the records were selected by; `None` for pobratim's own format,
    /// which holds every record.
    pub filters: Option<Filters>,
    /// The pobratim release that wrote the file.
    pub pobratim_version: &'static str,
    /// Nodes in the file.
    pub nodes: u64,
    /// Links in the file.
    pub links: u64,
    /// Links without a `source.document`.
    pub links_without_source: u64,
    /// The documents the file's links cite, in key order.
    pub sources: Vec<CitedSource>,
}

/// A document the exported links cite, with what a reuse must credit.
#[derive(Clone, Debug, Serialize)]
pub struct CitedSource {
    /// The `source.document` the links name.
    pub document: String,
    /// Links of the file citing it.
    pub links: u64,
    /// Its title, where pobratim describes the document.
    pub title: Option<String>,
    /// Who issued it, or whom a reuse must credit.
    pub credit: Option<String>,
    /// The licence of its content, where one is known.
    pub licence: Option<String>,
    /// Where it can be read.
    pub url: Option<String>,
}

/// A writer that hashes and counts what passes through it.
pub struct Digesting<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Digesting<W> {
    /// Hashes what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The writer, the bytes written and their SHA-256 in hexadecimal.
    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Lowercase hexadecimal digits of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing into a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The records an export wrote, counted as they pass.
#[derive(Debug, Default)]
pub struct Tally {
    nodes: u64,
    links: u64,
    without_source: u64,
    documents: BTreeMap<String, u64>,
}

impl Tally {
    /// Counts a node.
    pub fn node(&mut self, _node: &Node) {
        self.nodes += 1;
    }

    /// Counts a link and the document it cites.
    pub fn link(&mut self, link: &Link) {
        self.links += 1;
        match link.source.as_ref().and_then(|s| s.document.as_deref()) {
            Some(document) => *self.documents.entry(document.to_string()).or_default() += 1,
            None => self.without_source += 1,
        }
    }

    /// Nodes and links counted.
    pub fn counts(&self) -> (u64, u64) {
        (self.nodes, self.links)
    }

    /// The cited documents, described from what pobratim knows of them: the seed's
    /// documents and the world dataset.
    pub fn cited(&self, described: &[SourceDocument]) -> Vec<CitedSource> {
        self.documents
            .iter()
            .map(|(document, &links)| {
                let mut cited = CitedSource {
                    document: document.clone(),
                    links,
                    title: None,
                    credit: None,
                    licence: None,
                    url: None,
                };
                if document == WORLD_DOCUMENT {
                    cited.title = Some("Lists of twin towns and sister cities".into());
                    cited.credit = Some(WORLD_ATTRIBUTION.into());
                    cited.licence = Some(WORLD_LICENCE.into());
                    cited.url = Some(WORLD_URL.into());
                } else if let Some(d) = described.iter().find(|d| &d.key == document) {
                    cited.title = Some(d.title_en.clone());
                    cited.credit = Some(d.issuer.clone());
                    cited.url = d.url.clone();
                }
                cited
            })
            .collect()
    }

    /// Links counted without a document.
    pub fn without_source(&self) -> u64 {
        self.without_source
    }
}

/// What a manifest claims, as [`verify`] reads it (other fields are ignored).
#[derive(Debug, Deserialize)]
struct Claimed {
    bytes: u64,
    sha256: String,
    graph_version: Option<u64>,
    format: Option<String>,
}

/// A file that matches its manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// The graph version the manifest names.
    pub graph_version: Option<u64>,
    /// The format the manifest names.
    pub format: Option<String>,
}

/// Why a file does not match its manifest.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The manifest is not a pobratim export manifest.
    #[error("the manifest cannot be read: {0}")]
    Manifest(#[from] serde_json::Error),
    /// The file could not be read.
    #[error("the file cannot be read: {0}")]
    Read(#[from] std::io::Error),
    /// Its size differs.
    #[error("the file has {actual} bytes; the manifest says {claimed}")]
    Size {
        /// What the manifest says.
        claimed: u64,
        /// What the file has.
        actual: u64,
    },
    /// Its content differs.
    #[error("the file's SHA-256 is {actual}; the manifest says {claimed}")]
    Hash {
        /// What the manifest says.
        claimed: String,
        /// What the file hashes to.
        actual: String,
    },
}

/// Checks `file` against the manifest's size and SHA-256.
pub fn verify(file: impl Read, manifest: &[u8]) -> Result<Verified, VerifyError> {
    let claimed: Claimed = serde_json::from_slice(manifest)?;
    let mut digesting = Digesting::new(std::io::sink());
    std::io::copy(&mut std::io::BufReader::new(file), &mut digesting)?;
    let (_, bytes, sha256) = digesting.finish();
    if bytes != claimed.bytes {
        return Err(VerifyError::Size {
            claimed: claimed.bytes,
            actual: bytes,
        });
    }
    if !sha256.eq_ignore_ascii_case(&claimed.sha256) {
        return Err(VerifyError::Hash {
            claimed: claimed.sha256,
            actual: sha256,
        });
    }
    Ok(Verified {
        bytes,
        sha256,
        graph_version: claimed.graph_version,
        format: claimed.format,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_equal_the_sha256_of_the_bytes() {
        let mut d = Digesting::new(Vec::new());
        d.write_all(b"abc").unwrap();
        let (out, bytes, sha) = d.finish();
        assert_eq!(out, b"abc");
        assert_eq!(bytes, 3);
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verify_refuses_a_changed_byte_and_a_changed_length() {
        let manifest = br#"{"bytes":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","graph_version":7}"#;
        let ok = verify(&b"abc"[..], manifest).unwrap();
        assert_eq!(ok.graph_version, Some(7));
        assert!(matches!(
            verify(&b"abd"[..], manifest),
            Err(VerifyError::Hash { .. })
        ));
        assert!(matches!(
            verify(&b"abcd"[..], manifest),
            Err(VerifyError::Size { .. })
        ));
        assert!(matches!(
            verify(&b"abc"[..], b"{}"),
            Err(VerifyError::Manifest(_))
        ));
    }
}
