//! `dpgan info`: what this build of dpgan runs on.
use serde::Serialize;

/// One CUDA device as libtorch sees it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct CudaDevice {
    pub index: usize,
    pub name: String,
    pub total_memory_bytes: Option<u64>,
}

/// The environment report printed by `dpgan info`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Info {
    pub dpgan_version: String,
    pub libtorch_version: String,
    pub libtorch_path: Option<String>,
    pub cuda_available: bool,
    pub cudnn_available: bool,
    pub cuda_devices: Vec<CudaDevice>,
    pub threads: i32,
}

impl Info {
    /// Queries libtorch. Cheap: no tensor is allocated on a GPU.
    pub fn collect() -> Self {
        let cuda_available = tch::Cuda::is_available();
        let count = if cuda_available {
            usize::try_from(tch::Cuda::device_count()).unwrap_or(0)
        } else {
            0
        };
        let cuda_devices = (0..count).map(cuda_device).collect();
        Self {
            dpgan_version: env!("CARGO_PKG_VERSION").to_string(),
            libtorch_version: libtorch_version(),
            libtorch_path: libtorch_path(),
            cuda_available,
            cudnn_available: tch::Cuda::cudnn_is_available(),
            cuda_devices,
            threads: tch::get_num_threads(),
        }
    }
}

/// The libtorch version, read from the loaded library's own version file when it has one.
fn libtorch_version() -> String {
    let from_file = libtorch_path().and_then(|path| {
        let dir = std::path::Path::new(&path);
        // A PyPI torch folder has version.py; a libtorch zip has build-version.
        let text = std::fs::read_to_string(dir.join("build-version"))
            .or_else(|_| std::fs::read_to_string(dir.join("version.py")))
            .ok()?;
        parse_version(&text)
    });
    from_file.unwrap_or_else(|| "unknown".to_string())
}

fn parse_version(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("__version__") {
            let value = rest.trim_start_matches([' ', ':', '=']).trim();
            let value = value.split('=').next_back().unwrap_or(value).trim();
            return Some(value.trim_matches(['\'', '"']).to_string());
        }
        if !line.is_empty() && line.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            return Some(line.to_string());
        }
    }
    None
}

/// The folder of the libtorch actually loaded into this process (Linux: from /proc/self/maps).
fn libtorch_path() -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .find(|path| path.ends_with("/libtorch_cpu.so"))
        .and_then(|lib| std::path::Path::new(lib).parent()?.parent())
        .map(|dir| dir.display().to_string())
}

fn cuda_device(index: usize) -> CudaDevice {
    // tch exposes no device-properties call; ask the CUDA runtime through a tiny tensor-free path
    // where possible, and fall back to the index alone.
    let (name, total_memory_bytes) = nvidia_smi_device(index).unwrap_or_default();
    CudaDevice {
        index,
        name: if name.is_empty() {
            format!("cuda:{index}")
        } else {
            name
        },
        total_memory_bytes,
    }
}

/// Name and memory of a device from `nvidia-smi`, when it is installed.
fn nvidia_smi_device(index: usize) -> Option<(String, Option<u64>)> {
    let out = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,memory.total",
            "--format=csv,noheader,nounits",
            &format!("--id={index}"),
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.trim().split(',').map(str::trim);
    let name = fields.next()?.to_string();
    let mib = fields.next().and_then(|m| m.parse::<u64>().ok());
    Some((name, mib.map(|m| m * 1024 * 1024)))
}

impl std::fmt::Display for Info {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "dpgan {}", self.dpgan_version)?;
        writeln!(f, "libtorch {}", self.libtorch_version)?;
        if let Some(path) = &self.libtorch_path {
            writeln!(f, "libtorch path {path}")?;
        }
        writeln!(f, "CPU threads {}", self.threads)?;
        if self.cuda_available {
            writeln!(f, "CUDA available, cuDNN {}", self.cudnn_available)?;
            for dev in &self.cuda_devices {
                let mem = dev
                    .total_memory_bytes
                    .map(|b| format!(", {:.1} GiB", b as f64 / (1u64 << 30) as f64))
                    .unwrap_or_default();
                writeln!(f, "  cuda:{} {}{mem}", dev.index, dev.name)?;
            }
            Ok(())
        } else {
            writeln!(f, "CUDA not available (CPU only)")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pypi_version_file() {
        let text = "from typing import Optional\n__version__ = '2.11.0+cu130'\ngit_version = 'x'\n";
        assert_eq!(parse_version(text).as_deref(), Some("2.11.0+cu130"));
    }

    #[test]
    fn parses_libtorch_build_version() {
        assert_eq!(parse_version("2.11.0+cpu\n").as_deref(), Some("2.11.0+cpu"));
    }
}
