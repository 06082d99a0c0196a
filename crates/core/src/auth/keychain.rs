//! Where refresh tokens live: the OS keychain (macOS Keychain, Windows Credential Manager,
//! Secret Service on Linux), one entry per account. Tests and the CLI's `--memory-keychain` use
//! [`MemoryKeychain`], which keeps nothing after the process ends.
//!
//! Invariant: this is the only module that persists a secret, and it persists only here.

use std::collections::HashMap;
use std::sync::Mutex;

use super::Secret;

/// The keychain service name every entry is filed under.
pub const SERVICE: &str = "app.webinardesk.desktop";

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error(
        "The system keychain is not available ({0}). Webinar Desk will need you to sign in again next time; on Linux, install and unlock a Secret Service keyring such as GNOME Keyring."
    )]
    Unavailable(String),
    #[error(
        "The system keychain refused to {action} your sign-in ({message}). Check that the keychain is unlocked."
    )]
    Refused {
        action: &'static str,
        message: String,
    },
}

/// A store for one secret per account key.
pub trait Keychain: Send + Sync + std::fmt::Debug {
    fn load(&self, account_key: &str) -> Result<Option<Secret>, KeychainError>;
    fn save(&self, account_key: &str, secret: &Secret) -> Result<(), KeychainError>;
    fn remove(&self, account_key: &str) -> Result<(), KeychainError>;
}

/// The operating system's keychain, through the `keyring` crate with its native backends.
#[derive(Debug, Default)]
pub struct OsKeychain;

impl OsKeychain {
    fn entry(account_key: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(SERVICE, account_key)
            .map_err(|e| KeychainError::Unavailable(e.to_string()))
    }
}

fn classify(action: &'static str, e: keyring::Error) -> KeychainError {
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
            KeychainError::Unavailable(e.to_string())
        }
        other => KeychainError::Refused {
            action,
            message: other.to_string(),
        },
    }
}

impl Keychain for OsKeychain {
    fn load(&self, account_key: &str) -> Result<Option<Secret>, KeychainError> {
        match Self::entry(account_key)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify("read", e)),
        }
    }
    fn save(&self, account_key: &str, secret: &Secret) -> Result<(), KeychainError> {
        Self::entry(account_key)?
            .set_password(secret.expose())
            .map_err(|e| classify("save", e))
    }
    fn remove(&self, account_key: &str) -> Result<(), KeychainError> {
        match Self::entry(account_key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify("remove", e)),
        }
    }
}

/// A keychain that lives in this process only. It can be told to fail, to test the paths
/// where the real keychain is locked or missing.
#[derive(Debug, Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, Secret>>,
    unavailable: Mutex<bool>,
}

impl MemoryKeychain {
    pub fn set_unavailable(&self, unavailable: bool) {
        *self.unavailable.lock().expect("keychain lock") = unavailable;
    }
    pub fn len(&self) -> usize {
        self.entries.lock().expect("keychain lock").len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn check(&self) -> Result<(), KeychainError> {
        if *self.unavailable.lock().expect("keychain lock") {
            return Err(KeychainError::Unavailable("simulated: no keychain".into()));
        }
        Ok(())
    }
}

impl Keychain for MemoryKeychain {
    fn load(&self, account_key: &str) -> Result<Option<Secret>, KeychainError> {
        self.check()?;
        Ok(self
            .entries
            .lock()
            .expect("keychain lock")
            .get(account_key)
            .cloned())
    }
    fn save(&self, account_key: &str, secret: &Secret) -> Result<(), KeychainError> {
        self.check()?;
        self.entries
            .lock()
            .expect("keychain lock")
            .insert(account_key.to_string(), secret.clone());
        Ok(())
    }
    fn remove(&self, account_key: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.entries
            .lock()
            .expect("keychain lock")
            .remove(account_key);
        Ok(())
    }
}
