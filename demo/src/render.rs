//! What a simulated camera sees: a picture in the camera's own background
//! colour, with its name, a UTC clock, the frame number and moving content
//! (a bright disc and a sweeping bar), encoded as JPEG.
//!
//! The background colour identifies the camera: moving content and text
//! never touch [`PLAIN_POINTS`], so a test can tell which camera a picture
//! came from by reading a few pixels (the end-to-end test does exactly that
//! on the page's canvases).

use jpeg_encoder::{ColorType, Encoder, EncodingError};

use crate::font::{self, GLYPH_H};

pub const WIDTH: usize = 480;
pub const HEIGHT: usize = 270;
pub const JPEG_QUALITY: u8 = 80;

/// Pixels that always show the background colour (shaded, never covered);
/// `/api/cameras` tells them to the end-to-end test.
pub const PLAIN_POINTS: [(usize, usize); 4] = [
    (6, HEIGHT / 2),
    (WIDTH - 7, HEIGHT / 2),
    (WIDTH / 2, 5),
    (WIDTH / 2, HEIGHT - 6),
];

/// Moving content stays inside this box (x0, y0, x1, y1), clear of the
/// plain points and the text.
const STAGE: (f64, f64, f64, f64) = (40.0, 56.0, (WIDTH - 40) as f64, (HEIGHT - 48) as f64);

const WHITE: [u8; 3] = [245, 245, 245];

/// An RGB picture, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    rgb: Vec<u8>,
}

/// `colour` mixed with white: 0.0 is `colour`, 1.0 is white.
fn tint(colour: [u8; 3], towards_white: f64) -> [u8; 3] {
    colour.map(|c| (f64::from(c) + (255.0 - f64::from(c)) * towards_white).round() as u8)
}

/// `colour` times `factor` (darker below 1.0), clamped.
pub fn shade(colour: [u8; 3], factor: f64) -> [u8; 3] {
    colour.map(|c| (f64::from(c) * factor).round().clamp(0.0, 255.0) as u8)
}

impl Picture {
    fn filled(background: [u8; 3]) -> Picture {
        let mut rgb = Vec::with_capacity(WIDTH * HEIGHT * 3);
        for y in 0..HEIGHT {
            // Solid-ish: a gentle light-to-dark fall-off, and a darker floor.
            let factor = 1.08 - 0.16 * y as f64 / HEIGHT as f64;
            let factor = if y >= HEIGHT * 3 / 4 {
                factor * 0.8
            } else {
                factor
            };
            let row = shade(background, factor);
            for _ in 0..WIDTH {
                rgb.extend_from_slice(&row);
            }
        }
        Picture { rgb }
    }

    /// The colour at (`x`, `y`), if inside the picture.
    #[cfg(test)]
    pub fn pixel(&self, x: usize, y: usize) -> Option<[u8; 3]> {
        if x >= WIDTH || y >= HEIGHT {
            return None;
        }
        let i = (y * WIDTH + x) * 3;
        self.rgb.get(i..i + 3).and_then(|p| p.try_into().ok())
    }

    /// Applies `f` to every pixel of the rectangle, clipped to the picture.
    fn each(&mut self, x: usize, y: usize, w: usize, h: usize, f: impl Fn([u8; 3]) -> [u8; 3]) {
        for py in y..(y + h).min(HEIGHT) {
            for px in x..(x + w).min(WIDTH) {
                let i = (py * WIDTH + px) * 3;
                if let Some(p) = self.rgb.get_mut(i..i + 3) {
                    let new = f([p[0], p[1], p[2]]);
                    p.copy_from_slice(&new);
                }
            }
        }
    }

    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
        self.each(x, y, w, h, |_| colour);
    }

    fn disc(&mut self, cx: f64, cy: f64, r: f64, colour: [u8; 3]) {
        let x0 = (cx - r).floor().max(0.0) as usize;
        let y0 = (cy - r).floor().max(0.0) as usize;
        let side = (2.0 * r).ceil() as usize + 1;
        for py in y0..(y0 + side).min(HEIGHT) {
            for px in x0..(x0 + side).min(WIDTH) {
                let (dx, dy) = (px as f64 + 0.5 - cx, py as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.fill(px, py, 1, 1, colour);
                }
            }
        }
    }

    fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, colour: [u8; 3]) {
        for (i, c) in text.chars().enumerate() {
            let gx = x + i * font::ADVANCE * scale;
            for row in 0..GLYPH_H {
                for col in 0..font::GLYPH_W {
                    if font::is_set(c, col, row) {
                        self.fill(gx + col * scale, y + row * scale, scale, scale, colour);
                    }
                }
            }
        }
    }

    /// `text` on a darkened box whose top-left corner is (`x`, `y`).
    fn label(&mut self, x: usize, y: usize, scale: usize, text: &str) -> (usize, usize) {
        let pad = 4 * scale;
        let (w, h) = (
            font::text_width(text, scale) + 2 * pad,
            GLYPH_H * scale + 2 * pad,
        );
        self.each(x, y, w, h, |p| shade(p, 0.35));
        self.text(x + pad, y + pad, scale, text, WHITE);
        (w, h)
    }

    /// The picture as a baseline JPEG.
    pub fn jpeg(&self) -> Result<Vec<u8>, EncodingError> {
        let mut out = Vec::with_capacity(32 * 1024);
        Encoder::new(&mut out, JPEG_QUALITY).encode(
            &self.rgb,
            WIDTH as u16,
            HEIGHT as u16,
            ColorType::Rgb,
        )?;
        Ok(out)
    }
}

