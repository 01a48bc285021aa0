//! Message digests: SHA-2 for new signatures (RFC 5754 §2), SHA-1 only to verify old ones
//! (RFC 3370 §2.1).

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::oid::{self, Oid};

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-1: only for reading and verifying old signatures, never for new ones.
    Sha1,
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
}

impl DigestAlgorithm {
    /// Dotted OID (RFC 5754 §2, RFC 3370 §2.1).
    pub fn oid(self) -> &'static str {
        self.known_oid().dotted()
    }

    pub(crate) fn known_oid(self) -> Oid {
        match self {
            DigestAlgorithm::Sha1 => oid::SHA1,
            DigestAlgorithm::Sha256 => oid::SHA256,
            DigestAlgorithm::Sha384 => oid::SHA384,
            DigestAlgorithm::Sha512 => oid::SHA512,
        }
    }

    /// The algorithm with this dotted OID, if we implement it.
    pub fn from_oid(dotted: &str) -> Option<Self> {
        [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ]
        .into_iter()
        .find(|alg| alg.oid() == dotted)
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// Display name ("SHA-256").
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// Whether new signatures may use it (false for SHA-1).
    pub fn allowed_for_new_signatures(self) -> bool {
        self != DigestAlgorithm::Sha1
    }

    /// One-shot digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut hasher = Hasher::new(self);
        hasher.update(data);
        hasher.finalize()
    }
}

/// An incremental hasher for any [`DigestAlgorithm`] (for hashing PDF byte ranges in pieces).
#[derive(Clone, Debug)]
pub struct Hasher {
    inner: HasherInner,
}

#[derive(Clone, Debug)]
enum HasherInner {
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(alg: DigestAlgorithm) -> Self {
        let inner = match alg {
            DigestAlgorithm::Sha1 => HasherInner::Sha1(Sha1::new()),
            DigestAlgorithm::Sha256 => HasherInner::Sha256(Sha256::new()),
            DigestAlgorithm::Sha384 => HasherInner::Sha384(Sha384::new()),
            DigestAlgorithm::Sha512 => HasherInner::Sha512(Sha512::new()),
        };
        Hasher { inner }
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> DigestAlgorithm {
        match self.inner {
            HasherInner::Sha1(_) => DigestAlgorithm::Sha1,
            HasherInner::Sha256(_) => DigestAlgorithm::Sha256,
            HasherInner::Sha384(_) => DigestAlgorithm::Sha384,
            HasherInner::Sha512(_) => DigestAlgorithm::Sha512,
        }
    }

    /// Feeds more data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            HasherInner::Sha1(h) => h.update(data),
            HasherInner::Sha256(h) => h.update(data),
            HasherInner::Sha384(h) => h.update(data),
            HasherInner::Sha512(h) => h.update(data),
        }
    }

    /// The digest of everything fed.
    pub fn finalize(self) -> Vec<u8> {
        match self.inner {
            HasherInner::Sha1(h) => h.finalize().to_vec(),
            HasherInner::Sha256(h) => h.finalize().to_vec(),
            HasherInner::Sha384(h) => h.finalize().to_vec(),
            HasherInner::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            hex(&DigestAlgorithm::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&DigestAlgorithm::Sha1.digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        for alg in [
            DigestAlgorithm::Sha1,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            assert_eq!(alg.digest(b"").len(), alg.output_len());
            assert_eq!(DigestAlgorithm::from_oid(alg.oid()), Some(alg));
            let mut h = Hasher::new(alg);
            h.update(b"a");
            h.update(b"bc");
            assert_eq!(h.algorithm(), alg);
            assert_eq!(h.finalize(), alg.digest(b"abc"));
        }
        assert_eq!(DigestAlgorithm::from_oid("1.2.3"), None);
    }
}
