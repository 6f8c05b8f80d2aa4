//! Release links of `lifebuoy` on x86-64 Linux place the functions a running
//! node executes first and together (lld's `--symbol-ordering-file`, the
//! linker rustc uses there). Most of a node's resident set is pages of its
//! own executable, faulted in 64 KB at a time, so packing the hot functions
//! roughly halves it (docs/performance.md, "Memory").
//!
//! `hot-symbols.txt` is written by `testnet/bench/hot_symbols.py`. Names that
//! no longer exist (or that this build does not have, such as the C library's
//! in a dynamic build) are skipped silently, so a stale list only costs memory.

fn main() {
    println!("cargo:rerun-if-changed=hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=LIFEBUOY_NO_SYMBOL_ORDERING");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let wanted = var("PROFILE") == "release"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && std::env::var_os("LIFEBUOY_NO_SYMBOL_ORDERING").is_none();
    let list = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    if wanted && libc_has_relr() {
        // Relative relocations packed into a bitmap (DT_RELR): the loader
        // reads a few KB at start instead of 0.4 MB of `.rela.dyn`, which
        // otherwise stays resident (docs/performance.md, "Memory"). Only
        // where the C library handles them (glibc 2.36+): an older loader
        // would refuse to start the binary.
        println!("cargo:rustc-link-arg-bin=lifebuoy=-Wl,-z,pack-relative-relocs");
    }
    if wanted && list.exists() {
        println!(
            "cargo:rustc-link-arg-bin=lifebuoy=-Wl,--symbol-ordering-file={}",
            list.display()
        );
        println!("cargo:rustc-link-arg-bin=lifebuoy=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether this machine's glibc applies packed relative relocations: it
/// defines the symbol version `GLIBC_ABI_DT_RELR` from 2.36 on.
fn libc_has_relr() -> bool {
    const MARK: &[u8] = b"GLIBC_ABI_DT_RELR";
    [
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/libc.so.6",
        "/usr/lib64/libc.so.6",
    ]
    .iter()
    .filter_map(|p| std::fs::read(p).ok())
    .any(|bytes| bytes.windows(MARK.len()).any(|w| w == MARK))
}
