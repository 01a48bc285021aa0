//! Content-addressed files: every document Kyso queues or fetches is copied into
//! `KYSO_HOME/store/files/<2 hex>/<sha256>`, so moving or deleting the user's copy loses
//! nothing, and the same bytes are kept once.
//!
//! A file is written to `store/tmp/`, hashed while it is copied, fsynced, then renamed into
//! place and its folder fsynced (docs/architecture.md principle 8): a crash leaves either no file
//! or the whole file, never a partial one under its final name.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::SyncError;

/// Size of the copy buffer; memory stays flat whatever the file size.
const COPY_BUFFER: usize = 256 * 1024;

/// The content-addressed file area of a store.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file now held by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub path: PathBuf,
}

impl FileStore {
    /// The file area under `store_dir` (created on first write).
    pub fn new(store_dir: &Path) -> FileStore {
        FileStore {
            root: store_dir.to_path_buf(),
        }
    }

    /// Where the file with this SH-256 lives (whether or not it exists).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join("files").join(prefix).join(sha256)
    }

    /// Copies `source` (named `name` in errors) into the store and returns its hash.
    pub fn put_reader(&self, source: &mut dyn Read, name: &Path) -> Result<StoredFile, SyncError> {
        let tmp_dir = self.root.join("tmp");
        kyso_keys::home::create_private_dir(&tmp_dir)
            .map_err(|e| SyncError::store_io(tmp_dir.clone(), e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(|e| SyncError::store_io(tmp_dir.clone(), e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buffer = vec![0u8; COPY_BUFFER];
        loop {
            let n = match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(SyncError::ReadInput {
                        path: name.to_path_buf(),
                        source: e,
                    });
                }
            };
            hasher.update(&buffer[..n]);
            tmp.write_all(&buffer[..n])
                .map_err(|e| SyncError::store_io(self.root.clone(), e))?;
            size += n as u64;
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| SyncError::store_io(self.root.clone(), e))?;
        let sha256 = hex::encode(hasher.finalize());
        let path = self.path_of(&sha256);
        if path.exists() {
            // Same bytes already held; the temp file is dropped (deleted).
            return Ok(StoredFile { sha256, size, path });
        }
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        kyso_keys::home::create_private_dir(&dir)
            .map_err(|e| SyncError::store_io(dir.clone(), e))?;
        tmp.persist(&path)
            .map_err(|e| SyncError::store_io(path.clone(), e.error))?;
        sync_dir(&dir).map_err(|e| SyncError::store_io(dir.clone(), e))?;
        Ok(StoredFile { sha256, size, path })
    }

    /// A private folder in the store for files being made (`store/tmp/`), on the same
    /// file system as the stored files, so [`FileStore::adopt`] is a rename.
    pub fn tmp_dir(&self) -> Result<PathBuf, SyncError> {
        let tmp_dir = self.root.join("tmp");
        kyso_keys::home::create_private_dir(&tmp_dir)
            .map_err(|e| SyncError::store_io(tmp_dir.clone(), e))?;
        Ok(tmp_dir)
    }

    /// Moves a complete, fsynced file of [`FileStore::tmp_dir`] whose SHA-256 is `sha256`
    /// into place.
    pub fn adopt(&self, file: &Path, sha256: &str) -> Result<StoredFile, SyncError> {
        let size = std::fs::metadata(file)
            .map_err(|e| SyncError::store_io(file.to_path_buf(), e))?
            .len();
        let path = self.path_of(sha256);
        if path.exists() {
            let _ = std::fs::remove_file(file);
        } else {
            let dir = path.parent().unwrap_or(&self.root).to_path_buf();
            kyso_keys::home::create_private_dir(&dir)
                .map_err(|e| SyncError::store_io(dir.clone(), e))?;
            std::fs::rename(file, &path).map_err(|e| SyncError::store_io(path.clone(), e))?;
            sync_dir(&dir).map_err(|e| SyncError::store_io(dir.clone(), e))?;
        }
        Ok(StoredFile {
            sha256: sha256.to_string(),
            size,
            path,
        })
    }

    /// Copies the file at `path` into the store.
    pub fn put_file(&self, path: &Path) -> Result<StoredFile, SyncError> {
        let mut file = File::open(path).map_err(|e| SyncError::ReadInput {
            path: path.to_path_buf(),
            source: e,
        })?;
        self.put_reader(&mut file, path)
    }

    /// Opens a stored file for reading.
    pub fn open(&self, sha256: &str) -> Result<File, SyncError> {
        let path = self.path_of(sha256);
        File::open(&path).map_err(|e| SyncError::StoreIo { path, source: e })
    }
}

/// fsyncs a directory so a rename inside it survives a power cut (no-op off Unix).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
