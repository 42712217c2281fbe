//! An RGB raster for plots: anti-aliased thick polylines (solid or dashed), markers, filled
//! rectangles, a clip rectangle, and RGB PNG encoding.
//!
//! Coordinates are continuous pixels: pixel `(x, y)` covers `[x, x + 1) × [y, y + 1)`, so its
//! centre is `(x + 0.5, y + 0.5)`; y grows downwards. Anti-aliasing is by distance: a pixel's
//! coverage is how far its centre lies inside the shape, plus half a pixel, clamped to [0, 1].

/// An 8-bit RGB colour.
pub type Rgb = [u8; 3];

/// A half-open pixel rectangle: columns `x0..x1`, rows `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn new(x0: i32, y0: i32, x1: i32, y1: i32) -> Self {
        Self { x0, y0, x1, y1 }
    }

    pub fn width(&self) -> i32 {
        (self.x1 - self.x0).max(0)
    }

    pub fn height(&self) -> i32 {
        (self.y1 - self.y0).max(0)
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= f64::from(self.x0)
            && x < f64::from(self.x1)
            && y >= f64::from(self.y0)
            && y < f64::from(self.y1)
    }

    fn intersect(&self, other: &Rect) -> Rect {
        Rect::new(
            self.x0.max(other.x0),
            self.y0.max(other.y0),
            self.x1.min(other.x1),
            self.y1.min(other.y1),
        )
    }
}

/// Marker shapes, centred on a point, `size` pixels across.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    HollowCircle,
    Square,
    HollowSquare,
    Cross,
    Plus,
}

/// Row-major RGB pixels with a clip rectangle that every drawing call respects.
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
    clip: Rect,
}

