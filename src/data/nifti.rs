//! Reading NIfTI-1 and NIfTI-2 images (`.nii`, `.nii.gz`) into a [`Volume`].
//!
//! NIfTI-1 headers are parsed by the `nifti` crate; it does not read NIfTI-2, whose fixed
//! 540-byte header is parsed here. Both byte orders are detected from the header size field.
//! Voxels are decoded here for both versions (u8, i8, i16, u16, i32, u32, i64, u64, f32, f64)
//! and scaled by `scl_slope`/`scl_inter` as nibabel's `get_fdata` does. Header-only `.hdr/.img`
//! pairs, complex and RGB data are refused with an error naming the file.
use std::io::Read;
use std::path::Path;

use super::error::{DataError, Result};
use super::volume::Volume;

const NIFTI1_MAGIC: &[u8; 4] = b"n+1\0";
const NIFTI1_PAIR_MAGIC: &[u8; 4] = b"ni1\0";
const NIFTI2_MAGIC: &[u8; 8] = b"n+2\0\r\n\x1a\n";

/// What the reader needs from either header version.
#[derive(Debug, Clone, PartialEq)]
struct Header {
    version: u8,
    big_endian: bool,
    dims: Vec<usize>,
    datatype: i16,
    pixdim: [f64; 8],
    vox_offset: u64,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    /// quatern_b, c, d, qoffset_x, y, z
    quatern: [f64; 6],
    srow: [[f64; 4]; 3],
}

/// Reads a `.nii` or `.nii.gz` file (gzip is detected from the content, not the name).
pub fn read_nifti(path: &Path) -> Result<Volume> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| {
                DataError::bad_file(path, format!("truncated or corrupt gzip data ({e})"))
            })?;
        out
    } else {
        raw
    };
    decode(&bytes).map_err(|problem| DataError::bad_file(path, problem))
}

/// Parses a whole uncompressed NIfTI file held in memory.
fn decode(bytes: &[u8]) -> Result<Volume, String> {
    let header = parse_header(bytes)?;
    let count = header
        .dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or("the dimensions overflow")?;
    let size = element_size(header.datatype)?;
    let needed = count.checked_mul(size).ok_or("the dimensions overflow")?;
    let start = usize::try_from(header.vox_offset).map_err(|_| "vox_offset is too large")?;
    let available = bytes.len().saturating_sub(start);
    if available < needed {
        return Err(format!(
            "truncated: {available} bytes of voxel data after offset {start}, the header needs {needed}"
        ));
    }
    let mut voxels = decode_voxels(
        &bytes[start..start + needed],
        header.datatype,
        header.big_endian,
    );
    apply_scaling(&mut voxels, header.scl_slope, header.scl_inter);
    Ok(Volume {
        affine: best_affine(&header),
        dims: header.dims,
        voxels,
        datatype: header.datatype,
        nifti_version: header.version,
        big_endian: header.big_endian,
    })
}

fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    if bytes.len() < 4 {
        return Err(format!("not a NIfTI file: only {} bytes long", bytes.len()));
    }
    let first: [u8; 4] = bytes[..4].try_into().expect("4 bytes");
    let (version, big_endian) = match (i32::from_le_bytes(first), i32::from_be_bytes(first)) {
        (348, _) => (1, false),
        (_, 348) => (1, true),
        (540, _) => (2, false),
        (_, 540) => (2, true),
        (le, _) => {
            return Err(format!(
            "not a NIfTI file: wrong magic (header size field {le}; NIfTI-1 has 348, NIfTI-2 540)"
        ))
        }
    };
    let header = if version == 1 {
        parse_nifti1(bytes)?
    } else {
        parse_nifti2(bytes, big_endian)?
    };
    validate(&header)?;
    Ok(header)
}

