//! What charts and grids share: the font every text is drawn in and PNG encoding.
use std::sync::Once;

use plotters::style::{register_font, FontStyle};

/// The family name plotters draws with; registered as DejaVu Sans (from the `dejavu` crate's
/// bytes, so no system font is looked up). SVG output names it too: a browser draws DejaVu Sans
/// where it has it (the widths plotters measured), else its own sans-serif.
pub const FAMILY: &str = "DejaVu Sans, sans-serif";

/// Registers DejaVu Sans under [`FAMILY`]; call before drawing or measuring text.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The compiled-in TTFs parse (the tests draw text with them); were one not to, text
        // would fail to draw with an error, not panic.
        let _ = register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// An error of a plotters backend, as anyhow's.
pub fn drawing_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the picture: {e}")
}

/// `pixels` (rows of `width` pixels, 8 bits a channel) as a PNG.
pub fn encode_png(
    pixels: &[u8],
    width: usize,
    height: usize,
    color: png::ColorType,
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    // the writer finishes the file when it is dropped, at the end of the statement
    encoder.write_header()?.write_image_data(pixels)?;
    Ok(out)
}
