//! Reading and writing picture files through the `image` crate.
//!
//! Takes PNG, JPEG, BMP, TGA, PNM (PPM/PGM), TIFF, WebP and QOI files or bytes and gives a
//! [`Picture`]: 8-bit gray or RGB. Deeper samples are reduced to 8 bits; an alpha channel
//! is dropped when fully opaque and refused otherwise, since quanta does not code
//! transparency. Writing picks the format from the file extension or an explicit name.
//! 16-bit pictures are also read and written at full depth ([`read_deep_picture_bytes`],
//! [`encode_deep_picture_file`]) for the lossless coder.

use std::io::Cursor;
use std::path::Path;

use image::{DynamicImage, ImageFormat};

use crate::error::{Error, Limits, Result};
use crate::signal::{DeepPicture, Picture, PixelLayout};

/// Picture formats quanta can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureFormat {
    Png,
    Ppm,
    Bmp,
    Tiff,
    Qoi,
}

impl PictureFormat {
    /// Parses a format name or file extension (case-insensitive).
    pub fn from_name(name: &str) -> Option<PictureFormat> {
        match name.to_ascii_lowercase().as_str() {
            "png" => Some(PictureFormat::Png),
            "ppm" | "pgm" | "pnm" => Some(PictureFormat::Ppm),
            "bmp" => Some(PictureFormat::Bmp),
            "tif" | "tiff" => Some(PictureFormat::Tiff),
            "qoi" => Some(PictureFormat::Qoi),
            _ => None,
        }
    }

    /// The format a path's extension names.
    pub fn from_path(path: &Path) -> Option<PictureFormat> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(PictureFormat::from_name)
    }

    fn to_image_format(self) -> ImageFormat {
        match self {
            PictureFormat::Png => ImageFormat::Png,
            PictureFormat::Ppm => ImageFormat::Pnm,
            PictureFormat::Bmp => ImageFormat::Bmp,
            PictureFormat::Tiff => ImageFormat::Tiff,
            PictureFormat::Qoi => ImageFormat::Qoi,
        }
    }
}

/// Decodes a picture file held in memory with the image crate, within `limits`.
fn decode_image(bytes: &[u8], name: &str, limits: &Limits) -> Result<DynamicImage> {
    let format = image::guess_format(bytes).map_err(|_| {
        Error::Media(format!(
            "{name}: not a picture format quanta reads (PNG, JPEG, BMP, TGA, PNM, TIFF, WebP, QOI)"
        ))
    })?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_dimension);
    image_limits.max_image_height = Some(limits.max_dimension);
    image_limits.max_alloc = Some(limits.max_pixels * 8);
    reader.limits(image_limits);
    let image = reader
        .decode()
        .map_err(|e| Error::Media(format!("{name}: {e}")))?;
    limits.check_dimensions(image.width(), image.height())?;
    Ok(image)
}

/// Decodes a picture file held in memory. `name` is used in error messages.
pub fn read_picture_bytes(bytes: &[u8], name: &str, limits: &Limits) -> Result<Picture> {
    from_dynamic(decode_image(bytes, name, limits)?, name)
}

/// The 16-bit samples of a picture file held in memory, or `None` when its samples have 8
/// bits or fewer (read those with [`read_picture_bytes`]). An opaque alpha channel is
/// dropped; transparency is refused as for 8-bit pictures.
pub fn read_deep_picture_bytes(
    bytes: &[u8],
    name: &str,
    limits: &Limits,
) -> Result<Option<DeepPicture>> {
    deep_from_dynamic(&decode_image(bytes, name, limits)?, name)
}

/// A picture at its own depth: 8-bit, or 16-bit for the lossless coder.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyPicture {
    Eight(Picture),
    Sixteen(DeepPicture),
}

/// Decodes a picture file held in memory once, keeping 16-bit samples at 16 bits.
pub fn read_any_picture_bytes(bytes: &[u8], name: &str, limits: &Limits) -> Result<AnyPicture> {
    let image = decode_image(bytes, name, limits)?;
    match deep_from_dynamic(&image, name)? {
        Some(deep) => Ok(AnyPicture::Sixteen(deep)),
        None => Ok(AnyPicture::Eight(from_dynamic(image, name)?)),
    }
}