fn parse_nifti1(bytes: &[u8]) -> Result<Header, String> {
    if bytes.len() < 352 {
        return Err(format!(
            "truncated: {} bytes, a NIfTI-1 header needs 348",
            bytes.len()
        ));
    }
    let magic = &bytes[344..348];
    if magic == NIFTI1_PAIR_MAGIC {
        return Err(
            "is the header of a .hdr/.img pair; dpgan reads single-file .nii/.nii.gz only".into(),
        );
    }
    if magic != NIFTI1_MAGIC {
        return Err(format!(
            "not a NIfTI file: wrong magic {:?} (NIfTI-1 needs \"n+1\\0\")",
            String::from_utf8_lossy(magic)
        ));
    }
    let h = nifti::NiftiHeader::from_reader(bytes)
        .map_err(|e| format!("unreadable NIfTI-1 header ({e})"))?;
    let ndim = usize::from(h.dim[0]);
    if !(1..=7).contains(&ndim) {
        return Err(format!("dim[0] = {ndim} is not between 1 and 7"));
    }
    let mut pixdim = [0.0; 8];
    for (p, v) in pixdim.iter_mut().zip(h.pixdim) {
        *p = f64::from(v);
    }
    let row = |r: [f32; 4]| r.map(f64::from);
    Ok(Header {
        version: 1,
        big_endian: h.endianness == nifti::Endianness::Big,
        dims: h.dim[1..=ndim].iter().map(|&d| usize::from(d)).collect(),
        datatype: h.datatype,
        pixdim,
        vox_offset: h.vox_offset.max(0.0) as u64,
        scl_slope: f64::from(h.scl_slope),
        scl_inter: f64::from(h.scl_inter),
        qform_code: i32::from(h.qform_code),
        sform_code: i32::from(h.sform_code),
        quatern: [
            h.quatern_b,
            h.quatern_c,
            h.quatern_d,
            h.quatern_x,
            h.quatern_y,
            h.quatern_z,
        ]
        .map(f64::from),
        srow: [row(h.srow_x), row(h.srow_y), row(h.srow_z)],
    })
}

/// The NIfTI-2 header: fixed layout, 540 bytes (nifti2.h).
fn parse_nifti2(bytes: &[u8], big_endian: bool) -> Result<Header, String> {
    if bytes.len() < 544 {
        return Err(format!(
            "truncated: {} bytes, a NIfTI-2 header needs 540",
            bytes.len()
        ));
    }
    if &bytes[4..12] != NIFTI2_MAGIC {
        return Err(format!(
            "not a NIfTI file: wrong magic {:?} (NIfTI-2 needs \"n+2\\0\\r\\n\\x1a\\n\")",
            String::from_utf8_lossy(&bytes[4..12])
        ));
    }
    let b8 = |o: usize| -> [u8; 8] { bytes[o..o + 8].try_into().expect("8 bytes") };
    let b4 = |o: usize| -> [u8; 4] { bytes[o..o + 4].try_into().expect("4 bytes") };
    let i64_at = |o| {
        if big_endian {
            i64::from_be_bytes(b8(o))
        } else {
            i64::from_le_bytes(b8(o))
        }
    };
    let f64_at = |o| {
        if big_endian {
            f64::from_be_bytes(b8(o))
        } else {
            f64::from_le_bytes(b8(o))
        }
    };
    let i32_at = |o| {
        if big_endian {
            i32::from_be_bytes(b4(o))
        } else {
            i32::from_le_bytes(b4(o))
        }
    };
    let datatype = {
        let b = [bytes[12], bytes[13]];
        if big_endian {
            i16::from_be_bytes(b)
        } else {
            i16::from_le_bytes(b)
        }
    };
    let ndim = i64_at(16);
    if !(1..=7).contains(&ndim) {
        return Err(format!("dim[0] = {ndim} is not between 1 and 7"));
    }
    let mut dims = Vec::new();
    for i in 1..=ndim as usize {
        let d = i64_at(16 + 8 * i);
        dims.push(usize::try_from(d).map_err(|_| format!("dim[{i}] = {d} is negative"))?);
    }
    let mut pixdim = [0.0; 8];
    for (i, p) in pixdim.iter_mut().enumerate() {
        *p = f64_at(104 + 8 * i);
    }
    let vox_offset = i64_at(168);
    let row = |o: usize| [f64_at(o), f64_at(o + 8), f64_at(o + 16), f64_at(o + 24)];
    Ok(Header {
        version: 2,
        big_endian,
        dims,
        datatype,
        pixdim,
        vox_offset: u64::try_from(vox_offset)
            .map_err(|_| format!("vox_offset = {vox_offset} is negative"))?,
        scl_slope: f64_at(176),
        scl_inter: f64_at(184),
        qform_code: i32_at(344),
        sform_code: i32_at(348),
        quatern: [
            f64_at(352),
            f64_at(360),
            f64_at(368),
            f64_at(376),
            f64_at(384),
            f64_at(392),
        ],
        srow: [row(400), row(432), row(464)],
    })
}

fn validate(h: &Header) -> Result<(), String> {
    if let Some(i) = h.dims.iter().position(|&d| d == 0) {
        return Err(format!("dim[{}] is 0: the image is empty", i + 1));
    }
    element_size(h.datatype)?;
    Ok(())
}

