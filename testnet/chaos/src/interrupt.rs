//! Ctrl-C and SIGTERM: the harness notices at its next tick, returns
//! [`crate::ChaosError::Interrupted`], and its destructors kill the nodes and
//! delete the namespaces.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Whether SIGINT or SIGTERM arrived since [`install`].
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Catches SIGINT and SIGTERM from now on (idempotent). A second signal
/// after the first is handled the same way: the cleanup is already running.
pub fn install() {
    INSTALL.call_once(|| {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("chaos: cannot watch for Ctrl-C ({e}); it will skip the cleanup");
                return;
            }
        };
        // Register the handlers before returning, so no signal is missed.
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new()
            .name("chaos-signals".to_owned())
            .spawn(move || {
                rt.block_on(async move {
                    use tokio::signal::unix::{signal, SignalKind};
                    let (Ok(mut int), Ok(mut term)) = (
                        signal(SignalKind::interrupt()),
                        signal(SignalKind::terminate()),
                    ) else {
                        eprintln!("chaos: cannot watch for Ctrl-C; it will skip the cleanup");
                        let _ = ready_tx.send(());
                        return;
                    };
                    let _ = ready_tx.send(());
                    loop {
                        tokio::select! {
                            _ = int.recv() => {}
                            _ = term.recv() => {}
                        }
                        REQUESTED.store(true, Ordering::Relaxed);
                        eprintln!(
                            "chaos: interrupted; stopping the nodes and removing the namespaces"
                        );
                    }
                })
            });
        if spawned.is_ok() {
            let _ = ready_rx.recv();
        }
    });
}