/// The 16-bit picture of a decoded image, `None` when its samples have 8 bits or fewer.
fn deep_from_dynamic(image: &DynamicImage, name: &str) -> Result<Option<DeepPicture>> {
    let color = image.color();
    if color.bytes_per_pixel() / color.channel_count() != 2 {
        return Ok(None);
    }
    let (width, height) = (image.width() as usize, image.height() as usize);
    if color.has_alpha() {
        let rgba = image.to_rgba16();
        if rgba.pixels().any(|p| p.0[3] != u16::MAX) {
            return Err(Error::Unsupported(format!(
                "{name} has transparent pixels; quanta does not code alpha (flatten the picture first)"
            )));
        }
    }
    let picture = if color.has_color() {
        DeepPicture::new(width, height, PixelLayout::Rgb, image.to_rgb16().into_raw())?
    } else {
        DeepPicture::new(
            width,
            height,
            PixelLayout::Gray,
            image.to_luma16().into_raw(),
        )?
    };
    Ok(Some(picture))
}

/// Encodes a 16-bit picture as PNG, TIFF or PNM (PPM/PGM with maximum 65535) bytes.
pub fn encode_deep_picture_file(picture: &DeepPicture, format: PictureFormat) -> Result<Vec<u8>> {
    let (w, h) = (picture.width as u32, picture.height as u32);
    if format == PictureFormat::Ppm {
        let magic = match picture.layout {
            PixelLayout::Gray => "P5",
            PixelLayout::Rgb => "P6",
        };
        let mut out = format!("{magic}\n{w} {h}\n65535\n").into_bytes();
        for v in &picture.data {
            out.extend_from_slice(&v.to_be_bytes());
        }
        return Ok(out);
    }
    if !matches!(format, PictureFormat::Png | PictureFormat::Tiff) {
        return Err(Error::Unsupported(format!(
            "{format:?} holds 8-bit samples only; write a 16-bit picture as PNG, TIFF or PPM/PGM"
        )));
    }
    let data = picture.data.clone();
    let image = match picture.layout {
        PixelLayout::Gray => image::ImageBuffer::<image::Luma<u16>, _>::from_raw(w, h, data)
            .map(DynamicImage::ImageLuma16),
        PixelLayout::Rgb => image::ImageBuffer::<image::Rgb<u16>, _>::from_raw(w, h, data)
            .map(DynamicImage::ImageRgb16),
    }
    .ok_or_else(|| Error::InvalidArgument("picture buffer does not match its size".into()))?;
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format.to_image_format())
        .map_err(|e| Error::Media(format!("cannot encode {format:?}: {e}")))?;
    Ok(out.into_inner())
}

/// Reads a picture file.
pub fn read_picture(path: &Path, limits: &Limits) -> Result<Picture> {
    let bytes = std::fs::read(path).map_err(|e| Error::io_path("read", path, e))?;
    read_picture_bytes(&bytes, &path.display().to_string(), limits)
}

fn from_dynamic(image: DynamicImage, name: &str) -> Result<Picture> {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let color = image.color();
    if color.has_alpha() {
        let rgba = image.to_rgba8();
        if rgba.pixels().any(|p| p.0[3] != 255) {
            return Err(Error::Unsupported(format!(
                "{name} has transparent pixels; quanta does not code alpha (flatten the picture first)"
            )));
        }
    }
    if color.has_color() {
        let rgb = image.to_rgb8();
        Picture::new(width, height, PixelLayout::Rgb, rgb.into_raw())
    } else {
        let gray = image.to_luma8();
        Picture::new(width, height, PixelLayout::Gray, gray.into_raw())
    }
}

/// Encodes a picture in `format` into bytes.
pub fn encode_picture_file(picture: &Picture, format: PictureFormat) -> Result<Vec<u8>> {
    if format == PictureFormat::Ppm {
        return encode_netpbm(picture);
    }
    let mut out = Cursor::new(Vec::new());
    let (w, h) = (picture.width as u32, picture.height as u32);
    let result = match picture.layout {
        PixelLayout::Gray => image::GrayImage::from_raw(w, h, picture.data.clone())
            .map(|i| DynamicImage::ImageLuma8(i).write_to(&mut out, format.to_image_format())),
        PixelLayout::Rgb => image::RgbImage::from_raw(w, h, picture.data.clone())
            .map(|i| DynamicImage::ImageRgb8(i).write_to(&mut out, format.to_image_format())),
    };
    match result {
        Some(Ok(())) => Ok(out.into_inner()),
        Some(Err(e)) => Err(Error::Media(format!("cannot encode {format:?}: {e}"))),
        None => Err(Error::InvalidArgument(
            "picture buffer does not match its size".into(),
        )),
    }
}

