//! `kyso info`: what a PDF is made of — pages, version, encryption, fields, signatures.

use std::fs::File;
use std::path::{Path, PathBuf};

use kyso_pdf::crypt::{Authentication, CryptMethod};
use kyso_pdf::{Document, FileSource, form, pages};

use crate::error::Error;

#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentInfo {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// The header's version, or the catalog's /Version when that is later (§7.7.2).
    pub version: String,
    pub pages: u64,
    pub encryption: Option<EncryptionInfo>,
    /// Number of xref sections (the original plus incremental updates).
    pub revisions: usize,
    /// The xref had to be rebuilt by scanning.
    pub recovered: bool,
    /// DocMDP permission of a certified document (1, 2 or 3).
    pub certification: Option<i64>,
    pub fields: Vec<FieldInfo>,
    pub signatures: Vec<SignatureInfo>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EncryptionInfo {
    pub method: String,
    pub revision: i64,
    pub permissions: i32,
    /// "user" or "owner": which password opened the file.
    pub opened_with: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldInfo {
    pub name: String,
    pub field_type: Option<String>,
    pub filled: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SignatureInfo {
    pub field: String,
    pub sub_filter: Option<String>,
    pub signing_time: Option<String>,
    pub document_timestamp: bool,
    /// The byte range reaches the end of the file (this is the last revision's signature).
    pub covers_whole_file: bool,
    pub signer: Option<String>,
    pub certification: Option<i64>,
}

/// Reads the structure of `path` without changing it.
pub fn inspect_file(path: &Path, password: Option<&str>) -> Result<DocumentInfo, Error> {
    let read_err = |source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    };
    let pdf_err = |source| Error::Pdf {
        path: path.to_path_buf(),
        source,
    };
    let source = FileSource::new(File::open(path).map_err(read_err)?).map_err(read_err)?;
    let doc = Document::open(source, password).map_err(pdf_err)?;
    let (_, catalog) = doc.catalog().map_err(pdf_err)?;
    let mut version = doc.header_version.clone();
    if let Some(v) = catalog.get_name(b"Version") {
        let v = String::from_utf8_lossy(v).into_owned();
        if version_key(&v) > version_key(&version) {
            version = v;
        }
    }
    let encryption = doc.security().map(|s| EncryptionInfo {
        method: match (s.stream_method, s.key_bits) {
            (CryptMethod::AesV3, _) => "AES-256".to_string(),
            (CryptMethod::AesV2, _) => "AES-128".to_string(),
            (CryptMethod::Rc4, bits) => format!("RC4-{bits}"),
            (CryptMethod::Identity, _) => "none (identity)".to_string(),
        },
        revision: s.revision,
        permissions: s.permissions,
        opened_with: match s.authentication {
            Authentication::User => "user".into(),
            Authentication::Owner => "owner".into(),
        },
    });
    let fields = form::fields(&doc)
        .map_err(pdf_err)?
        .into_iter()
        .map(|f| FieldInfo {
            filled: f.value.is_some(),
            name: f.name,
            field_type: f.field_type,
        })
        .collect();
    let signatures = form::signatures(&doc)
        .map_err(pdf_err)?
        .into_iter()
        .map(|s| {
            let covers_whole_file = s
                .byte_range()
                .is_some_and(|r| r.len() == 4 && (r[2] + r[3]) as u64 == doc.len());
            let signer = s
                .contents()
                .and_then(|c| kyso_cms::parse_signed_data(c).ok())
                .and_then(|p| kyso_cms::find_signer_certificate(&p, 0).ok().flatten())
                .map(|(_, certificate)| certificate.subject);
            SignatureInfo {
                field: s.field_name.clone(),
                sub_filter: s.sub_filter(),
                signing_time: s.signing_time(),
                document_timestamp: s.is_document_timestamp(),
                covers_whole_file,
                signer,
                certification: s.docmdp_permission(),
            }
        })
        .collect();
    Ok(DocumentInfo {
        path: path.to_path_buf(),
        size_bytes: doc.len(),
        version,
        pages: pages::page_count(&doc).map_err(pdf_err)?,
        encryption,
        revisions: doc.sections,
        recovered: doc.recovered,
        certification: form::certification_level(&doc).map_err(pdf_err)?,
        fields,
        signatures,
    })
}

fn version_key(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}
