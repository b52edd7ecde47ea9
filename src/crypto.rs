//! Encryption at rest of Okta API tokens (AES-256-GCM from the `aes-gcm` crate), under a key
//! ring.
//!
//! Ciphertext layout, versioned so the scheme can change later:
//! `[version = 1][key id: 4 bytes][nonce: 12 bytes][ciphertext + tag]`.
//! The key id is derived from the key, so a row opens with whichever key of the ring wrote it,
//! and a row written under a key the ring lacks is recognised as such instead of failing as
//! "corrupt". The account name is the associated data, so a row's ciphertext cannot be moved
//! to another account.
//!
//! A key check is a fixed text sealed under one key (with its own associated data, so it can
//! never pass for a token): the database keeps one per key in use, and a gateway whose ring
//! cannot open them holds different keys from the rest of the fleet.
//!
//! Each key also yields, by derivation, a key that signs paging cursors ([`CursorSigner`]):
//! the ring's current key signs, any key of the ring verifies, so every gateway sharing the
//! ring accepts the cursors the others issued, also while a rotation is under way.

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
const KEY_CHECK_AAD: &[u8] = b"okta-gateway/key-check/v1\0";
/// Stored idempotent answers that carry credentials (see [`crate::idempotency`]).
const ANSWER_AAD: &[u8] = b"okta-gateway/idempotent-answer/v1\0";
const KEY_CHECK_TEXT: &str = "okta-gateway key check";
/// What the cursor key is derived for (HMAC-SHA256 of this label under the token key).
const CURSOR_KEY_LABEL: &[u8] = b"okta-gateway/paging-cursor/v1";

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("must be base64 for exactly 32 bytes")]
    InvalidKey,
    #[error("key {position} repeats an earlier key")]
    DuplicateKey { position: usize },
    #[error("the key ring is empty")]
    EmptyRing,
    #[error("the stored token was encrypted under key id {key_id}, which this key ring lacks")]
    UnknownKey { key_id: String },
    #[error("the stored token is malformed or has been tampered with")]
    Corrupt,
    #[error("token encryption failed")]
    Encrypt,
}

/// Encrypts and decrypts under one 256-bit key.
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
    /// Build from the base64 form used in the environment and the key file.
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
        let key: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        let encoded = STANDARD.encode(key);
        (Self::from_key(&key), SecretString::from(encoded))
    }

    pub fn key_id_hex(&self) -> String {
        hex(&self.key_id)
    }

    fn seal(&self, aad: &[u8], msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg, aad })
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Open `stored`, which must carry this key's id.
    fn open(&self, aad: &[u8], stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if key_id_of(stored).as_deref() != Some(&self.key_id_hex()) {
            return Err(CryptoError::Corrupt);
        }
        let nonce = Nonce::from_slice(&stored[1 + KEY_ID_LEN..HEADER_LEN]);
        self.cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &stored[HEADER_LEN..],
                    aad,
                },
            )
            .map_err(|_| CryptoError::Corrupt)
    }

    pub fn encrypt(&self, account: &str, token: &SecretString) -> Result<Vec<u8>, CryptoError> {
        self.seal(&associated_data(account), token.expose_secret().as_bytes())
    }

    fn decrypt(&self, account: &str, stored: &[u8]) -> Result<SecretString, CryptoError> {
        let plain = self.open(&associated_data(account), stored)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Corrupt)
    }

    /// A key check value for this key (see the module documentation).
    pub fn key_check(&self) -> Result<Vec<u8>, CryptoError> {
        self.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT.as_bytes())
    }

    /// Whether `stored` is a key check sealed under this very key.
    pub fn opens_key_check(&self, stored: &[u8]) -> bool {
        self.open(KEY_CHECK_AAD, stored)
            .is_ok_and(|plain| plain == KEY_CHECK_TEXT.as_bytes())
    }
}

