//! Backups: every tree of a store (records, indexes, metadata, tokens, change log)
//! written to one file, checked by a CRC-32 at its end, and restored into an empty
//! directory. The caller keeps writers out while a backup runs, so the copy is one
//! consistent graph version (the service holds its writer lock).
//!
//! File layout: `POBRATIM-BACKUP\n`, format (u32), graph version (u64); per tree `T`,
//! name length (u16), name, then per entry `E`, key length (u32), key, value length
//! (u32), value; `Z` and the CRC-32 of everything before it (u32). Integers big-endian.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::sled_store::SledStore;
use super::trees;
use super::StoreError;

const MAGIC: &[u8; 16] = b"POBRATIM-BACKUP\n";
const BACKUP_FORMAT: u32 = 1;
/// Longest key or value a backup may hold (sled values are far smaller in practice).
const MAX_FIELD: u32 = 1 << 30;

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the file failed.
    #[error("backup file: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file is not a pobratim backup, is truncated or damaged.
    #[error("not a usable pobratim backup: {0}")]
    Corrupt(String),
    /// The file was written by a newer pobratim.
    #[error("this backup was written by a newer pobratim (backup format {0}); upgrade pobratim to restore it")]
    NewerFormat(u32),
    /// Restores go into an empty or new directory only.
    #[error("{0} is not empty: restore into a new or empty directory")]
    NotEmpty(PathBuf),
}

impl From<sled::Error> for BackupError {
    fn from(e: sled::Error) -> Self {
        BackupError::Store(e.into())
    }
}

/// What a backup or restore copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BackupStats {
    /// The graph version of the copy.
    pub graph_version: u64,
    /// Keys copied, over every tree.
    pub entries: u64,
    /// Bytes of the backup file.
    pub bytes: u64,
}

/// Trees a backup carries: all but the bulk-load journal (empty outside a load).
fn backed_up() -> impl Iterator<Item = &'static str> {
    trees::ALL
        .iter()
        .copied()
        .filter(|name| *name != trees::BULK_UNDO)
}

struct Checksummed<W> {
    inner: W,
    crc: crc32fast::Hasher,
    bytes: u64,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl SledStore {
    /// Writes every tree to `out`. Writers must be kept out meanwhile (the service's
    /// backup holds its writer lock while it calls this).
    pub fn backup_to(&self, out: impl Write) -> Result<BackupStats, BackupError> {
        let mut out = Checksummed {
            inner: std::io::BufWriter::new(out),
            crc: crc32fast::Hasher::new(),
            bytes: 0,
        };
        let graph_version = self.graph_version()?;
        out.write_all(MAGIC)?;
        out.write_all(&BACKUP_FORMAT.to_be_bytes())?;
        out.write_all(&graph_version.to_be_bytes())?;
        let mut entries = 0;
        for name in backed_up() {
            out.write_all(b"T")?;
            out.write_all(&(name.len() as u16).to_be_bytes())?;
            out.write_all(name.as_bytes())?;
            for entry in self.db().open_tree(name)?.iter() {
                let (key, value) = entry?;
                out.write_all(b"E")?;
                for field in [&key[..], &value[..]] {
                    out.write_all(&(field.len() as u32).to_be_bytes())?;
                    out.write_all(field)?;
                }
                entries += 1;
            }
        }
        out.write_all(b"Z")?;
        let crc = out.crc.clone().finalize();
        out.inner.write_all(&crc.to_be_bytes())?;
        out.inner.flush()?;
        Ok(BackupStats {
            graph_version,
            entries,
            bytes: out.bytes + 4,
        })
    }

    /// Restores a backup into `dir`, which must be new or empty; on any failure the
    /// directory is removed again, so nothing half-restored is left behind.
    pub fn restore_from(input: impl Read, dir: &Path) -> Result<BackupStats, BackupError> {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            return Err(BackupError::NotEmpty(dir.to_path_buf()));
        }
        let result = restore_into(input, dir);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(dir);
        }
        result
    }
}