impl Canvas {
    /// A `width × height` canvas filled with `background`.
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Self {
            width,
            height,
            pixels,
            clip: Rect::new(0, 0, width as i32, height as i32),
        }
    }

    #[cfg(test)]
    pub fn width(&self) -> usize {
        self.width
    }

    #[cfg(test)]
    pub fn height(&self) -> usize {
        self.height
    }

    /// The colour at `(x, y)`, or `None` outside the canvas.
    #[cfg(test)]
    pub fn pixel(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let i = (y * self.width + x) * 3;
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        })
    }

    /// Restricts drawing to `clip` (within the canvas); `None` lifts the restriction.
    pub fn set_clip(&mut self, clip: Option<Rect>) {
        let full = Rect::new(0, 0, self.width as i32, self.height as i32);
        self.clip = clip.map_or(full, |c| c.intersect(&full));
    }

    /// Mixes `color` into pixel `(x, y)` with weight `alpha` in [0, 1], if inside the clip.
    pub fn blend(&mut self, x: i32, y: i32, color: Rgb, alpha: f32) {
        let c = self.clip;
        if x < c.x0 || x >= c.x1 || y < c.y0 || y >= c.y1 || alpha <= 0.0 {
            return;
        }
        let a = alpha.min(1.0);
        let i = (y as usize * self.width + x as usize) * 3;
        for (k, &channel) in color.iter().enumerate() {
            let old = f32::from(self.pixels[i + k]);
            self.pixels[i + k] = (old + (f32::from(channel) - old) * a).round() as u8;
        }
    }

    /// Fills `rect` (clipped) with `color`.
    pub fn fill_rect(&mut self, rect: Rect, color: Rgb) {
        let r = rect.intersect(&self.clip);
        for y in r.y0..r.y1 {
            for x in r.x0..r.x1 {
                let i = (y as usize * self.width + x as usize) * 3;
                self.pixels[i..i + 3].copy_from_slice(&color);
            }
        }
    }

    /// Draws a one-pixel outline just inside `rect`.
    pub fn outline_rect(&mut self, rect: Rect, color: Rgb) {
        let Rect { x0, y0, x1, y1 } = rect;
        self.fill_rect(Rect::new(x0, y0, x1, y0 + 1), color);
        self.fill_rect(Rect::new(x0, y1 - 1, x1, y1), color);
        self.fill_rect(Rect::new(x0, y0, x0 + 1, y1), color);
        self.fill_rect(Rect::new(x1 - 1, y0, x1, y1), color);
    }

    /// Strokes the polyline through `points`, `width` pixels thick, with round joins and caps.
    /// `dash = Some((on, off))` draws dashes `on` pixels long with `off`-pixel gaps, the pattern
    /// running on across vertices. Segments with a non-finite end are skipped.
    ///
    /// Coverage is accumulated per polyline (maximum, not sum) and composited once, so joins
    /// and overlapping segments do not darken.
    pub fn stroke(
        &mut self,
        points: &[(f64, f64)],
        width: f64,
        color: Rgb,
        dash: Option<(f64, f64)>,
    ) {
        if points.len() < 2 || self.clip.width() == 0 || self.clip.height() == 0 {
            return;
        }
        let mut cov = Coverage::new(self.clip);
        let half = (width / 2.0).max(0.25);
        let reach = half + 1.0;
        let bounds = (
            f64::from(self.clip.x0) - reach,
            f64::from(self.clip.y0) - reach,
            f64::from(self.clip.x1) + reach,
            f64::from(self.clip.y1) + reach,
        );
        let mut travelled = 0.0;
        for pair in points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
                continue;
            }
            let len = (b.0 - a.0).hypot(b.1 - a.1);
            if !len.is_finite() {
                continue;
            }
            if let Some((t0, t1)) = clip_segment(a, b, bounds) {
                let at = |t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                match dash {
                    None => cov.segment(at(t0), at(t1), half),
                    Some((on, off)) if on > 0.0 && len > 0.0 => {
                        let period = on + off.max(0.0);
                        // Arc length (within this segment) where the visible part starts and ends.
                        let (s0, s1) = (t0 * len, t1 * len);
                        let phase = (travelled + s0).rem_euclid(period);
                        let mut s = s0 - phase;
                        while s < s1 {
                            let (d0, d1) = ((s).max(s0), (s + on).min(s1));
                            if d1 > d0 {
                                cov.segment(at(d0 / len), at(d1 / len), half);
                            }
                            s += period;
                        }
                    }
                    Some(_) => cov.segment(at(t0), at(t1), half),
                }
            }
            travelled += len;
        }
        cov.composite(self, color);
    }

    /// Draws `marker` centred on `(cx, cy)`, `size` pixels across; hollow shapes and crosses use
    /// strokes `line` pixels wide.
    pub fn marker(&mut self, cx: f64, cy: f64, size: f64, line: f64, marker: Marker, color: Rgb) {
        let r = size / 2.0;
        let c = self.clip;
        let reach = r + 1.0;
        if !(cx.is_finite() && cy.is_finite())
            || cx < f64::from(c.x0) - reach
            || cx > f64::from(c.x1) + reach
            || cy < f64::from(c.y0) - reach
            || cy > f64::from(c.y1) + reach
        {
            return;
        }
        let h = line / 2.0;
        // Signed distance (negative inside) from a pixel centre offset (dx, dy) to the shape.
        let sdf = |dx: f64, dy: f64| -> f64 {
            let (ax, ay) = (dx.abs(), dy.abs());
            match marker {
                Marker::Circle => dx.hypot(dy) - r,
                Marker::HollowCircle => (dx.hypot(dy) - (r - h)).abs() - h,
                Marker::Square => ax.max(ay) - r * 0.85,
                Marker::HollowSquare => (ax.max(ay) - (r * 0.85 - h)).abs() - h,
                Marker::Cross => {
                    let diag = (ax - ay).abs() / std::f64::consts::SQRT_2 - h;
                    diag.max(ax.max(ay) - r * 0.8)
                }
                Marker::Plus => (ax.min(ay) - h).max(ax.max(ay) - r),
            }
        };
        let (x0, x1) = ((cx - r - 1.0).floor() as i32, (cx + r + 1.0).ceil() as i32);
        let (y0, y1) = ((cy - r - 1.0).floor() as i32, (cy + r + 1.0).ceil() as i32);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = sdf(f64::from(x) + 0.5 - cx, f64::from(y) + 0.5 - cy);
                let a = (0.5 - d).clamp(0.0, 1.0) as f32;
                self.blend(x, y, color, a);
            }
        }
    }

    /// The canvas as an 8-bit RGB PNG.
    pub fn encode_png(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header()?;
            writer.write_image_data(&self.pixels)?;
        }
        Ok(out)
    }
}