/// The token encryption keys of one gateway: the first is current (new writes use it); a
/// stored value opens with whichever key of the ring its key id names.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<TokenCipher>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring of these keys, the first current; every key at most once.
    pub fn new(keys: Vec<TokenCipher>) -> Result<KeyRing, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::EmptyRing);
        }
        for (index, key) in keys.iter().enumerate() {
            if keys[..index].iter().any(|k| k.key_id == key.key_id) {
                return Err(CryptoError::DuplicateKey {
                    position: index + 1,
                });
            }
        }
        Ok(KeyRing { keys })
    }

    /// Parse base64 keys, the first current; errors name the key's position, never the key.
    pub fn from_base64<'a>(
        encoded: impl IntoIterator<Item = &'a str>,
    ) -> Result<KeyRing, (usize, CryptoError)> {
        let mut keys = Vec::new();
        for (index, key) in encoded.into_iter().enumerate() {
            keys.push(TokenCipher::from_base64(key).map_err(|e| (index + 1, e))?);
        }
        KeyRing::new(keys).map_err(|e| match e {
            CryptoError::DuplicateKey { position } => (position, e),
            other => (0, other),
        })
    }

    /// The key new values are written under.
    pub fn current(&self) -> &TokenCipher {
        &self.keys[0]
    }

    pub fn keys(&self) -> &[TokenCipher] {
        &self.keys
    }

    /// The key ids, current first.
    /// The cursor signer of the ring: the current key signs, every key verifies.
    pub fn cursor_signer(&self) -> CursorSigner {
        CursorSigner {
            keys: self
                .keys
                .iter()
                .flat_map(|key| key.cursors.keys.iter().cloned())
                .collect(),
        }
    }

    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(TokenCipher::key_id_hex).collect()
    }

    pub fn get(&self, key_id: &str) -> Option<&TokenCipher> {
        self.keys.iter().find(|k| k.key_id_hex() == key_id)
    }

    pub fn encrypt(&self, account: &str, token: &SecretString) -> Result<Vec<u8>, CryptoError> {
        self.current().encrypt(account, token)
    }

    pub fn decrypt(&self, account: &str, stored: &[u8]) -> Result<SecretString, CryptoError> {
        let key_id = key_id_of(stored).ok_or(CryptoError::Corrupt)?;
        self.get(&key_id)
            .ok_or(CryptoError::UnknownKey { key_id })?
            .decrypt(account, stored)
    }

    /// Seal a stored answer under the current key; `row` (its caller and key) binds the
    /// ciphertext to its row, so it cannot be replayed to another caller.
    pub fn seal_answer(&self, row: &str, answer: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.current().seal(&answer_aad(row), answer)
    }

    pub fn open_answer(&self, row: &str, stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key_id = key_id_of(stored).ok_or(CryptoError::Corrupt)?;
        self.get(&key_id)
            .ok_or(CryptoError::UnknownKey { key_id })?
            .open(&answer_aad(row), stored)
    }
}

fn answer_aad(row: &str) -> Vec<u8> {
    [ANSWER_AAD, row.as_bytes()].concat()
}

/// The key id a stored value names, as hex; `None` for a value that is not ours.
pub fn key_id_of(stored: &[u8]) -> Option<String> {
    (stored.len() > HEADER_LEN && stored[0] == VERSION).then(|| hex(&stored[1..1 + KEY_ID_LEN]))
}

