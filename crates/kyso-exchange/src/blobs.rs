//! Blob files, next to the database: `DB.blobs/<sha256>` holds complete blobs and
//! `DB.blobs/partial/<sha256>` the bytes received so far of an unfinished upload. The size of
//! the partial file *is* the upload offset, so a resumed upload survives a server restart.
//! A finished upload is hashed, fsynced and renamed into place; a blob is never read whole
//! into memory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Whether `s` is a blob name: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The blob folder of a database file.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    /// `DB.blobs/` next to the database at `db`, created with its `partial/` folder.
    pub fn for_database(db: &Path) -> io::Result<BlobDir> {
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".blobs");
        let root = db.with_file_name(name);
        fs::create_dir_all(root.join("partial"))?;
        Ok(BlobDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a complete blob lives. `sha256` must have passed [`is_sha256_hex`].
    pub fn complete_path(&self, sha256: &str) -> PathBuf {
        self.root.join(sha256)
    }

    /// Where the bytes of an unfinished upload live.
    pub fn partial_path(&self, sha256: &str) -> PathBuf {
        self.root.join("partial").join(sha256)
    }

    /// Bytes held of an unfinished upload (0 when none).
    pub fn held(&self, sha256: &str) -> io::Result<u64> {
        match fs::metadata(self.partial_path(sha256)) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Whether the complete blob's file exists.
    pub fn has_complete(&self, sha256: &str) -> bool {
        self.complete_path(sha256).is_file()
    }

    /// Checks a finished upload: when its SHA-256 is its name the file is fsynced and
    /// renamed into place (true); otherwise it is deleted (false). Blocking.
    pub fn finish(&self, sha256: &str) -> io::Result<bool> {
        let partial = self.partial_path(sha256);
        let mut file = File::open(&partial)?;
        let actual = hash_reader(&mut file)?;
        if actual != sha256 {
            fs::remove_file(&partial)?;
            return Ok(false);
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&partial, self.complete_path(sha256))?;
        sync_dir(&self.root)?;
        Ok(true)
    }

    /// Copies a local file into the store (streaming, hashing as it goes): (sha256, size).
    /// Blocking.
    pub fn import(&self, path: &Path) -> io::Result<(String, u64)> {
        let mut input = File::open(path)?;
        let tmp = self
            .root
            .join("partial")
            .join(format!(".import-{}", uuid::Uuid::new_v4().simple()));
        let result = (|| {
            let mut out = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            let mut size = 0u64;
            loop {
                let n = input.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
                size += n as u64;
            }
            out.sync_all()?;
            let sha = hex::encode(hasher.finalize());
            fs::rename(&tmp, self.complete_path(&sha))?;
            sync_dir(&self.root)?;
            Ok((sha, size))
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Lowercase hex SHA-256 of everything `r` yields.
pub fn hash_reader(r: &mut impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_sha256_hex(&"0a".repeat(32)));
        assert!(!is_sha256_hex(&"0A".repeat(32)));
        assert!(!is_sha256_hex("../etc/passwd"));
        assert!(!is_sha256_hex(&"0a".repeat(31)));
    }

    #[test]
    fn finish_checks_the_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = BlobDir::for_database(&dir.path().join("x.db")).expect("dir");
        assert!(blobs.root().ends_with("x.db.blobs"));
        let data = b"hello";
        let sha = hex::encode(Sha256::digest(data));
        fs::write(blobs.partial_path(&sha), data).expect("write");
        assert_eq!(blobs.held(&sha).expect("held"), 5);
        assert!(blobs.finish(&sha).expect("finish"));
        assert!(blobs.has_complete(&sha));
        assert_eq!(blobs.held(&sha).expect("held"), 0);

        let wrong = "00".repeat(32);
        fs::write(blobs.partial_path(&wrong), data).expect("write");
        assert!(!blobs.finish(&wrong).expect("finish"));
        assert!(!blobs.partial_path(&wrong).exists());

        let src = dir.path().join("in.pdf");
        fs::write(&src, data).expect("write");
        assert_eq!(blobs.import(&src).expect("import"), (sha, 5));
    }
}
