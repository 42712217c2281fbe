//! The preview grid of a dataset: one row per class, labelled, drawn by
//! [`crate::picture::encode_labelled_grid`] and
//! written atomically.
use std::path::Path;

use super::dataset::Dataset;
use super::error::{DataError, Result};

/// Writes up to `per_class` examples of each class (spread evenly over the class's samples, the
/// middle channel of each) to `path`. Returns the image's (width, height).
pub fn write_class_grid(
    dataset: &Dataset,
    per_class: usize,
    path: &Path,
) -> Result<(usize, usize)> {
    let (h, w) = (dataset.height, dataset.width);
    let plane = h * w;
    let cols = per_class.max(1);
    let middle = dataset.channels / 2;
    let mut tiles: Vec<Option<&[f32]>> = Vec::new();
    for class in 0..dataset.class_names.len() {
        let members: Vec<usize> = (0..dataset.samples.len())
            .filter(|&i| dataset.samples[i].label == class)
            .collect();
        let shown = members.len().min(cols);
        for col in 0..cols {
            tiles.push((col < shown).then(|| {
                let sample = &dataset.samples[members[col * members.len() / shown]];
                &sample.pixels[middle * plane..(middle + 1) * plane]
            }));
        }
    }
    let bytes = crate::picture::encode_labelled_grid(&tiles, h, w, cols, &dataset.class_names)
        .map_err(|e| DataError::bad_file(path, format!("could not draw the grid ({e})")))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
    }
    crate::files::write_atomic(path, &bytes)
        .map_err(|e| DataError::bad_file(path, format!("could not write PNG ({e:#})")))?;
    Ok(crate::picture::grid_size(
        tiles.len(),
        h,
        w,
        cols,
        &dataset.class_names,
    ))
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
            official_test: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.png");
        let (w, h) = write_class_grid(&d, 2, &path).unwrap();
        // 4 × 4 images shown at 64 × 64, 2 px apart, after a column of class names
        let left = w - (2 * 64 + 3 * 2);
        assert!((10..40).contains(&left), "{left} px of labels");
        assert_eq!(h, 3 * 64 + 4 * 2);
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut buf).unwrap();
        assert_eq!(buf[2 * w + left + 2], 255); // class a is white
        assert_eq!(buf[(2 + 64 + 2) * w + left + 2], 0); // class b is black
    }
}
