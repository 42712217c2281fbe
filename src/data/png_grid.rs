//! A PNG grid of example images: one row per class, written atomically (temporary file, then
//! rename), 8-bit greyscale, values in [−1, 1] mapped to 0–255.
use std::path::Path;

use super::dataset::Dataset;
use super::error::{DataError, Result};

const GAP: usize = 2;

/// Writes up to `per_class` examples of each class (spread evenly over the class's samples, the
/// middle channel of each) to `path`. Returns the image's (width, height).
pub fn write_class_grid(
    dataset: &Dataset,
    per_class: usize,
    path: &Path,
) -> Result<(usize, usize)> {
    let (h, w) = (dataset.height, dataset.width);
    let plane = h * w;
    let rows = dataset.class_names.len();
    let cols = per_class.max(1);
    let (width, height) = (cols * (w + GAP) + GAP, rows * (h + GAP) + GAP);
    let mut image = vec![40u8; width * height];
    for class in 0..rows {
        let members: Vec<usize> = (0..dataset.samples.len())
            .filter(|&i| dataset.samples[i].label == class)
            .collect();
        let shown = members.len().min(cols);
        for col in 0..shown {
            let sample = &dataset.samples[members[col * members.len() / shown]];
            let middle = dataset.channels / 2;
            let pixels = &sample.pixels[middle * plane..(middle + 1) * plane];
            let (x0, y0) = (GAP + col * (w + GAP), GAP + class * (h + GAP));
            for r in 0..h {
                for c in 0..w {
                    let v = ((pixels[r * w + c].clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8;
                    image[(y0 + r) * width + x0 + c] = v;
                }
            }
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".partial-{}-{name}", std::process::id()));
    let write = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let mut encoder = png::Encoder::new(file, width as u32, height as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&image)?;
        writer.finish()?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DataError::bad_file(path, format!("could not write PNG ({e})"))
    })?;
    std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))?;
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::Sample;

    #[test]
    fn one_row_per_class() {
        let samples = (0..6)
            .map(|i| Sample {
                pixels: vec![if i % 3 == 0 { 1.0 } else { -1.0 }; 16],
                label: i % 3,
                subject: "s".into(),
            })
            .collect();
        let d = Dataset {
            samples,
            class_names: vec!["a".into(), "b".into(), "c".into()],
            channels: 1,
            height: 4,
            width: 4,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.png");
        let (w, h) = write_class_grid(&d, 2, &path).unwrap();
        assert_eq!((w, h), (2 * 6 + 2, 3 * 6 + 2));
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        assert_eq!(buf[2 * w + 2], 255); // class a is white
        assert_eq!(buf[(2 + 6) * w + 2], 0); // class b is black
    }
}
