//! One real `lifebuoy run` process in its namespace, and the thread that
//! reads its `--events-json` stream.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::SyncSender;
use std::time::Instant;

use rustix::process::{kill_process, Pid, Signal};

use crate::ChaosError;

/// What every node process is started with.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `lifebuoy` binary.
    pub binary: PathBuf,
    /// `--profile`.
    pub profile: String,
    /// Where the data directories and logs go.
    pub dir: PathBuf,
    /// libfaketime's preload library, when clocks are skewed.
    pub faketime_lib: Option<PathBuf>,
}

/// One membership change a node printed, stamped when the harness read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// When the harness read it.
    pub at: Instant,
    /// The node that printed it.
    pub observer: usize,
    /// Which start of that node printed it (0 first, +1 per restart).
    pub generation: u32,
    /// `join`, `leave`, `update` or `suspect`.
    pub ev: String,
    /// The member's name.
    pub member: String,
    /// The member's PeerId.
    pub peer_id: String,
    /// `alive`, `suspect`, `dead` or `left`.
    pub state: String,
}

/// Parses one `--events-json` line.
pub fn parse_line(
    text: &str,
    at: Instant,
    observer: usize,
    generation: u32,
) -> Result<Line, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e}): {text}"))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("no string field `{k}`: {text}"))
    };
    Ok(Line {
        at,
        observer,
        generation,
        ev: field("ev")?,
        member: field("node")?,
        peer_id: field("peer_id")?,
        state: field("state")?,
    })
}

/// A running (or stopped) node process that this harness started.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    /// Set while SIGSTOPped.
    pub paused: bool,
}

impl Proc {
    /// Starts node `index` named `name` in namespace `ns`, listening on
    /// `listen` and joining through `bootstrap`; its event lines go to `tx`.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        launch: &Launch,
        ns: &str,
        index: usize,
        generation: u32,
        listen: &str,
        bootstrap: &[String],
        faketime: Option<&str>,
        tx: SyncSender<Line>,
    ) -> Result<Proc, ChaosError> {
        let name = format!("n{index}");
        let data = launch.dir.join(&name);
        std::fs::create_dir_all(&data).map_err(|e| io_err(&data, e))?;
        let log_path = launch.dir.join(format!("{name}.{generation}.log"));
        let log = File::create(&log_path).map_err(|e| io_err(&log_path, e))?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]);
        if let (Some(lib), Some(spec)) = (&launch.faketime_lib, faketime) {
            cmd.arg("env")
                .arg(format!("LD_PRELOAD={}", lib.display()))
                .arg(format!("FAKETIME={spec}"))
                .arg("FAKETIME_NO_CACHE=1");
        }
        cmd.arg(&launch.binary)
            .args(["run", "--name", &name, "--listen", listen])
            .args(["--api", "127.0.0.1:7373", "--profile", &launch.profile])
            .arg("--data-dir")
            .arg(&data)
            .args(["--events-json", "--log-format", "json"]);
        for b in bootstrap {
            cmd.args(["--bootstrap", b]);
        }
        cmd.env("RUST_LOG", "info")
            .env_remove("LIFEBUOY_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        let mut child = cmd.spawn().map_err(|e| ChaosError::Command {
            cmd: format!("{cmd:?}"),
            reason: e.to_string(),
        })?;
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for text in BufReader::new(out).lines().map_while(Result::ok) {
                    match parse_line(&text, Instant::now(), index, generation) {
                        Ok(line) => {
                            if tx.send(line).is_err() {
                                return;
                            }
                        }
                        Err(e) => eprintln!("chaos: n{index}: {e}"),
                    }
                }
            });
        }
        Ok(Proc {
            child,
            paused: false,
        })
    }

    fn signal(&self, sig: Signal) -> Result<(), ChaosError> {
        let pid = Pid::from_raw(self.child.id() as i32).ok_or_else(|| ChaosError::Command {
            cmd: "kill".to_owned(),
            reason: "no process id".to_owned(),
        })?;
        kill_process(pid, sig).map_err(|e| ChaosError::Command {
            cmd: format!("kill -{sig:?} {}", self.child.id()),
            reason: e.to_string(),
        })
    }

    /// SIGSTOP: the process freezes, packets queue up in its sockets.
    pub fn pause(&mut self) -> Result<(), ChaosError> {
        self.signal(Signal::STOP)?;
        self.paused = true;
        Ok(())
    }

    /// SIGCONT.
    pub fn resume(&mut self) -> Result<(), ChaosError> {
        self.signal(Signal::CONT)?;
        self.paused = false;
        Ok(())
    }

    /// SIGKILL, then reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process has exited on its own.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn io_err(path: &Path, e: std::io::Error) -> ChaosError {
    ChaosError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_json_line_names_observer_member_and_state() {
        let line = parse_line(
            r#"{"ev":"leave","node":"n3","peer_id":"12D3Koo","state":"dead","t_ms":5}"#,
            Instant::now(),
            1,
            0,
        )
        .expect("parse");
        assert_eq!(
            (line.observer, line.ev.as_str(), line.member.as_str()),
            (1, "leave", "n3")
        );
        assert_eq!(line.state, "dead");
    }

    #[test]
    fn a_line_without_a_state_is_refused_with_the_field_named() {
        let err = parse_line(
            r#"{"ev":"join","node":"n1","peer_id":"x"}"#,
            Instant::now(),
            0,
            0,
        )
        .err()
        .unwrap_or_default();
        assert!(err.contains("`state`"), "{err}");
    }
}
