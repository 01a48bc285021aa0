//! Token sessions kept for the app's session, so an official types the token PIN once
//! (docs/domain.md §5), not once per document. Each `TokenSigner` still forgets its PIN after its
//! idle timeout and on `lock`; vault identities are opened for each signature and never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use kyso_keys::Signer;

/// Seconds without a signature after which a token's PIN is forgotten (`KYSO_PIN_IDLE_SECS`,
/// as for the CLI).
fn idle_timeout() -> std::time::Duration {
    std::env::var("KYSO_PIN_IDLE_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(
            kyso_keys::token::DEFAULT_IDLE_TIMEOUT,
            std::time::Duration::from_secs,
        )
}

/// Managed state: open token signers by identity id.
#[derive(Default)]
pub struct OpenSigners {
    tokens: Mutex<HashMap<String, Arc<dyn Signer>>>,
}

impl OpenSigners {
    fn tokens(&self) -> MutexGuard<'_, HashMap<String, Arc<dyn Signer>>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the token of `identity_id` is logged in for this session.
    pub fn is_unlocked(&self, identity_id: &str) -> bool {
        self.tokens().contains_key(identity_id)
    }

    /// A signer for `identity`: the token session already open, or a new one (kept when it
    /// is a token).
    pub fn open(
        &self,
        identity: &kyso_keys::Identity,
        pin: Option<zeroize::Zeroizing<String>>,
    ) -> Result<Arc<dyn Signer>, kyso_keys::KeyError> {
        let is_token = matches!(identity.source, kyso_keys::Source::Token { .. });
        if is_token
            && pin.is_none()
            && let Some(open) = self.tokens().get(&identity.id)
        {
            return Ok(open.clone());
        }
        let signer: Arc<dyn Signer> = Arc::from(kyso_keys::identity::open_signer(
            identity,
            pin,
            idle_timeout(),
        )?);
        if is_token {
            self.tokens().insert(identity.id.clone(), signer.clone());
        }
        Ok(signer)
    }

    /// Forgets the session of one token (after an error: a PIN forgotten at its idle timeout,
    /// a token pulled out) so the next signature asks for the PIN again.
    pub fn forget(&self, identity_id: &str) {
        self.tokens().remove(identity_id);
    }

    /// Logs out of every token ("Khóa" — lock).
    pub fn lock_all(&self) {
        self.tokens().clear();
    }
}
