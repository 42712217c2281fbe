//! Fashion-MNIST (Xiao, Rasul, Vollgraf 2017), the benchmark of published DP image generators,
//! from Debian's `dataset-fashion-mnist` (IDX files, gzip).
//!
//! Looked for in `$DPGAN_DATA_DIR/fashion-mnist/` (where `scripts/fetch-default-dataset.sh`
//! unpacks the package) and then `/usr/share/datasets/fashion-mnist/` (the package installed).
//! The 60,000 training and 10,000 test images are one dataset, the test images marked as its
//! official test set ([`Dataset::official_test`]); every image is its own subject.
//! Images are scaled from [0, 255] to [−1, 1] and resized to the requested size.
use std::io::Read;
use std::path::{Path, PathBuf};

use super::dataset::{Dataset, LoadOptions, Sample};
use super::error::{DataError, Result};
use super::resize::resize_square;
use super::slicing::Slab;

pub const CLASS_NAMES: [&str; 10] = [
    "t-shirt",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle-boot",
];

/// The folder holding the four IDX files, if any.
pub fn fashion_mnist_dir() -> Option<PathBuf> {
    [
        super::default_dataset::data_dir().join("fashion-mnist"),
        PathBuf::from("/usr/share/datasets/fashion-mnist"),
    ]
    .into_iter()
    .find(|d| d.join("train-images-idx3-ubyte.gz").is_file())
}

pub fn load_fashion_mnist(options: &LoadOptions) -> Result<Dataset> {
    options.validate()?;
    if options.channels != 1 {
        return Err(DataError::BadOption("Fashion-MNIST has one channel".into()));
    }
    let dir = fashion_mnist_dir().ok_or_else(|| {
        DataError::bad_dataset(
            Path::new("fashion-mnist"),
            "not found in data/fashion-mnist or /usr/share/datasets/fashion-mnist: run scripts/fetch-default-dataset.sh",
        )
    })?;
    let mut samples = Vec::new();
    let mut official_test = Vec::new();
    for part in ["train", "t10k"] {
        let images = read_idx(&dir.join(format!("{part}-images-idx3-ubyte.gz")), 3)?;
        let labels = read_idx(&dir.join(format!("{part}-labels-idx1-ubyte.gz")), 1)?;
        let (n, h, w) = (images.0[0], images.0[1], images.0[2]);
        if labels.0[0] != n {
            return Err(DataError::bad_dataset(
                &dir,
                format!("{part}: {n} images but {} labels", labels.0[0]),
            ));
        }
        for i in 0..n {
            let label = usize::from(labels.1[i]);
            if label >= CLASS_NAMES.len() {
                return Err(DataError::bad_dataset(
                    &dir,
                    format!("{part}: label {label}"),
                ));
            }
            let pixels = images.1[i * h * w..(i + 1) * h * w]
                .iter()
                .map(|&p| f32::from(p) / 127.5 - 1.0)
                .collect();
            let slab = Slab {
                pixels,
                channels: 1,
                height: h,
                width: w,
                spacing: (1.0, 1.0),
                index: 0,
            };
            let pixels = if h == options.image_size && w == options.image_size {
                slab.pixels
            } else {
                resize_square(&slab, options.image_size, -1.0).pixels
            };
            if part == "t10k" {
                official_test.push(samples.len());
            }
            samples.push(Sample {
                pixels,
                label,
                subject: format!("{part}-{i:05}"),
            });
        }
    }
    Ok(Dataset {
        samples,
        class_names: CLASS_NAMES.iter().map(|s| s.to_string()).collect(),
        channels: 1,
        height: options.image_size,
        width: options.image_size,
        official_test,
    })
}

/// An IDX file of unsigned bytes with `ndim` dimensions: (dims, data).
fn read_idx(path: &Path, ndim: usize) -> Result<(Vec<usize>, Vec<u8>)> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::io::BufReader::new(file))
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::bad_file(path, format!("truncated or corrupt gzip data ({e})")))?;
    let header = 4 + 4 * ndim;
    if bytes.len() < header || bytes[..4] != [0, 0, 8, ndim as u8] {
        return Err(DataError::bad_file(
            path,
            format!("not an IDX file of unsigned bytes with {ndim} dimensions"),
        ));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|d| {
            let b: [u8; 4] = bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes");
            u32::from_be_bytes(b) as usize
        })
        .collect();
    let count: usize = dims.iter().product();
    if bytes.len() != header + count {
        return Err(DataError::bad_file(
            path,
            format!(
                "truncated: {} data bytes, expected {count}",
                bytes.len() - header
            ),
        ));
    }
    bytes.drain(..header);
    Ok((dims, bytes))
}