/// Bytes per voxel of the datatypes dpgan reads; an error naming any other.
fn element_size(datatype: i16) -> Result<usize, String> {
    Ok(match datatype {
        2 | 256 => 1,
        4 | 512 => 2,
        8 | 16 | 768 => 4,
        64 | 1024 | 1280 => 8,
        other => {
            let name = match other {
                0 => "unknown",
                1 => "binary",
                32 => "complex64",
                128 => "rgb24",
                1536 => "float128",
                1792 => "complex128",
                2048 => "complex256",
                2304 => "rgba32",
                _ => "not a NIfTI datatype",
            };
            return Err(format!(
                "unsupported datatype {other} ({name}); dpgan reads u8, i8, i16, u16, i32, u32, i64, u64, f32 and f64"
            ));
        }
    })
}

fn decode_voxels(data: &[u8], datatype: i16, big_endian: bool) -> Vec<f32> {
    macro_rules! each {
        ($t:ty, $n:literal) => {
            data.chunks_exact($n)
                .map(|c| {
                    let b: [u8; $n] = c.try_into().expect("chunk size");
                    (if big_endian {
                        <$t>::from_be_bytes(b)
                    } else {
                        <$t>::from_le_bytes(b)
                    }) as f32
                })
                .collect()
        };
    }
    match datatype {
        2 => data.iter().map(|&b| f32::from(b)).collect(),
        256 => data.iter().map(|&b| f32::from(b as i8)).collect(),
        4 => each!(i16, 2),
        512 => each!(u16, 2),
        8 => each!(i32, 4),
        768 => each!(u32, 4),
        16 => each!(f32, 4),
        64 => each!(f64, 8),
        1024 => each!(i64, 8),
        1280 => each!(u64, 8),
        _ => unreachable!("validated by element_size"),
    }
}

/// nibabel's rule: a slope of 0 or a non-finite slope/intercept means "no scaling".
fn apply_scaling(voxels: &mut [f32], slope: f64, inter: f64) {
    if slope == 0.0 || !slope.is_finite() || !inter.is_finite() || (slope == 1.0 && inter == 0.0) {
        return;
    }
    for v in voxels {
        *v = (f64::from(*v) * slope + inter) as f32;
    }
}

