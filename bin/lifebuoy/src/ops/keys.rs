//! `lifebuoy keygen` and `lifebuoy id`: the node's key file.

use std::path::PathBuf;

use anyhow::anyhow;

use super::settings::identity_path;
use super::OpsError;

/// Create a new node identity (Ed25519 key, mode 0600) and print its PeerId.
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the key; refused if the file exists (unless --force).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite an existing key file (the node gets a new PeerId).
    #[arg(long)]
    pub force: bool,
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