/// Signs and checks the gateway's paging cursors (HMAC-SHA256), so a cursor cannot be altered
/// or moved to another account or action.
#[derive(Clone)]
pub struct CursorSigner {
    /// The first signs; every one verifies.
    keys: Vec<hmac::Key>,
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
            keys: vec![hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())],
        }
    }

    /// The tag of `parts`, each length-prefixed so that no two lists of parts sign alike.
    pub fn sign(&self, parts: &[&[u8]]) -> Vec<u8> {
        hmac::sign(&self.keys[0], &framed(parts)).as_ref().to_vec()
    }

    /// Whether `tag` is the tag of `parts` under any of the keys (compared in constant time).
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        let framed = framed(parts);
        self.keys
            .iter()
            .any(|key| hmac::verify(key, &framed, tag).is_ok())
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

    fn ring(keys: &[&TokenCipher]) -> KeyRing {
        KeyRing::new(keys.iter().map(|k| (*k).clone()).collect()).unwrap()
    }

    #[test]
    fn cursors_signed_before_a_rotation_verify_with_the_ring_that_follows_it() {
        let (old, _) = TokenCipher::generate();
        let (new, _) = TokenCipher::generate();
        let parts: [&[u8]; 2] = [b"acme", b"{}"];
        let tag = ring(&[&old]).cursor_signer().sign(&parts);
        assert!(ring(&[&new, &old]).cursor_signer().verify(&parts, &tag));
        assert!(!ring(&[&new]).cursor_signer().verify(&parts, &tag));
        let fresh = ring(&[&new, &old]).cursor_signer().sign(&parts);
        assert!(
            new.cursor_signer().verify(&parts, &fresh),
            "the current key signs"
        );
    }

    #[test]
    fn a_token_round_trips_and_the_ciphertext_does_not_contain_it() {
        let (cipher, _) = TokenCipher::generate();
        let ring = ring(&[&cipher]);
        let sealed = ring.encrypt("acme", &secret("00abcdefTOKEN")).unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"TOKEN"));
        let opened = ring.decrypt("acme", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), "00abcdefTOKEN");
    }

    #[test]
    fn a_ciphertext_moved_to_another_account_does_not_open() {
        let (cipher, _) = TokenCipher::generate();
        let ring = ring(&[&cipher]);
        let sealed = ring.encrypt("acme", &secret("tok")).unwrap();
        assert!(matches!(
            ring.decrypt("other", &sealed),
            Err(CryptoError::Corrupt)
        ));
    }

    #[test]
    fn another_key_is_recognised_by_its_key_id() {
        let (a, _) = TokenCipher::generate();
        let (b, _) = TokenCipher::generate();
        let sealed = a.encrypt("acme", &secret("tok")).unwrap();
        match ring(&[&b]).decrypt("acme", &sealed) {
            Err(CryptoError::UnknownKey { key_id }) => assert_eq!(key_id, a.key_id_hex()),
            other => panic!("expected UnknownKey, got {other:?}"),
        }
    }

    #[test]
    fn any_key_of_the_ring_opens_and_the_first_one_writes() {
        let (old, _) = TokenCipher::generate();
        let (new, _) = TokenCipher::generate();
        let under_old = old.encrypt("acme", &secret("tok")).unwrap();
        let ring = ring(&[&new, &old]);
        assert_eq!(
            ring.decrypt("acme", &under_old).unwrap().expose_secret(),
            "tok"
        );
        let written = ring.encrypt("acme", &secret("tok")).unwrap();
        assert_eq!(key_id_of(&written), Some(new.key_id_hex()));
        assert_eq!(ring.key_ids(), vec![new.key_id_hex(), old.key_id_hex()]);
    }

    #[test]
    fn a_ring_refuses_to_hold_a_key_twice_or_none() {
        let (a, _) = TokenCipher::generate();
        assert!(matches!(
            KeyRing::new(vec![a.clone(), a]),
            Err(CryptoError::DuplicateKey { position: 2 })
        ));
        assert!(matches!(KeyRing::new(vec![]), Err(CryptoError::EmptyRing)));
    }

    #[test]
    fn a_key_check_opens_only_under_its_own_key_and_is_no_token() {
        let (a, _) = TokenCipher::generate();
        let (b, _) = TokenCipher::generate();
        let check = a.key_check().unwrap();
        assert!(a.opens_key_check(&check));
        assert!(!b.opens_key_check(&check));
        assert!(ring(&[&a]).decrypt("acme", &check).is_err());
        let token = a.encrypt("acme", &secret(KEY_CHECK_TEXT)).unwrap();
        assert!(!a.opens_key_check(&token));
    }

    #[test]
    fn tampering_is_detected() {
        let (cipher, _) = TokenCipher::generate();
        let ring = ring(&[&cipher]);
        let mut sealed = ring.encrypt("acme", &secret("tok")).unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(
            ring.decrypt("acme", &sealed),
            Err(CryptoError::Corrupt)
        ));
        assert!(matches!(
            ring.decrypt("acme", &[1, 2, 3]),
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
        let err = KeyRing::from_base64([encoded.expose_secret(), "nope"]).unwrap_err();
        assert_eq!(err.0, 2);
    }
}
