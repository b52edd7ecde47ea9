//! Encryption at rest of Okta API tokens (AES-256-GCM from the `aes-gcm` crate).
//!
//! Ciphertext layout, versioned so the scheme can change later:
//! `[version = 1][key id: 4 bytes][nonce: 12 bytes][ciphertext + tag]`.
//! The key id is derived from the key, so a row written under another key is recognised as
//! such instead of failing as "corrupt". The account name is the associated data, so a row's
//! ciphertext cannot be moved to another account.
//!
//! The same key also yields, by derivation, the key that signs paging cursors
//! ([`CursorSigner`]), so every gateway process that shares the token key accepts the cursors
//! the others issued.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
const AAD_PREFIX: &[u8] = b"okta-gateway/account-token/v1\0";
/// What the cursor key is derived for (HMAC-SHA256 of this label under the token key).
const CURSOR_KEY_LABEL: &[u8] = b"okta-gateway/paging-cursor/v1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("TOKEN_ENCRYPTION_KEY must be base64 for exactly 32 bytes")]
    InvalidKey,
    #[error("the stored token was encrypted under another key (key id {found}, current {current})")]
    WrongKey { found: String, current: String },
    #[error("the stored token is malformed or has been tampered with")]
    Corrupt,
    #[error("token encryption failed")]
    Encrypt,
}

/// Encrypts and decrypts account tokens under one 256-bit key.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
    key_id: [u8; KEY_ID_LEN],
    cursors: CursorSigner,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCipher")
            .field("key_id", &self.key_id_hex())
            .finish_non_exhaustive()
    }
}

impl TokenCipher {
    /// Build from the base64 form used in `TOKEN_ENCRYPTION_KEY` and the key file.
    pub fn from_base64(encoded: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| CryptoError::InvalidKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::InvalidKey)?;
        Ok(Self::from_key(&key))
    }

    fn from_key(key: &[u8; 32]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"okta-gateway key id\0")
            .chain_update(key)
            .finalize();
        let mut key_id = [0u8; KEY_ID_LEN];
        key_id.copy_from_slice(&digest[..KEY_ID_LEN]);
        TokenCipher {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
            key_id,
            cursors: CursorSigner::derive(key),
        }
    }

    /// The signer of paging cursors, under a key derived from this one.
    pub fn cursor_signer(&self) -> CursorSigner {
        self.cursors.clone()
    }

    /// A fresh random key, returned with its base64 form for storing.
    pub fn generate() -> (Self, SecretString) {
        let key = Aes256Gcm::generate_key(OsRng);
        let encoded = STANDARD.encode(key.as_slice());
        let cipher = Self::from_base64(&encoded).expect("a generated key is 32 bytes");
        (cipher, SecretString::from(encoded))
    }

    pub fn key_id_hex(&self) -> String {
        hex(&self.key_id)
    }

    pub fn encrypt(&self, account: &str, token: &SecretString) -> Result<Vec<u8>, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let aad = associated_data(account);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: token.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, account: &str, stored: &[u8]) -> Result<SecretString, CryptoError> {
        if stored.len() <= HEADER_LEN || stored[0] != VERSION {
            return Err(CryptoError::Corrupt);
        }
        let key_id = &stored[1..1 + KEY_ID_LEN];
        if key_id != self.key_id {
            return Err(CryptoError::WrongKey {
                found: hex(key_id),
                current: self.key_id_hex(),
            });
        }
        let nonce = Nonce::from_slice(&stored[1 + KEY_ID_LEN..HEADER_LEN]);
        let aad = associated_data(account);
        let plain = self
            .cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &stored[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Corrupt)
    }
}

/// Signs and checks the gateway's paging cursors (HMAC-SHA256), so a cursor cannot be altered
/// or moved to another account or action.
#[derive(Clone)]
pub struct CursorSigner {
    key: hmac::Key,
}

impl std::fmt::Debug for CursorSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CursorSigner").finish_non_exhaustive()
    }
}

impl CursorSigner {
    fn derive(token_key: &[u8; 32]) -> Self {
        let derived = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, token_key),
            CURSOR_KEY_LABEL,
        );
        CursorSigner {
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// The tag of `parts`, each length-prefixed so that no two lists of parts sign alike.
    pub fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        hmac::sign(&self.key, &framed(parts)).as_ref().to_vec()
    }

    /// Whether `tag` is the tag of `parts` (compared in constant time).
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        hmac::verify(&self.key, &framed(parts), tag).is_ok()
    }
}

fn framed(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn associated_data(account: &str) -> Vec<u8> {
    let mut aad = AAD_PREFIX.to_vec();
    aad.extend_from_slice(account.as_bytes());
    aad
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    #[test]
    fn a_token_round_trips_and_the_ciphertext_does_not_contain_it() {
        let (cipher, _) = TokenCipher::generate();
        let sealed = cipher.encrypt("acme", &secret("00abcdefTOKEN")).unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"TOKEN"));
        let opened = cipher.decrypt("acme", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), "00abcdefTOKEN");
    }

    #[test]
    fn a_ciphertext_moved_to_another_account_does_not_open() {
        let (cipher, _) = TokenCipher::generate();
        let sealed = cipher.encrypt("acme", &secret("tok")).unwrap();
        assert!(matches!(
            cipher.decrypt("other", &sealed),
            Err(CryptoError::Corrupt)
        ));
    }

    #[test]
    fn another_key_is_recognised_by_its_key_id() {
        let (a, _) = TokenCipher::generate();
        let (b, _) = TokenCipher::generate();
        let sealed = a.encrypt("acme", &secret("tok")).unwrap();
        assert!(matches!(
            b.decrypt("acme", &sealed),
            Err(CryptoError::WrongKey { .. })
        ));
    }

    #[test]
    fn tampering_is_detected() {
        let (cipher, _) = TokenCipher::generate();
        let mut sealed = cipher.encrypt("acme", &secret("tok")).unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(
            cipher.decrypt("acme", &sealed),
            Err(CryptoError::Corrupt)
        ));
        assert!(matches!(
            cipher.decrypt("acme", &[1, 2, 3]),
            Err(CryptoError::Corrupt)
        ));
    }

    #[test]
    fn cursor_tags_depend_on_the_key_and_on_every_part() {
        let (a, _) = TokenCipher::generate();
        let (b, _) = TokenCipher::generate();
        let signer = a.cursor_signer();
        let tag = signer.sign(&[b"acme", b"list_groups", b"q"]);
        assert!(signer.verify(&[b"acme", b"list_groups", b"q"], &tag));
        assert!(!signer.verify(&[b"acmel", b"ist_groups", b"q"], &tag));
        assert!(!signer.verify(&[b"other", b"list_groups", b"q"], &tag));
        assert!(
            !b.cursor_signer()
                .verify(&[b"acme", b"list_groups", b"q"], &tag)
        );
    }

    #[test]
    fn keys_must_be_base64_of_32_bytes() {
        assert!(TokenCipher::from_base64("not base64!").is_err());
        assert!(TokenCipher::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        let (_, encoded) = TokenCipher::generate();
        assert!(TokenCipher::from_base64(encoded.expose_secret()).is_ok());
    }
}