/// The affine as nibabel's `get_best_affine`: sform, else qform, else centred diagonal.
fn best_affine(h: &Header) -> [[f64; 4]; 4] {
    if h.sform_code > 0 {
        let [x, y, z] = h.srow;
        return [x, y, z, [0.0, 0.0, 0.0, 1.0]];
    }
    let zoom = |i: usize| {
        let p = h.pixdim[i];
        if p == 0.0 || !p.is_finite() {
            1.0
        } else {
            p
        }
    };
    if h.qform_code > 0 {
        let [b, c, d, qx, qy, qz] = h.quatern;
        let mut a = 1.0 - (b * b + c * c + d * d);
        let (b, c, d) = if a < 0.0 {
            // Not a unit quaternion: normalise (b, c, d) and take a = 0, as nifti1_io does.
            let n = (b * b + c * c + d * d).sqrt();
            a = 0.0;
            (b / n, c / n, d / n)
        } else {
            a = a.sqrt();
            (b, c, d)
        };
        let r = [
            [
                a * a + b * b - c * c - d * d,
                2.0 * (b * c - a * d),
                2.0 * (b * d + a * c),
            ],
            [
                2.0 * (b * c + a * d),
                a * a + c * c - b * b - d * d,
                2.0 * (c * d - a * b),
            ],
            [
                2.0 * (b * d - a * c),
                2.0 * (c * d + a * b),
                a * a + d * d - c * c - b * b,
            ],
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let s = [zoom(1), zoom(2), zoom(3) * qfac];
        let t = [qx, qy, qz];
        let mut m = [[0.0; 4]; 4];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = r[i][j] * s[j];
            }
            m[i][3] = t[i];
        }
        m[3][3] = 1.0;
        return m;
    }
    let dim = |i: usize| h.dims.get(i).copied().unwrap_or(1) as f64;
    let s = [-zoom(1), zoom(2), zoom(3)];
    let mut m = [[0.0; 4]; 4];
    for i in 0..3 {
        m[i][i] = s[i];
        m[i][3] = -(dim(i) - 1.0) / 2.0 * s[i];
    }
    m[3][3] = 1.0;
    m
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A NIfTI-1 file in memory: datatype, dims, voxel bytes (already in the byte order asked).
    pub(crate) fn nifti1_bytes(
        datatype: i16,
        dims: &[u16],
        data: &[u8],
        big_endian: bool,
    ) -> Vec<u8> {
        let mut h = vec![0u8; 352];
        let put16 = |h: &mut Vec<u8>, o: usize, v: i16| {
            let b = if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            h[o..o + 2].copy_from_slice(&b);
        };
        let put32f = |h: &mut Vec<u8>, o: usize, v: f32| {
            let b = if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            h[o..o + 4].copy_from_slice(&b);
        };
        let size = if big_endian {
            348i32.to_be_bytes()
        } else {
            348i32.to_le_bytes()
        };
        h[0..4].copy_from_slice(&size);
        put16(&mut h, 40, dims.len() as i16);
        for (i, &d) in dims.iter().enumerate() {
            put16(&mut h, 42 + 2 * i, d as i16);
        }
        put16(&mut h, 70, datatype);
        for i in 0..8 {
            put32f(&mut h, 76 + 4 * i, 1.0);
        }
        put32f(&mut h, 108, 352.0);
        put32f(&mut h, 112, 2.0); // scl_slope
        put32f(&mut h, 116, 1.0); // scl_inter
        h[344..348].copy_from_slice(NIFTI1_MAGIC);
        h.extend_from_slice(data);
        h
    }

    #[test]
    fn reads_i16_in_both_byte_orders_with_scaling() {
        let values: [i16; 8] = [-3, 0, 1, 2, 300, -300, 7, 8];
        for big in [false, true] {
            let data: Vec<u8> = values
                .iter()
                .flat_map(|v| {
                    if big {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    }
                })
                .collect();
            let v = decode(&nifti1_bytes(4, &[2, 2, 2], &data, big)).unwrap();
            assert_eq!(v.big_endian, big);
            assert_eq!(v.dims, vec![2, 2, 2]);
            let want: Vec<f32> = values.iter().map(|&x| f32::from(x) * 2.0 + 1.0).collect();
            assert_eq!(v.voxels, want);
        }
    }

    #[test]
    fn reads_u8_i32_f64() {
        let v = decode(&nifti1_bytes(2, &[2, 1, 1], &[0, 255], false)).unwrap();
        assert_eq!(v.voxels, vec![1.0, 511.0]);
        let data: Vec<u8> = [-5i32, 9].iter().flat_map(|v| v.to_be_bytes()).collect();
        let v = decode(&nifti1_bytes(8, &[2], &data, true)).unwrap();
        assert_eq!(v.voxels, vec![-9.0, 19.0]);
        let data: Vec<u8> = [0.25f64, -1.5]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let v = decode(&nifti1_bytes(64, &[1, 2], &data, false)).unwrap();
        assert_eq!(v.voxels, vec![1.5, -2.0]);
    }

    #[test]
    fn wrong_magic_is_named() {
        let mut b = nifti1_bytes(2, &[1], &[0], false);
        b[344..348].copy_from_slice(b"abcd");
        assert!(decode(&b).unwrap_err().contains("wrong magic"));
        assert!(decode(b"hello world, not nifti")
            .unwrap_err()
            .contains("wrong magic"));
    }

    #[test]
    fn unsupported_datatype_is_named() {
        let err = decode(&nifti1_bytes(32, &[1], &[0; 8], false)).unwrap_err();
        assert!(err.contains("unsupported datatype 32 (complex64)"), "{err}");
    }

    #[test]
    fn truncated_data_is_reported() {
        let err = decode(&nifti1_bytes(4, &[4, 4], &[0; 10], false)).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn qform_with_negative_qfac_flips_k() {
        let h = Header {
            version: 1,
            big_endian: false,
            dims: vec![2, 2, 2],
            datatype: 2,
            pixdim: [-1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0],
            vox_offset: 352,
            scl_slope: 0.0,
            scl_inter: 0.0,
            qform_code: 1,
            sform_code: 0,
            quatern: [0.0, 0.0, 0.0, 10.0, 20.0, 30.0],
            srow: [[0.0; 4]; 3],
        };
        let m = best_affine(&h);
        assert_eq!(m[0], [2.0, 0.0, 0.0, 10.0]);
        assert_eq!(m[1], [0.0, 3.0, 0.0, 20.0]);
        assert_eq!(m[2], [0.0, 0.0, -4.0, 30.0]);
    }
}