/// Writes binary PPM (P6) for RGB and PGM (P5) for gray, the forms every tool reads.
fn encode_netpbm(picture: &Picture) -> Result<Vec<u8>> {
    let magic = match picture.layout {
        PixelLayout::Gray => "P5",
        PixelLayout::Rgb => "P6",
    };
    let mut out = format!("{magic}\n{} {}\n255\n", picture.width, picture.height).into_bytes();
    out.extend_from_slice(&picture.data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_pictures_keep_16_bits_in_png_tiff_and_pnm() {
        for layout in [PixelLayout::Gray, PixelLayout::Rgb] {
            let n = 7 * 5 * layout.channels();
            let data: Vec<u16> = (0..n)
                .map(|i| (i as u16).wrapping_mul(4099) ^ 0x8001)
                .collect();
            let picture = DeepPicture::new(7, 5, layout, data).unwrap();
            for format in [PictureFormat::Png, PictureFormat::Tiff, PictureFormat::Ppm] {
                let bytes = encode_deep_picture_file(&picture, format).unwrap();
                let back = read_deep_picture_bytes(&bytes, "x", &Limits::default())
                    .unwrap()
                    .unwrap_or_else(|| panic!("{format:?} read back as 8-bit"));
                assert_eq!(back, picture, "{format:?} {layout:?}");
                // The 8-bit reader still reads the file, rounded.
                let low = read_picture_bytes(&bytes, "x", &Limits::default()).unwrap();
                assert_eq!(low.data.len(), n);
            }
            assert!(encode_deep_picture_file(&picture, PictureFormat::Bmp).is_err());
        }
        let eight = Picture::new(3, 2, PixelLayout::Gray, vec![1, 2, 3, 4, 5, 6]).unwrap();
        let png = encode_picture_file(&eight, PictureFormat::Png).unwrap();
        assert!(read_deep_picture_bytes(&png, "x", &Limits::default())
            .unwrap()
            .is_none());
        let deep = DeepPicture::new(2, 1, PixelLayout::Gray, vec![0, 65535]).unwrap();
        assert_eq!(deep.to_8bit().data, vec![0, 255]);
    }

    #[test]
    fn png_round_trip_gray_and_rgb() {
        for layout in [PixelLayout::Gray, PixelLayout::Rgb] {
            let n = 5 * 3 * layout.channels();
            let pic = Picture::new(5, 3, layout, (0..n as u8).collect()).unwrap();
            let bytes = encode_picture_file(&pic, PictureFormat::Png).unwrap();
            assert_eq!(
                crate::media::probe::probe(&bytes),
                crate::media::probe::Probed::Picture
            );
            let back = read_picture_bytes(&bytes, "test", &Limits::default()).unwrap();
            assert_eq!(back, pic);
        }
    }

    #[test]
    fn netpbm_output_is_p6_or_p5_and_reads_back() {
        for (layout, magic) in [(PixelLayout::Rgb, b"P6"), (PixelLayout::Gray, b"P5")] {
            let n = 4 * 2 * layout.channels();
            let pic = Picture::new(4, 2, layout, (0..n as u8).collect()).unwrap();
            let bytes = encode_picture_file(&pic, PictureFormat::Ppm).unwrap();
            assert_eq!(&bytes[..2], magic);
            assert_eq!(
                read_picture_bytes(&bytes, "t", &Limits::default()).unwrap(),
                pic
            );
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = read_picture_bytes(b"hello world", "x.png", &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("x.png"));
        let mut png = encode_picture_file(
            &Picture::new(4, 4, PixelLayout::Gray, vec![9; 16]).unwrap(),
            PictureFormat::Png,
        )
        .unwrap();
        png.truncate(png.len() / 2);
        assert!(read_picture_bytes(&png, "cut.png", &Limits::default()).is_err());
    }
}
