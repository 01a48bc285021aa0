//! Where Kyso keeps its state: `KYSO_HOME` when set (tests, portable installs), else the
//! OS's per-user data folder (`~/.local/share/kyso`, `%APPDATA%\kyso`,
//! `~/Library/Application Support/kyso`). Config, vault blobs, trust store, the local
//! store and logs all live under it, so one variable relocates everything.

use std::path::PathBuf;

/// The environment variable that relocates all of Kyso's state.
pub const KYSO_HOME_VAR: &str = "KYSO_HOME";

/// The state folder (not created here).
pub fn kyso_home() -> PathBuf {
    match std::env::var_os(KYSO_HOME_VAR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("kyso"),
    }
}

/// Creates `path` (and its parents) readable by the owner only.
pub fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
