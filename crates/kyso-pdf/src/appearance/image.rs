//! Images for appearances (ISO 32000-2 §8.9): a PNG is decoded and written as a
//! `/FlateDecode` image XObject, its alpha channel, when any pixel is not opaque, as a soft
//! mask (§11.6.5.3, `/SMask`) so the page shows through; a JPEG is passed through as
//! `/DCTDecode` (§7.4.8), only its header read.
//!
//! Colour is taken as device colour (`/DeviceRGB`, `/DeviceGray`, `/DeviceCMYK`): ICC
//! profiles, gamma and chromaticities in the files are not carried over, which suits the
//! flat ink colours of signatures and seals.

use std::fmt;
use std::io::{Cursor, Write};

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::AppearanceError;
use crate::geometry::real;
use crate::object::{Dictionary, Object, ObjectId};
use crate::source::Source;
use crate::update::IncrementalUpdate;

/// Largest width or height accepted, in pixels (a 40 mm seal at 300 dpi is 472).
pub const MAX_DIMENSION: u32 = 10_000;
/// Largest decoded image accepted, in bytes (samples of all channels together).
pub const MAX_DECODED_BYTES: usize = 256 * 1024 * 1024;
/// What the PNG decoder may allocate besides the image (its row buffers, metadata chunks).
const PNG_DECODER_LIMIT: usize = 64 * 1024 * 1024;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A decoded or checked image, ready to be written as an image XObject.
#[derive(Clone)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Horizontal and vertical resolution in pixels per inch, when the file states it (PNG
    /// `pHYs` in pixels per metre, JPEG JFIF density in dots per inch or centimetre).
    pub dpi: Option<(f64, f64)>,
    data: ImageData,
}

#[derive(Clone)]
enum ImageData {
    /// Samples decoded from a PNG, already deflated, with the deflated alpha samples when
    /// some pixel is not opaque.
    Flate {
        color: ColorSpace,
        bits: u8,
        samples: Vec<u8>,
        alpha: Option<Vec<u8>>,
    },
    /// The JPEG file's bytes, unchanged.
    Jpeg {
        color: ColorSpace,
        bytes: Vec<u8>,
        /// An Adobe CMYK JPEG (APP14 marker): its samples are stored inverted.
        inverted: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColorSpace {
    Gray,
    Rgb,
    Cmyk,
}

impl ColorSpace {
    fn name(self) -> &'static [u8] {
        match self {
            ColorSpace::Gray => b"DeviceGray",
            ColorSpace::Rgb => b"DeviceRGB",
            ColorSpace::Cmyk => b"DeviceCMYK",
        }
    }

    fn components(self) -> usize {
        match self {
            ColorSpace::Gray => 1,
            ColorSpace::Rgb => 3,
            ColorSpace::Cmyk => 4,
        }
    }
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("dpi", &self.dpi)
            .field("color_space", &self.color_space())
            .field("bits_per_component", &self.bits_per_component())
            .field("jpeg", &self.is_jpeg())
            .field("alpha", &self.has_alpha())
            .finish()
    }
}

impl Image {
    /// The image's size in points at its stated resolution, if it states one.
    pub fn natural_size_pt(&self) -> Option<(f64, f64)> {
        let (x, y) = self.dpi?;
        Some((
            f64::from(self.width) * 72.0 / x,
            f64::from(self.height) * 72.0 / y,
        ))
    }

    /// Whether the image is written with a soft mask (some pixel is not fully opaque).
    pub fn has_alpha(&self) -> bool {
        matches!(&self.data, ImageData::Flate { alpha: Some(_), .. })
    }

    /// Whether the image is a JPEG, written as `/DCTDecode`.
    pub fn is_jpeg(&self) -> bool {
        matches!(self.data, ImageData::Jpeg { .. })
    }

