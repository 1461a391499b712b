//! The device a run trains on, and reading values back from it (always
//! `async`: WebGPU cannot block).

use burn::tensor::{Device, Int, Tensor};

use super::{Backend, RunError};

/// The device for a backend; the GPU one only where the build has it.
pub fn device_for(backend: Backend) -> Result<Device, RunError> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::Wgpu => Err(RunError::Device(
            "this build has no GPU backend; use --backend cpu (the GPU path is built for the browser's WebGPU)".into(),
        )),
    }
}

/// The browser's WebGPU device, initialised asynchronously as WebGPU
/// requires. Returns the device and the adapter's description.
#[cfg(feature = "webgpu")]
pub async fn init_webgpu() -> Result<(Device, String), RunError> {
    use burn::tensor::wgpu::WgpuBackend;
    let (device, setup) = Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
        .map_err(|e| RunError::Device(format!("WebGPU is not available: {e}")))?;
    let name = setup.adapter.get_info().name;
    let label = if name.is_empty() {
        "WebGPU".to_string()
    } else {
        format!("WebGPU ({name})")
    };
    Ok((device, label))
}

/// Reads a float tensor back from the device.
pub async fn read_floats(t: Tensor<1>) -> Vec<f64> {
    let data = t
        .into_data_async()
        .await
        .expect("reading a tensor back from the device failed");
    data.iter::<f64>().collect()
}

pub(super) async fn read_ints(t: Tensor<1, Int>) -> Vec<usize> {
    let data = t
        .into_data_async()
        .await
        .expect("reading a tensor back from the device failed");
    data.iter::<i64>().map(|v| v.max(0) as usize).collect()
}
