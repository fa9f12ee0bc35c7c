//! Password reset codes: `forgot_password` issues one for the script to deliver, and the reset
//! form redeems it with a new password. A code is random (24 alphanumerics, ~140 bits), kept in
//! the store only as its SHA-256, bound to one user and to that user's password at the time
//! (any password change voids it), valid for a short lifetime read from the host's [`Clock`],
//! and good for one use: the first redemption claims it with an atomic counter, so two
//! concurrent uses cannot both succeed.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::session_store::{Store, StoreError, StoreResult};

/// The length of a code, in alphanumerics.
const CODE_LEN: usize = 24;

/// One issued code as the store keeps it (under the hash of the code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub username: String,
    /// The fingerprint of the user's password hash when the code was issued.
    pub fingerprint: String,
    /// Unix milliseconds after which the code is void.
    pub until_ms: u64,
}

/// The reset codes over the session store.
#[derive(Clone)]
pub struct ResetCodes {
    store: Store,
    clock: Clock,
    lifetime: Duration,
}

fn code_key(code: &str) -> String {
    let digest = Sha256::digest(code.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("reset_code:{hex}")
}

fn claim_key(code: &str) -> String {
    format!("{}|used", code_key(code))
}

impl ResetCodes {
    pub fn new(store: Store, clock: Clock, lifetime: Duration) -> Self {
        Self { store, clock, lifetime }
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Issues a code for `username`, whose password has `fingerprint` now.
    pub async fn issue(&self, username: &str, fingerprint: &str) -> StoreResult<String> {
        let code = random_code();
        let record = CodeRecord {
            username: username.to_owned(),
            fingerprint: fingerprint.to_owned(),
            until_ms: self.clock.now_ms() + self.lifetime.as_millis() as u64,
        };
        let text = serde_json::to_string(&record).map_err(|e| StoreError::Unavailable(format!("reset code: {e}")))?;
        self.store.put_value(&code_key(&code), text, Some(self.lifetime)).await?;
        Ok(code)
    }

    /// Uses up `code` for `username`: the code's record when the code was issued to this user,
    /// has not expired and was not used before; `None` otherwise (a code presented for another
    /// user is left as it was). The caller checks the fingerprint.
    pub async fn redeem(&self, username: &str, code: &str) -> StoreResult<Option<CodeRecord>> {
        let Some(text) = self.store.get_value(&code_key(code), None).await? else { return Ok(None) };
        let Ok(record) = serde_json::from_str::<CodeRecord>(&text) else { return Ok(None) };
        if record.username != username || record.until_ms <= self.clock.now_ms() {
            return Ok(None);
        }
        if self.store.increment(&claim_key(code), Some(self.lifetime)).await? != 1 {
            return Ok(None);
        }
        self.store.delete_value(&code_key(code)).await?;
        Ok(Some(record))
    }
}

/// A new code from `ThreadRng`, a CSPRNG (ChaCha) seeded from the operating system.
fn random_code() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(&Alphanumeric).take(CODE_LEN).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_stored_only_as_its_hash() {
        let code = random_code();
        assert_eq!(code.len(), CODE_LEN);
        let key = code_key(&code);
        assert!(!key.contains(&code) && key.len() == "reset_code:".len() + 64, "{key}");
        assert_eq!(key, code_key(&code));
    }
}
