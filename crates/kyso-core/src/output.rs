//! Writing a file so that a crash or an error never leaves a partial one
//! (docs/architecture.md principle 8): a temp file next to the target, fsynced, then renamed.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A temp file in the target's folder. Dropped without [`OutputFile::commit`], it is deleted.
pub struct OutputFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl OutputFile {
    pub fn create_next_to(target: &Path) -> io::Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".kyso-tmp")
            .tempfile_in(&dir)?;
        Ok(OutputFile {
            temp,
            target: target.to_path_buf(),
        })
    }

    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// fsyncs the data, renames over the target, and fsyncs the folder.
    pub fn commit(self) -> io::Result<()> {
        self.temp.as_file().sync_all()?;
        let target = self.target.clone();
        self.temp.persist(&target).map_err(|e| e.error)?;
        #[cfg(unix)]
        if let Some(dir) = target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Whether `a` and `b` name the same file (same path, or the same inode through a link).
pub fn same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(ca), Ok(cb)) = (a.canonicalize(), b.canonicalize()) {
        if ca == cb {
            return true;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let (Ok(ma), Ok(mb)) = (ca.metadata(), cb.metadata()) {
                return ma.dev() == mb.dev() && ma.ino() == mb.ino();
            }
        }
    }
    false
}
