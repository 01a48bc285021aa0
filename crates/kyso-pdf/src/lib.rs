//! kyso-pdf: PDF objects, a lazy reader, an incremental writer and signature fields.
//!
//! The reader ([`Document`]) reads the header, the trailer and the xref chain, then
//! each object only when asked. The writer ([`update::IncrementalUpdate`]) appends
//! an update after the original bytes, never changing them (ISO 32000-2 §7.5.6).

pub mod appearance;
pub mod crypt;
pub mod document;
pub mod dss;
pub mod error;
pub mod fill;
pub mod filters;
pub mod form;
pub mod geometry;
pub mod lexer;
pub mod object;
pub mod pages;
mod recover;
pub mod signature;
pub mod source;
pub mod text;
pub mod update;
pub mod visible;
pub mod xref;

pub use document::{Document, Loaded, StreamObject};
pub use error::{PdfError, Result};
pub use object::{Dictionary, Name, Object, ObjectId, PdfString};
pub use source::{FileSource, Source};
