//! Link-time set-up for the `dpgan` binaries and tests.
//!
//! - Keeps `libtorch_cuda` as a needed library even under `--as-needed`, so that CUDA is
//!   available at run time on machines that have it (tch's own link line loses it otherwise).
//! - Embeds an rpath to the libtorch that was built against, so the binary runs without
//!   `LD_LIBRARY_PATH`. A machine with libtorch elsewhere can still point `LD_LIBRARY_PATH` at it.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-changed=build.rs");
    let Ok(libtorch) = std::env::var("LIBTORCH") else {
        return;
    };
    let lib = PathBuf::from(&libtorch).join("lib");
    let lib = lib.canonicalize().unwrap_or(lib);
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
        if lib.join("libtorch_cuda.so").exists() {
            println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
            println!("cargo:rustc-link-arg=-ltorch_cuda");
            println!("cargo:rustc-link-arg=-Wl,--as-needed");
        }
    }
}
