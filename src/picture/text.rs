//! Text from an 8×8 bitmap font (font8x8), at integer scales, horizontal or rotated to read
//! upwards (for y-axis labels). ASCII, Latin-1 and Greek (ε, σ, δ, …) have glyphs; `−` draws as
//! `-`; anything else draws as `?`.
use font8x8::UnicodeFonts;

use super::canvas::{Canvas, Rgb};

/// Pixels a glyph occupies (and advances by) at scale 1.
pub const GLYPH: usize = 8;

/// The 8×8 bitmap for `c`: row `r` is byte `r`, bit `k` (least significant first) is column `k`.
pub fn glyph(c: char) -> [u8; 8] {
    let c = match c {
        '\u{2212}' | '\u{2013}' => '-',
        _ => c,
    };
    if (c as u32) < 128 {
        return font8x8::legacy::BASIC_LEGACY[c as usize];
    }
    font8x8::LATIN_FONTS
        .get(c)
        .or_else(|| font8x8::GREEK_FONTS.get(c))
        .unwrap_or(font8x8::legacy::BASIC_LEGACY['?' as usize])
}

/// Width in pixels of `text` at `scale`.
pub fn width(text: &str, scale: usize) -> usize {
    text.chars().count() * GLYPH * scale
}

/// Height in pixels of a line of text at `scale`.
pub fn height(scale: usize) -> usize {
    GLYPH * scale
}

/// Draws `text` with its top-left corner at `(x, y)`.
pub fn draw(canvas: &mut Canvas, x: i32, y: i32, text: &str, scale: usize, color: Rgb) {
    let s = scale as i32;
    for (i, c) in text.chars().enumerate() {
        let x0 = x + i as i32 * GLYPH as i32 * s;
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH {
                if bits >> col & 1 == 1 {
                    for (dy, dx) in (0..s).flat_map(|dy| (0..s).map(move |dx| (dy, dx))) {
                        canvas.blend(
                            x0 + col as i32 * s + dx,
                            y + row as i32 * s + dy,
                            color,
                            1.0,
                        );
                    }
                }
            }
        }
    }
}

/// Draws `text` rotated a quarter turn anticlockwise (reading bottom to top), with the
/// bottom-left corner of its bounding box at `(x, y)`: it occupies columns `x..x + height` and
/// rows `y - width..y`.
pub fn draw_up(canvas: &mut Canvas, x: i32, y: i32, text: &str, scale: usize, color: Rgb) {
    let s = scale as i32;
    for (i, c) in text.chars().enumerate() {
        let along = i as i32 * GLYPH as i32 * s;
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..GLYPH {
                if bits >> col & 1 == 1 {
                    // Glyph column runs up the canvas, glyph row runs right.
                    for (dy, dx) in (0..s).flat_map(|dy| (0..s).map(move |dx| (dy, dx))) {
                        let cx = x + row as i32 * s + dx;
                        let cy = y - 1 - (along + col as i32 * s + dy);
                        canvas.blend(cx, cy, color, 1.0);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greek_letters_have_their_own_glyphs() {
        let question = glyph('?');
        for c in ['ε', 'σ', 'δ'] {
            assert_ne!(glyph(c), question, "{c}");
            assert_ne!(glyph(c), [0; 8], "{c}");
        }
        assert_eq!(glyph('☃'), question);
        assert_eq!(glyph('−'), glyph('-'));
    }

    #[test]
    fn text_lands_where_asked() {
        let mut c = Canvas::new(40, 40, [255; 3]);
        draw(&mut c, 4, 4, "H", 2, [0, 0, 0]);
        let ink = |c: &Canvas, x0, y0, x1, y1| {
            (y0..y1).any(|y| (x0..x1).any(|x| c.pixel(x, y) == Some([0, 0, 0])))
        };
        assert!(ink(&c, 4, 4, 20, 20));
        assert!(!ink(&c, 20, 0, 40, 40) && !ink(&c, 0, 20, 40, 40));
        let mut c = Canvas::new(40, 40, [255; 3]);
        draw_up(&mut c, 4, 30, "HI", 1, [0, 0, 0]);
        assert!(ink(&c, 4, 14, 12, 30));
        assert!(!ink(&c, 12, 0, 40, 40) && !ink(&c, 0, 30, 40, 40));
    }
}
