//! The building blocks of visible signature appearances (NĐ 30/2020): embedded subset
//! fonts for Vietnamese text ([`font`]) and images — the signer's handwritten signature, an
//! agency's seal — with their transparency ([`image`]).
//!
//! Both write new objects into an [`IncrementalUpdate`](crate::update::IncrementalUpdate);
//! the appearance stream that draws them (§12.5.5) is built on top of these.

pub mod font;
pub mod image;

pub use font::{Font, FontUse};
pub use image::{Image, load_image};

/// Why a font or an image cannot be used in an appearance. Each has a stable [`code`].
///
/// [`code`]: AppearanceError::code
#[derive(Debug, thiserror::Error)]
pub enum AppearanceError {
    #[error("the font cannot be read: {0}")]
    FontUnreadable(String),
    #[error("the font {font} does not allow embedding in documents")]
    FontNotEmbeddable { font: String },
    #[error("the font {font} has no glyph for {ch:?} (U+{:04X})", u32::from(*ch))]
    MissingGlyph { ch: char, font: String },
    #[error("the font {font} cannot be subset: {reason}")]
    FontSubset { font: String, reason: String },
    #[error("unsupported image format: {0}")]
    UnsupportedImage(String),
    #[error("the image cannot be read: {0}")]
    ImageUnreadable(String),
    #[error("the image is too large: {0}")]
    ImageTooLarge(String),
}

impl AppearanceError {
    /// A stable code the UI and scripts can rely on.
    pub fn code(&self) -> &'static str {
        match self {
            AppearanceError::FontUnreadable(_) => "FONT_UNREADABLE",
            AppearanceError::FontNotEmbeddable { .. } => "FONT_NOT_EMBEDDABLE",
            AppearanceError::MissingGlyph { .. } => "FONT_MISSING_GLYPH",
            AppearanceError::FontSubset { .. } => "FONT_SUBSET_FAILED",
            AppearanceError::UnsupportedImage(_) => "IMAGE_UNSUPPORTED",
            AppearanceError::ImageUnreadable(_) => "IMAGE_UNREADABLE",
            AppearanceError::ImageTooLarge(_) => "IMAGE_TOO_LARGE",
        }
    }

    /// The named values of the message (the catalogue's placeholders).
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            AppearanceError::FontUnreadable(detail)
            | AppearanceError::UnsupportedImage(detail)
            | AppearanceError::ImageUnreadable(detail)
            | AppearanceError::ImageTooLarge(detail) => vec![("detail", detail.clone())],
            AppearanceError::FontNotEmbeddable { font } => vec![("font", font.clone())],
            AppearanceError::MissingGlyph { ch, font } => vec![
                ("char", ch.to_string()),
                ("codepoint", format!("U+{:04X}", u32::from(*ch))),
                ("font", font.clone()),
            ],
            AppearanceError::FontSubset { font, reason } => {
                vec![("font", font.clone()), ("detail", reason.clone())]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_and_images_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Font>();
        shared::<Image>();
        shared::<AppearanceError>();
    }
}
