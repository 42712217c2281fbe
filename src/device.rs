//! Device names (`cpu`, `cuda`, `cuda:N`) as the CLI and configurations give them.
use tch::Device;

use crate::InputError;

/// `cpu`, `cuda` or `cuda:N`.
pub fn parse_device(text: &str) -> anyhow::Result<Device> {
    match text {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Ok(Device::Cuda(0)),
        other => match other.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => Ok(Device::Cuda(n)),
            None => Err(InputError::new(format!(
                "unknown device `{other}`: use cpu, cuda or cuda:N"
            ))
            .into()),
        },
    }
}

/// `cpu`, `cuda` or `cuda:N`, where CUDA is available.
pub fn checked_device(name: &str) -> anyhow::Result<Device> {
    let device = parse_device(name)?;
    if device != Device::Cpu && !tch::Cuda::is_available() {
        return Err(InputError::new(format!("device {name}: CUDA is not available")).into());
    }
    Ok(device)
}