fn restore_into(input: impl Read, dir: &Path) -> Result<BackupStats, BackupError> {
    let mut input = Checksummed {
        inner: std::io::BufReader::new(input),
        crc: crc32fast::Hasher::new(),
        bytes: 0,
    };
    let mut magic = [0u8; 16];
    read_exact(&mut input, &mut magic)?;
    if &magic != MAGIC {
        return Err(BackupError::Corrupt(
            "it does not start with the backup header".into(),
        ));
    }
    let format = u32::from_be_bytes(read_array(&mut input)?);
    if format > BACKUP_FORMAT {
        return Err(BackupError::NewerFormat(format));
    }
    let graph_version = u64::from_be_bytes(read_array(&mut input)?);
    let db = sled::Config::new().path(dir).open()?;
    let mut tree: Option<sled::Tree> = None;
    let mut entries = 0;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    loop {
        let [tag] = read_array::<1>(&mut input)?;
        match tag {
            b'T' => {
                if let (Some(t), true) = (&tree, in_batch > 0) {
                    t.apply_batch(std::mem::take(&mut batch))?;
                    in_batch = 0;
                }
                let len = u16::from_be_bytes(read_array(&mut input)?);
                let name = read_field(&mut input, u32::from(len))?;
                let name = String::from_utf8(name)
                    .ok()
                    // A retired tree comes from a backup of an earlier format, whose
                    // meta says so: the first open drops it again.
                    .filter(|n| {
                        trees::ALL.contains(&n.as_str()) || trees::RETIRED.contains(&n.as_str())
                    })
                    .ok_or_else(|| BackupError::Corrupt("unknown tree name".into()))?;
                tree = Some(db.open_tree(name)?);
            }
            b'E' => {
                let Some(t) = &tree else {
                    return Err(BackupError::Corrupt("an entry before any tree".into()));
                };
                let klen = u32::from_be_bytes(read_array(&mut input)?);
                let key = read_field(&mut input, klen)?;
                let vlen = u32::from_be_bytes(read_array(&mut input)?);
                let value = read_field(&mut input, vlen)?;
                batch.insert(key, value);
                in_batch += 1;
                entries += 1;
                if in_batch == 10_000 {
                    t.apply_batch(std::mem::take(&mut batch))?;
                    in_batch = 0;
                }
            }
            b'Z' => break,
            _ => {
                return Err(BackupError::Corrupt(
                    "unexpected byte in the entry stream".into(),
                ))
            }
        }
    }
    if let (Some(t), true) = (&tree, in_batch > 0) {
        t.apply_batch(batch)?;
    }
    let expected = input.crc.clone().finalize();
    let found = u32::from_be_bytes(read_array(&mut input.inner)?);
    if found != expected {
        return Err(BackupError::Corrupt(
            "checksum mismatch: the file is damaged".into(),
        ));
    }
    db.flush()?;
    Ok(BackupStats {
        graph_version,
        entries,
        bytes: input.bytes + 4,
    })
}

fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> Result<(), BackupError> {
    input.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => BackupError::Corrupt("the file is truncated".into()),
        _ => BackupError::Io(e),
    })
}

fn read_array<const N: usize>(input: &mut impl Read) -> Result<[u8; N], BackupError> {
    let mut buf = [0u8; N];
    read_exact(input, &mut buf)?;
    Ok(buf)
}

fn read_field(input: &mut impl Read, len: u32) -> Result<Vec<u8>, BackupError> {
    if len > MAX_FIELD {
        return Err(BackupError::Corrupt(format!("a field of {len} bytes")));
    }
    let mut buf = vec![0u8; len as usize];
    read_exact(input, &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::token::Scope;
    use crate::store::RecordChange;

    fn store_with_data(dir: &Path) -> SledStore {
        let store = SledStore::open(dir).unwrap();
        let node = |id: &str| -> crate::model::Node {
            serde_json::from_value(
                serde_json::json!({"id": id, "kind": "city", "name": id, "country": "RU"}),
            )
            .unwrap()
        };
        for id in ["a", "b", "c"] {
            store
                .commit_by(
                    &[RecordChange::Node {
                        before: None,
                        after: Some(node(id)),
                    }],
                    false,
                    "editor",
                )
                .unwrap();
        }
        store.create_token("editor", Scope::Write).unwrap();
        store
    }

    #[test]
    fn a_backup_restores_every_tree_and_damage_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_with_data(&tmp.path().join("live"));
        let mut file = Vec::new();
        let stats = store.backup_to(&mut file).unwrap();
        assert_eq!(stats.graph_version, 3);
        assert_eq!(stats.bytes, file.len() as u64);

        let restored_dir = tmp.path().join("restored");
        let restored = SledStore::restore_from(&file[..], &restored_dir).unwrap();
        assert_eq!(restored, stats);
        let copy = SledStore::open(&restored_dir).unwrap();
        assert_eq!(copy.graph_version().unwrap(), 3);
        assert_eq!(copy.counts(), store.counts());
        assert_eq!(copy.check().unwrap(), Vec::<String>::new());
        assert_eq!(copy.tokens().unwrap(), store.tokens().unwrap());
        assert_eq!(
            copy.changes_since(0, 10).unwrap(),
            store.changes_since(0, 10).unwrap()
        );

        assert!(matches!(
            SledStore::restore_from(&file[..], &restored_dir),
            Err(BackupError::NotEmpty(_))
        ));
        for (what, bad) in [
            ("truncated", file[..file.len() / 2].to_vec()),
            ("flipped", {
                let mut f = file.clone();
                let at = f.len() - 20;
                f[at] ^= 0xff;
                f
            }),
            ("not a backup", b"hello".to_vec()),
        ] {
            let dir = tmp.path().join(what);
            let err = SledStore::restore_from(&bad[..], &dir).unwrap_err();
            assert!(matches!(err, BackupError::Corrupt(_)), "{what}: {err}");
            assert!(!dir.exists(), "{what}: nothing half-restored is left");
        }
    }
}
