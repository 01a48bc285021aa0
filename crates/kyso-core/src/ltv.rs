//! Long-term validation data (PAdES B-LT, ETSI EN 319 142-1 §5.4 and §6.3): the certificates
//! of every signature's and timestamp's path, and the CRLs and OCSP responses that prove
//! they were not revoked, gathered by running the verifier itself online ([`gather`]) —
//! the same chain building and revocation checking as `kyso verify`, with everything it
//! used recorded ([`Evidence`]) for the document security store.

use std::path::Path;
use std::sync::{Arc, Mutex};

use kyso_cms::CertificateInfo;
use kyso_pdf::dss::DssAdditions;
use kyso_pdf::{Document, Source};

use crate::verify::report::VerifyReport;
use crate::verify::revocation::{Embedded, Fetcher};
use crate::verify::{VerifyOptions, verify_document};

/// What a verification used: certificates, CRLs and OCSP responses (DER), each once.
#[derive(Debug, Default)]
pub struct Evidence {
    found: Mutex<DssAdditions>,
}

impl Evidence {
    fn with(&self, add: impl FnOnce(&mut DssAdditions)) {
        if let Ok(mut found) = self.found.lock() {
            add(&mut found);
        }
    }

    /// The certificates of a path.
    pub fn add_path<'c>(&self, path: impl Iterator<Item = &'c CertificateInfo>) {
        self.with(|f| {
            for cert in path {
                push_new(&mut f.certs, &cert.der);
            }
        });
    }

    /// Revocation data the file already carries (its CMS, its DSS): kept in the DSS.
    pub fn add_embedded(&self, embedded: &Embedded) {
        self.with(|f| {
            for (crl, _) in &embedded.crls {
                push_new(&mut f.crls, crl);
            }
            for ocsp in &embedded.ocsps {
                push_new(&mut f.ocsps, ocsp);
            }
        });
    }

    /// Everything recorded so far.
    pub fn take(&self) -> DssAdditions {
        self.found
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

fn push_new(list: &mut Vec<Vec<u8>>, der: &[u8]) {
    if !list.iter().any(|d| d == der) {
        list.push(der.to_vec());
    }
}

/// A fetcher that records what it fetched: CRLs (GET), OCSP responses (POST).
pub struct Recording {
    pub inner: Arc<dyn Fetcher>,
    pub evidence: Arc<Evidence>,
}

impl Fetcher for Recording {
    fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let body = self.inner.get(url)?;
        self.evidence.with(|f| push_new(&mut f.crls, &body));
        Ok(body)
    }

    fn post(&self, url: &str, content_type: &str, body: &[u8]) -> Result<Vec<u8>, String> {
        let answer = self.inner.post(url, content_type, body)?;
        self.evidence.with(|f| push_new(&mut f.ocsps, &answer));
        Ok(answer)
    }
}

/// Verifies `doc` online through `fetcher` and returns the report with everything the
/// verification used: what the DSS must hold for the document to verify offline.
pub fn gather<S: Source>(
    doc: &Document<S>,
    name: &Path,
    options: &VerifyOptions,
    fetcher: Arc<dyn Fetcher>,
) -> Result<(VerifyReport, DssAdditions), kyso_pdf::PdfError> {
    let evidence = Arc::new(Evidence::default());
    let options = VerifyOptions {
        fetcher: Some(Arc::new(Recording {
            inner: fetcher,
            evidence: evidence.clone(),
        })),
        evidence: Some(evidence.clone()),
        ..options.clone()
    };
    let report = verify_document(doc, name, &options)?;
    Ok((report, evidence.take()))
}
