//! The tenant's token-signing key: RSA 2048, RS256, published as a JWKS. With a state folder the
//! key is kept between runs (so tokens and refresh tokens from an earlier run still verify, as
//! with a real tenant); without one it is new every run.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    encoding: EncodingKey,
    public: RsaPublicKey,
    pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate() -> Self {
        let private =
            RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation");
        Self::from_private(&private)
    }

    /// Loads the key from `dir/signing-key.pem`, creating it on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("signing-key.pem");
        if let Ok(pem) = std::fs::read_to_string(&path)
            && let Ok(private) = RsaPrivateKey::from_pkcs1_pem(&pem)
        {
            return Ok(Self::from_private(&private));
        }
        let private =
            RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation");
        std::fs::create_dir_all(dir)?;
        let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PEM encoding");
        let tmp = path.with_extension("pem.tmp");
        std::fs::write(&tmp, pem.as_bytes())?;
        std::fs::rename(tmp, &path)?;
        Ok(Self::from_private(&private))
    }

    fn from_private(private: &RsaPrivateKey) -> Self {
        let pem = private.to_pkcs1_pem(LineEnding::LF).expect("PEM encoding");
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("valid RSA PEM");
        let public = private.to_public_key();
        let digest = Sha256::digest(public.n().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(&digest[..12]);
        Self {
            kid,
            encoding,
            public,
            pem: pem.to_string(),
        }
    }

    /// The private key as PKCS#1 PEM, e.g. to configure a companion's certificate credential.
    pub fn private_pem(&self) -> &str {
        &self.pem
    }

    /// Signs claims as an RS256 JWT naming this key.
    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RS256 signing")
    }

    /// Signs with this key but claims another key's id: a forgery for tests.
    pub fn sign_as<T: Serialize>(&self, kid: &str, claims: &T) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("RS256 signing")
    }

    pub fn decoding_key(&self) -> jsonwebtoken::DecodingKey {
        let n = URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be());
        jsonwebtoken::DecodingKey::from_rsa_components(&n, &e).expect("valid RSA components")
    }

    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
        })
    }
}
