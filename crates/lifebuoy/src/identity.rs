//! A persistent node identity, so the `PeerId` survives restarts.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use libp2p::identity::Keypair;

/// Why an identity could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the key file failed.
    #[error("identity file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The file does not hold a protobuf-encoded private key.
    #[error("identity file {path} does not hold a valid key: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Loads the Ed25519 keypair stored at `path`, or creates one there (readable
/// only by its owner: mode 0600 on Unix) if the file does not exist. The
/// file holds the libp2p protobuf encoding of the private key. An existing
/// file readable by others is tightened to 0600.
pub fn load_or_create_identity(path: impl AsRef<Path>) -> Result<Keypair, IdentityError> {
    let path = path.as_ref();
    let io_err = |source| IdentityError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            restrict_permissions(path).map_err(io_err)?;
            Keypair::from_protobuf_encoding(&bytes).map_err(|e| IdentityError::Invalid {
                path: path.to_owned(),
                reason: e.to_string(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let kp = Keypair::generate_ed25519();
            let bytes = kp
                .to_protobuf_encoding()
                .map_err(|e| IdentityError::Invalid {
                    path: path.to_owned(),
                    reason: e.to_string(),
                })?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io_err)?;
            }
            // Write beside the target and rename, so a crash never leaves half a key.
            let tmp = path.with_extension("tmp");
            write_private(&tmp, &bytes).map_err(io_err)?;
            std::fs::rename(&tmp, path).map_err(io_err)?;
            tracing::info!(path = %path.display(), peer_id = %kp.public().to_peer_id(), "created a new identity");
            Ok(kp)
        }
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    restrict_permissions(path)?; // an existing tmp file keeps its old mode otherwise
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), mode = format!("{:o}", mode & 0o777), "identity file readable by others; setting 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_created_with_0600_and_loaded_back_with_the_same_peer_id() {
        let dir = std::env::temp_dir().join(format!("lifebuoy-id-{}", std::process::id()));
        let path = dir.join("node.key");
        let _ = std::fs::remove_file(&path);
        let a = load_or_create_identity(&path).expect("create");
        let b = load_or_create_identity(&path).expect("load");
        assert_eq!(a.public().to_peer_id(), b.public().to_peer_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, b"garbage").expect("write");
        assert!(matches!(
            load_or_create_identity(&path),
            Err(IdentityError::Invalid { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
