//! Writes `include/deploygov.h` with cbindgen (configuration in `cbindgen.toml`). The header is
//! committed; `ffi/test.sh` rebuilds and fails if it drifted.

use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    // An SONAME, so programs linked against the installed library by path record only its name.
    // Unversioned while the ABI is 0.x (see docs/c-api.md).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdeploygov.so");
    }
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))?;
    let include = crate_dir.join("..").join("include");
    std::fs::create_dir_all(&include)?;
    // `write_to_file` rewrites the file only when its content changes.
    cbindgen::generate_with_config(&crate_dir, config)?.write_to_file(include.join("deploygov.h"));
    Ok(())
}