    /// The colour space name it is written with: "DeviceGray", "DeviceRGB" or "DeviceCMYK".
    pub fn color_space(&self) -> &'static str {
        let color = match &self.data {
            ImageData::Flate { color, .. } | ImageData::Jpeg { color, .. } => *color,
        };
        match color {
            ColorSpace::Gray => "DeviceGray",
            ColorSpace::Rgb => "DeviceRGB",
            ColorSpace::Cmyk => "DeviceCMYK",
        }
    }

    /// Bits per colour component: 8, or 16 for a 16-bit PNG.
    pub fn bits_per_component(&self) -> u8 {
        match &self.data {
            ImageData::Flate { bits, .. } => *bits,
            ImageData::Jpeg { .. } => 8,
        }
    }

    /// Writes the image XObject (§8.9.5), and its soft mask when it has one, as new objects
    /// of `update`; returns the image's id, for `/Resources /XObject`. Drawn with `Do`, the
    /// image fills the unit square of the current matrix (§8.9.4).
    pub fn write<S: Source>(&self, update: &mut IncrementalUpdate<'_, S>) -> ObjectId {
        match &self.data {
            ImageData::Flate {
                color,
                bits,
                samples,
                alpha,
            } => {
                let mut dict = self.image_dict(*color, *bits);
                dict.set(b"Filter", Object::name(b"FlateDecode"));
                if let Some(alpha) = alpha {
                    // §11.6.5.3: a soft-mask image is DeviceGray, without a mask of its own.
                    let mut mask = self.image_dict(ColorSpace::Gray, *bits);
                    mask.set(b"Filter", Object::name(b"FlateDecode"));
                    let mask = update.add_stream(mask, alpha.clone());
                    dict.set(b"SMask", mask);
                }
                update.add_stream(dict, samples.clone())
            }
            ImageData::Jpeg {
                color,
                bytes,
                inverted,
            } => {
                let mut dict = self.image_dict(*color, 8);
                dict.set(b"Filter", Object::name(b"DCTDecode"));
                if *inverted {
                    let decode = (0..color.components())
                        .flat_map(|_| [real(1.0), real(0.0)])
                        .collect();
                    dict.set(b"Decode", Object::Array(decode));
                }
                update.add_stream(dict, bytes.clone())
            }
        }
    }

    fn image_dict(&self, color: ColorSpace, bits: u8) -> Dictionary {
        let mut dict = Dictionary::new();
        dict.set(b"Type", Object::name(b"XObject"));
        dict.set(b"Subtype", Object::name(b"Image"));
        dict.set(b"Width", Object::Integer(i64::from(self.width)));
        dict.set(b"Height", Object::Integer(i64::from(self.height)));
        dict.set(b"ColorSpace", Object::name(color.name()));
        dict.set(b"BitsPerComponent", Object::Integer(i64::from(bits)));
        dict
    }
}

/// Reads a PNG or a JPEG, told apart by their first bytes. Other formats are
/// `IMAGE_UNSUPPORTED`, damaged files `IMAGE_UNREADABLE`, and images over
/// [`MAX_DIMENSION`] pixels a side or [`MAX_DECODED_BYTES`] decoded `IMAGE_TOO_LARGE`, found
/// from the header before anything is decoded.
pub fn load_image(bytes: &[u8]) -> Result<Image, AppearanceError> {
    if bytes.starts_with(PNG_SIGNATURE) {
        load_png(bytes)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        load_jpeg(bytes)
    } else {
        Err(AppearanceError::UnsupportedImage(sniff(bytes).into()))
    }
}

/// What an image that is neither PNG nor JPEG is, for the message.
fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"GIF8") {
        "GIF (use PNG or JPEG)"
    } else if bytes.starts_with(b"BM") {
        "BMP (use PNG or JPEG)"
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "TIFF (use PNG or JPEG)"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "WebP (use PNG or JPEG)"
    } else if bytes.starts_with(b"%PDF") {
        "PDF (use PNG or JPEG)"
    } else if bytes.starts_with(b"<svg") || bytes.starts_with(b"<?xml") {
        "SVG (use PNG or JPEG)"
    } else {
        "not a PNG or JPEG file"
    }
}

