//! `lifebuoy keygen` and `lifebuoy id`: the node's key file, and
//! `lifebuoy keygen --psk`: a cluster's pre-shared key.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use lifebuoy::libp2p::pnet::PreSharedKey;

use super::settings::identity_path;
use super::OpsError;

/// Create a new node identity (Ed25519 key, mode 0600) and print its PeerId,
/// or with --psk a cluster pre-shared key and print its fingerprint.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the key; refused if the file exists (unless --force).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite an existing key file (the node gets a new PeerId).
    #[arg(long)]
    pub force: bool,
    /// Write a random pre-shared key (libp2p /key/swarm/psk/1.0.0/ format) for
    /// `lifebuoy run --psk-file`, instead of a node identity. Copy the file to
    /// every node of the cluster.
    #[arg(long)]
    pub psk: bool,
}

/// Print the PeerId of a key file.
#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The key file [default: DATA_DIR/node.key].
    #[arg(long, value_name = "FILE", env = "LIFEBUOY_IDENTITY")]
    pub identity: Option<PathBuf>,
    /// Data directory holding node.key [default: $XDG_DATA_HOME/lifebuoy or ~/.local/share/lifebuoy].
    #[arg(long, value_name = "DIR", env = "LIFEBUOY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

pub fn keygen(args: KeygenArgs) -> Result<(), OpsError> {
    if args.out.exists() {
        if !args.force {
            return Err(OpsError::Runtime(anyhow!(
                "{} already exists; pass --force to replace it (the node will get a new PeerId)",
                args.out.display()
            )));
        }
        std::fs::remove_file(&args.out)
            .map_err(|e| OpsError::Runtime(anyhow!("cannot remove {}: {e}", args.out.display())))?;
    }
    if args.psk {
        return write_psk(&args.out);
    }
    let kp =
        lifebuoy::load_or_create_identity(&args.out).map_err(|e| OpsError::Runtime(e.into()))?;
    println!("{}", kp.public().to_peer_id());
    eprintln!("wrote a new identity to {}", args.out.display());
    Ok(())
}

pub fn id(args: IdArgs) -> Result<(), OpsError> {
    let path = identity_path(args.identity, args.data_dir);
    let bytes = std::fs::read(&path).map_err(|e| {
        OpsError::Runtime(anyhow!(
            "identity file {}: {e} (create one with `lifebuoy keygen --out {}` or by running `lifebuoy run`)",
            path.display(),
            path.display()
        ))
    })?;
    let kp = lifebuoy::libp2p::identity::Keypair::from_protobuf_encoding(&bytes).map_err(|e| {
        OpsError::Runtime(anyhow!(
            "identity file {} does not hold a valid key: {e}",
            path.display()
        ))
    })?;
    println!("{}", kp.public().to_peer_id());
    Ok(())
}

/// Writes a fresh random pre-shared key, readable by its owner only.
fn write_psk(out: &Path) -> Result<(), OpsError> {
    use std::io::Write as _;
    // 32 bytes from the OS generator, by way of an Ed25519 secret key.
    let secret = lifebuoy::libp2p::identity::ed25519::SecretKey::generate();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(secret.as_ref());
    let psk = PreSharedKey::new(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(out)
        .map_err(|e| OpsError::Runtime(anyhow!("cannot create {}: {e}", out.display())))?;
    writeln!(f, "{psk}")
        .map_err(|e| OpsError::Runtime(anyhow!("cannot write {}: {e}", out.display())))?;
    println!("{}", psk.fingerprint());
    eprintln!(
        "wrote a new pre-shared key to {} (its fingerprint above); copy it to every node and pass --psk-file",
        out.display()
    );
    Ok(())
}