fn label_width(text: &str, scale: usize) -> usize {
    font::text_width(text, scale) + 8 * scale
}

/// `15:26:52.4 UTC`: the time of day of `now_us` (µs since the Unix epoch,
/// whose days are all 86,400 s long).
pub fn clock(now_us: u64) -> String {
    let tenths = now_us / 100_000;
    let seconds = tenths / 10;
    format!(
        "{:02}:{:02}:{:02}.{} UTC",
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
        tenths % 10
    )
}

/// Frame `frame_no` of the camera called `name` with background `colour`,
/// captured at `now_us`.
pub fn picture(name: &str, colour: [u8; 3], frame_no: u64, now_us: u64) -> Picture {
    let mut p = Picture::filled(colour);
    // Each camera's scene runs on its own phase, so no two move in step.
    let phase = name.bytes().map(f64::from).sum::<f64>();
    let t = (now_us % 3_600_000_000) as f64 / 1e6 + phase;
    let (x0, y0, x1, y1) = STAGE;

    // A bar sweeping left to right every 4 s.
    let bar_w = 10.0;
    let bar_x = x0 + (t / 4.0).fract() * (x1 - x0 - bar_w);
    p.fill(
        bar_x as usize,
        y0 as usize,
        bar_w as usize,
        (y1 - y0) as usize,
        tint(colour, 0.35),
    );
    // A bright disc drifting on a Lissajous path.
    let r = 24.0;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (ax, ay) = ((x1 - x0) / 2.0 - r, (y1 - y0) / 2.0 - r);
    p.disc(
        cx + ax * (t * 0.9).sin(),
        cy + ay * (t * 1.7).sin(),
        r,
        tint(colour, 0.8),
    );

    p.label(10, 10, 3, &name.to_ascii_uppercase());
    let number = format!("#{frame_no}");
    p.label(WIDTH - 10 - label_width(&number, 2), 14, 2, &number);
    let time = clock(now_us);
    let time_h = GLYPH_H * 2 + 16;
    p.label(
        WIDTH - 10 - label_width(&time, 2),
        HEIGHT - 10 - time_h,
        2,
        &time,
    );
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLUE: [u8; 3] = [38, 84, 200];
    const T: u64 = 1_700_000_000_000_000;

    /// Whether `p` is `colour` times some factor in 0.7..=1.1.
    fn is_shade_of(p: [u8; 3], colour: [u8; 3]) -> bool {
        (70..=110).any(|f| {
            let s = shade(colour, f64::from(f) / 100.0);
            p.iter().zip(s).all(|(a, b)| a.abs_diff(b) <= 1)
        })
    }

    #[test]
    fn the_plain_points_always_show_the_background() {
        for i in 0..200u64 {
            let now = T + i * 137_000;
            let p = picture("Nursery", BLUE, 123_456, now);
            for (x, y) in PLAIN_POINTS {
                let px = p.pixel(x, y).unwrap();
                assert!(is_shade_of(px, BLUE), "({x},{y}) is {px:?} at {now}");
            }
        }
    }

    #[test]
    fn content_moves_and_the_clock_ticks() {
        let a = picture("Porch", BLUE, 1, T);
        let b = picture("Porch", BLUE, 1, T + 200_000);
        assert_ne!(a, b);
        assert_eq!(clock(T), "22:13:20.0 UTC");
        assert_eq!(clock(T + 4_250_000), "22:13:24.2 UTC");
        assert_eq!(clock(86_399_950_000), "23:59:59.9 UTC");
        assert_eq!(clock(86_400_000_000), "00:00:00.0 UTC");
        // The clock's digits are drawn: its box differs between seconds.
        let c = picture("Porch", BLUE, 1, T + 1_000_000);
        let clock_row = 244; // the middle row of the clock's digits
        let differs = (WIDTH / 2..WIDTH).any(|x| a.pixel(x, clock_row) != c.pixel(x, clock_row));
        assert!(differs);
    }

    #[test]
    fn the_name_is_white_on_a_dark_box() {
        let p = picture("Garage", BLUE, 1, T);
        // Top-left pixel of the 'G' at scale 3: glyph column 1 of row 0.
        assert_eq!(p.pixel(22 + 3, 22), Some(WHITE));
        assert_eq!(
            p.pixel(12, 12),
            Some(shade(shade(BLUE, 1.08 - 0.16 * 12.0 / 270.0), 0.35))
        );
    }

    #[test]
    fn encodes_a_jpeg() {
        let jpeg = picture("Nursery", BLUE, 7, T).jpeg().unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(jpeg.ends_with(&[0xFF, 0xD9]));
        assert!(
            (2_000..200_000).contains(&jpeg.len()),
            "{} bytes",
            jpeg.len()
        );
    }
}