fn check_size(
    width: u32,
    height: u32,
    components: usize,
    bytes_per_sample: usize,
) -> Result<(), AppearanceError> {
    if width == 0 || height == 0 {
        return Err(AppearanceError::ImageUnreadable(format!(
            "the image is {width}×{height} pixels"
        )));
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(AppearanceError::ImageTooLarge(format!(
            "{width}×{height} pixels; at most {MAX_DIMENSION} on each side"
        )));
    }
    let decoded = (width as usize)
        .saturating_mul(height as usize)
        .saturating_mul(components)
        .saturating_mul(bytes_per_sample);
    if decoded > MAX_DECODED_BYTES {
        return Err(AppearanceError::ImageTooLarge(format!(
            "{width}×{height} pixels decode to {} MiB; at most {} MiB",
            decoded >> 20,
            MAX_DECODED_BYTES >> 20
        )));
    }
    Ok(())
}

fn png_error(e: png::DecodingError) -> AppearanceError {
    match e {
        png::DecodingError::LimitsExceeded => {
            AppearanceError::ImageTooLarge("the PNG needs more memory than allowed".into())
        }
        other => AppearanceError::ImageUnreadable(format!("PNG: {other}")),
    }
}

/// PNG (ISO/IEC 15948): any bit depth and colour type, interlaced or not. Palettes and
/// `tRNS` are expanded, bit depths below 8 widened to 8, 16 kept as 16 (PDF samples are
/// big-endian too, §8.9.2); the alpha channel is split off as the soft mask.
fn load_png(bytes: &[u8]) -> Result<Image, AppearanceError> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: PNG_DECODER_LIMIT,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND);
    // Neither text nor ICC profiles are used: not even decompressed (zTXt, iCCP).
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let header = decoder.read_header_info().map_err(png_error)?;
    let (width, height) = (header.width, header.height);
    let bytes_per_sample = if header.bit_depth == png::BitDepth::Sixteen {
        2
    } else {
        1
    };
    // Channels once expanded, at worst: a later tRNS chunk adds alpha, a palette is RGB(A).
    let channels = match header.color_type {
        png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb | png::ColorType::Rgba | png::ColorType::Indexed => 4,
    };
    check_size(width, height, channels, bytes_per_sample)?;
    let mut reader = decoder.read_info().map_err(png_error)?;
    let size = reader
        .output_buffer_size()
        .filter(|n| *n <= MAX_DECODED_BYTES)
        .ok_or_else(|| AppearanceError::ImageTooLarge(format!("{width}×{height} pixels")))?;
    let dpi = reader.info().pixel_dims.and_then(|d| {
        (d.unit == png::Unit::Meter && d.xppu > 0 && d.yppu > 0)
            .then(|| (f64::from(d.xppu) * 0.0254, f64::from(d.yppu) * 0.0254))
    });
    let mut buffer = vec![0u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(png_error)?;
    buffer.truncate(frame.buffer_size());

    let (color, has_alpha) = match frame.color_type {
        png::ColorType::Grayscale => (ColorSpace::Gray, false),
        png::ColorType::GrayscaleAlpha => (ColorSpace::Gray, true),
        png::ColorType::Rgb => (ColorSpace::Rgb, false),
        png::ColorType::Rgba => (ColorSpace::Rgb, true),
        png::ColorType::Indexed => {
            return Err(AppearanceError::UnsupportedImage(
                "PNG palette that could not be expanded".into(),
            ));
        }
    };
    let bits = match frame.bit_depth {
        png::BitDepth::Eight => 8u8,
        png::BitDepth::Sixteen => 16,
        other => {
            return Err(AppearanceError::UnsupportedImage(format!(
                "PNG of {other:?} bits that could not be widened"
            )));
        }
    };
    let sample = usize::from(bits / 8);
    let color_len = color.components() * sample;
    let pixel_len = color_len + if has_alpha { sample } else { 0 };

    let translucent = has_alpha
        && buffer
            .chunks_exact(pixel_len)
            .any(|p| p[color_len..].iter().any(|&b| b != 0xFF));
    let (samples, alpha) = if !has_alpha {
        (deflate(&buffer), None)
    } else {
        // Split colour and alpha row by row, straight into the two compressors.
        let mut colors = Compressor::new();
        let mut alphas = translucent.then(Compressor::new);
        let row_len = pixel_len * width as usize;
        let mut color_row = Vec::with_capacity(color_len * width as usize);
        let mut alpha_row = Vec::with_capacity(sample * width as usize);
        for row in buffer.chunks_exact(row_len) {
            color_row.clear();
            alpha_row.clear();
            for pixel in row.chunks_exact(pixel_len) {
                color_row.extend_from_slice(&pixel[..color_len]);
                alpha_row.extend_from_slice(&pixel[color_len..]);
            }
            colors.write(&color_row);
            if let Some(alphas) = &mut alphas {
                alphas.write(&alpha_row);
            }
        }
        (colors.finish(), alphas.map(Compressor::finish))
    };
    Ok(Image {
        width,
        height,
        dpi,
        data: ImageData::Flate {
            color,
            bits,
            samples,
            alpha,
        },
    })
}

