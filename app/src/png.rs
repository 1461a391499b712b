//! Images for the page: the model's 32×32 RGB as PNG data URLs.

use base64::Engine;
use palimpsest_core::data::IMAGE_SIZE;

/// A 32×32 RGB image as a PNG data URL (empty when the sample has no image).
pub fn png_url(rgb: Option<&[u8]>) -> String {
    let Some(px) = rgb else {
        return String::new();
    };
    let side = IMAGE_SIZE as u32;
    let Some(img) = image::RgbImage::from_raw(side, side, px.to_vec()) else {
        return String::new();
    };
    let mut out = std::io::Cursor::new(Vec::new());
    if img.write_to(&mut out, image::ImageFormat::Png).is_err() {
        return String::new();
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_urls_decode_back_to_the_pixels() {
        let px: Vec<u8> = (0..IMAGE_SIZE * IMAGE_SIZE * 3).map(|i| i as u8).collect();
        let url = png_url(Some(&px[..]));
        let b64 = url.strip_prefix("data:image/png;base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let back = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(back.into_raw(), px);
        assert_eq!(png_url(None), "");
        assert_eq!(png_url(Some(&[1, 2][..])), "");
    }
}