/// The part `[t0, t1]` of segment `a → b` inside `(xmin, ymin, xmax, ymax)` (Liang–Barsky),
/// or `None` when it misses.
fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    (xmin, ymin, xmax, ymax): (f64, f64, f64, f64),
) -> Option<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - xmin),
        (dx, xmax - a.0),
        (-dy, a.1 - ymin),
        (dy, ymax - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if !t.is_finite() {
                return None;
            }
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

/// Per-pixel coverage of one stroke over the clip rectangle, composited at the end.
struct Coverage {
    rect: Rect,
    alpha: Vec<f32>,
    /// Bounding box of touched pixels (inclusive), to composite only what was drawn.
    touched: Option<(i32, i32, i32, i32)>,
}

impl Coverage {
    fn new(rect: Rect) -> Self {
        Self {
            rect,
            alpha: vec![0.0; rect.width() as usize * rect.height() as usize],
            touched: None,
        }
    }

    fn put(&mut self, x: i32, y: i32, a: f32) {
        let r = self.rect;
        if a <= 0.0 || x < r.x0 || x >= r.x1 || y < r.y0 || y >= r.y1 {
            return;
        }
        let i = (y - r.y0) as usize * r.width() as usize + (x - r.x0) as usize;
        if a > self.alpha[i] {
            self.alpha[i] = a;
        }
        self.touched = Some(match self.touched {
            None => (x, y, x, y),
            Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
        });
    }

    /// Adds a capsule of half-width `half` around segment `a → b`, scanning along its major
    /// axis so that only pixels near the segment are visited.
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), half: f64) {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let reach = half + 1.0;
        let steep = dy.abs() > dx.abs();
        // Work in (u, v) = (major, minor) coordinates.
        let (au, av, bu, bv) = if steep {
            (a.1, a.0, b.1, b.0)
        } else {
            (a.0, a.1, b.0, b.1)
        };
        let (du, dv) = (bu - au, bv - av);
        let band = reach * std::f64::consts::SQRT_2 + 1.0;
        let u_lo = (au.min(bu) - reach).floor() as i32;
        let u_hi = (au.max(bu) + reach).ceil() as i32;
        let (clip_u0, clip_u1) = if steep {
            (self.rect.y0, self.rect.y1)
        } else {
            (self.rect.x0, self.rect.x1)
        };
        for iu in u_lo.max(clip_u0 - 1)..=u_hi.min(clip_u1) {
            let pu = f64::from(iu) + 0.5;
            let t = if du == 0.0 {
                0.0
            } else {
                ((pu - au) / du).clamp(0.0, 1.0)
            };
            let cv = av + dv * t;
            let (v_lo, v_hi) = ((cv - band).floor() as i32, (cv + band).ceil() as i32);
            for iv in v_lo..=v_hi {
                let (px, py) = if steep {
                    (f64::from(iv) + 0.5, pu)
                } else {
                    (pu, f64::from(iv) + 0.5)
                };
                // Distance from the pixel centre to the segment.
                let s = if len2 == 0.0 {
                    0.0
                } else {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                };
                let d = (px - (a.0 + dx * s)).hypot(py - (a.1 + dy * s));
                let cov = (half + 0.5 - d).clamp(0.0, 1.0) as f32;
                let (x, y) = if steep { (iv, iu) } else { (iu, iv) };
                self.put(x, y, cov);
            }
        }
    }

    fn composite(&self, canvas: &mut Canvas, color: Rgb) {
        let Some((x0, y0, x1, y1)) = self.touched else {
            return;
        };
        let w = self.rect.width() as usize;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let i = (y - self.rect.y0) as usize * w + (x - self.rect.x0) as usize;
                canvas.blend(x, y, color, self.alpha[i]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_inside_part() {
        let b = (0.0, 0.0, 10.0, 10.0);
        let (t0, t1) = clip_segment((-10.0, 5.0), (20.0, 5.0), b).unwrap();
        assert!((t0 - 1.0 / 3.0).abs() < 1e-12 && (t1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(clip_segment((-10.0, -5.0), (-1.0, -5.0), b), None);
        assert!(clip_segment((1e300, 5.0), (-1e300, 5.0), b).is_some());
    }

    #[test]
    fn strokes_stay_inside_the_clip() {
        let mut c = Canvas::new(40, 40, [255; 3]);
        c.set_clip(Some(Rect::new(10, 10, 30, 30)));
        c.stroke(&[(0.0, 20.0), (40.0, 20.0)], 3.0, [0, 0, 0], None);
        assert_eq!(c.pixel(5, 20), Some([255; 3]));
        assert_eq!(c.pixel(20, 20), Some([0, 0, 0]));
        assert_eq!(c.pixel(35, 20), Some([255; 3]));
    }

    #[test]
    fn dashes_leave_gaps() {
        let mut c = Canvas::new(100, 10, [255; 3]);
        c.stroke(
            &[(0.0, 5.0), (100.0, 5.0)],
            2.0,
            [0, 0, 0],
            Some((6.0, 4.0)),
        );
        let row: Vec<bool> = (0..100).map(|x| c.pixel(x, 5) == Some([0, 0, 0])).collect();
        assert!(row[2] && !row[8] && row[12], "{row:?}");
    }
}