/// zlib for image samples, at a fast level: signature and seal images are mostly flat
/// colour, which compresses well at any level; the time goes to photographs.
struct Compressor(ZlibEncoder<Vec<u8>>);

impl Compressor {
    fn new() -> Self {
        Compressor(ZlibEncoder::new(Vec::new(), Compression::fast()))
    }
    fn write(&mut self, data: &[u8]) {
        // Writing into a Vec cannot fail.
        let _ = self.0.write_all(data);
    }
    fn finish(self) -> Vec<u8> {
        self.0.finish().unwrap_or_default()
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compressor::new();
    c.write(data);
    c.finish()
}

/// JPEG (ITU T.81): the markers up to the first scan are read for the frame header (SOF0
/// baseline, SOF1 extended, SOF2 progressive; 8-bit, 1, 3 or 4 components), the JFIF
/// density (APP0) and the Adobe marker (APP14). The data itself is left to the viewer's
/// DCTDecode filter.
fn load_jpeg(bytes: &[u8]) -> Result<Image, AppearanceError> {
    let unreadable = |what: &str| AppearanceError::ImageUnreadable(format!("JPEG: {what}"));
    let mut pos = 2; // after SOI
    let mut frame: Option<(u8, u32, u32, u8)> = None; // precision, width, height, components
    let mut dpi = None;
    let mut adobe = false;
    loop {
        // A marker: 0xFF, optional 0xFF fill bytes, then the code (T.81 §B.1.1.2).
        if bytes.get(pos) != Some(&0xFF) {
            return Err(unreadable("a marker was expected"));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(unreadable("truncated before the first scan"));
        };
        pos += 1;
        match marker {
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return Err(unreadable("no image before the end marker")),
            _ => {}
        }
        let length = match bytes.get(pos..pos + 2) {
            Some(&[a, b]) => usize::from(u16::from_be_bytes([a, b])),
            _ => return Err(unreadable("truncated segment")),
        };
        let segment = length
            .checked_sub(2)
            .and_then(|n| bytes.get(pos + 2..pos + 2 + n))
            .ok_or_else(|| unreadable("truncated segment"))?;
        match marker {
            0xC0..=0xC2 => {
                let &[precision, h1, h0, w1, w0, components, ..] = segment else {
                    return Err(unreadable("short frame header"));
                };
                let height = u32::from(u16::from_be_bytes([h1, h0]));
                let width = u32::from(u16::from_be_bytes([w1, w0]));
                frame = Some((precision, width, height, components));
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(AppearanceError::UnsupportedImage(
                    "lossless, hierarchical or arithmetic-coded JPEG".into(),
                ));
            }
            0xE0 if segment.starts_with(b"JFIF\0") && segment.len() >= 12 => {
                let x = f64::from(u16::from_be_bytes([segment[8], segment[9]]));
                let y = f64::from(u16::from_be_bytes([segment[10], segment[11]]));
                let per_inch = match segment[7] {
                    1 => Some(1.0),
                    2 => Some(2.54),
                    _ => None, // 0: an aspect ratio only
                };
                if let Some(k) = per_inch
                    && x > 0.0
                    && y > 0.0
                {
                    dpi = Some((x * k, y * k));
                }
            }
            0xEE if segment.starts_with(b"Adobe") => adobe = true,
            0xDA => break,
            _ => {}
        }
        pos += length;
    }
    let Some((precision, width, height, components)) = frame else {
        return Err(unreadable("no frame header before the first scan"));
    };
    if precision != 8 {
        return Err(AppearanceError::UnsupportedImage(format!(
            "{precision}-bit JPEG (only 8-bit)"
        )));
    }
    let color = match components {
        1 => ColorSpace::Gray,
        3 => ColorSpace::Rgb,
        4 => ColorSpace::Cmyk,
        n => {
            return Err(AppearanceError::UnsupportedImage(format!(
                "JPEG with {n} components"
            )));
        }
    };
    if height == 0 {
        return Err(AppearanceError::UnsupportedImage(
            "JPEG whose height is given after the first scan (DNL)".into(),
        ));
    }
    check_size(width, height, color.components(), 1)?;
    Ok(Image {
        width,
        height,
        dpi,
        data: ImageData::Jpeg {
            color,
            bytes: bytes.to_vec(),
            // Adobe's CMYK (and YCCK) JPEGs hold inverted samples (Adobe Technical Note
            // #5116); without the marker they are taken as they are.
            inverted: adobe && color == ColorSpace::Cmyk,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (marker, body) in segments {
            out.extend_from_slice(&[0xFF, *marker]);
            out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
        out.extend_from_slice(&[0x00, 0xFF, 0xD9]);
        out
    }

    #[test]
    fn jpeg_headers_give_size_density_and_inversion() {
        let jfif = b"JFIF\0\x01\x02\x02\x00\x76\x00\x76\x00\x00"; // 118 dots/cm
        let sof = [
            8, 0, 48, 0, 64, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0,
        ];
        let image = load_image(&jpeg(&[
            (0xE0, jfif),
            (0xEE, b"Adobe\0\x64\0\0\0\0\x02"),
            (0xC2, &sof),
            (0xDA, &[0]),
        ]))
        .unwrap();
        assert_eq!((image.width, image.height), (64, 48));
        assert_eq!(image.color_space(), "DeviceCMYK");
        let (x, _) = image.dpi.unwrap();
        assert!((x - 299.72).abs() < 0.01);
        assert!(matches!(image.data, ImageData::Jpeg { inverted: true, .. }));
    }

    #[test]
    fn jpeg_refusals() {
        let code = |bytes: &[u8]| load_image(bytes).unwrap_err().code();
        let big = [
            8, 0x4E, 0x20, 0x4E, 0x20, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
        ];
        assert_eq!(
            code(&jpeg(&[(0xC0, &big), (0xDA, &[0])])),
            "IMAGE_TOO_LARGE"
        );
        let twelve = [12, 0, 8, 0, 8, 1, 1, 0x11, 0];
        assert_eq!(
            code(&jpeg(&[(0xC1, &twelve), (0xDA, &[0])])),
            "IMAGE_UNSUPPORTED"
        );
        assert_eq!(code(&jpeg(&[(0xC3, &twelve)])), "IMAGE_UNSUPPORTED");
        assert_eq!(code(&jpeg(&[(0xDA, &[0])])), "IMAGE_UNREADABLE");
        assert_eq!(code(&[0xFF, 0xD8, 0xFF]), "IMAGE_UNREADABLE");
        assert_eq!(
            code(&[0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x40, 8]),
            "IMAGE_UNREADABLE"
        );
        assert_eq!(code(b"GIF89a...."), "IMAGE_UNSUPPORTED");
        assert_eq!(code(b""), "IMAGE_UNSUPPORTED");
    }
}
