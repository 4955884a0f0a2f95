//! Cold init: from `exec` to the function's first `GET …/invocation/next`.
//!
//! The bench plays the Runtime API itself on a loopback port: it spawns the binary with the
//! environment the local stack gives that function, accepts the runtime client's connection,
//! and stops the clock when the request line of the first poll arrives. The process is then
//! killed; nothing is ever invoked. Binaries take turns run by run, so a burst of machine load
//! lands on all of them rather than on one.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ofauto_local::function_env::{Endpoints, FunctionEnv};
use ofauto_routes::{FunctionDef, Manifest, Trigger};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::Command;

pub const HELLO: &str = "hello-lambda";

/// One binary's runs: init times in ms and the peak RSS at the first poll in MB.
#[derive(Debug, Default, Clone)]
pub struct Runs {
    pub init_ms: Vec<f64>,
    pub rss_mb: Vec<f64>,
}

pub struct ColdInit<'a> {
    pub bin_dir: &'a Path,
    pub env: FunctionEnv,
    pub manifest: &'a Manifest,
}

impl<'a> ColdInit<'a> {
    /// The environment exactly as `ofauto-local` builds it, from the endpoints it announced.
    pub fn new(bin_dir: &'a Path, manifest: &'a Manifest, ready: &serde_json::Value) -> Self {
        let text = |k: &str| ready[k].as_str().unwrap_or_default().to_string();
        let endpoints = Endpoints {
            dynamodb: text("dynamodb"),
            moto: text("moto"),
        };
        // The stack gives a dead-letter queue URL to stream and schedule functions only.
        let dead_letter_queues: BTreeMap<String, String> = manifest
            .functions
            .iter()
            .filter(|f| {
                matches!(
                    f.trigger,
                    Trigger::DynamodbStream { .. } | Trigger::Schedule { .. }
                )
            })
            .filter_map(|f| {
                let url = ready["dead_letter_queues"][&f.name].as_str()?;
                Some((f.name.clone(), url.to_string()))
            })
            .collect();
        let delivery = ready["delivery_queue"].as_str().map(str::to_string);
        let env = FunctionEnv::new(&endpoints, &text("table"), std::env::vars())
            .with_app_resources(&text("event_bus"), delivery.as_deref())
            .with_dead_letter_queues(dead_letter_queues);
        Self {
            bin_dir,
            env,
            manifest,
        }
    }

    fn def(&self, name: &str) -> Result<FunctionDef, String> {
        if name == HELLO {
            // The hello world gets the health function's environment under its own name.
            let mut def = self.def("health")?;
            def.name = HELLO.into();
            return Ok(def);
        }
        self.manifest
            .function(name)
            .cloned()
            .ok_or_else(|| format!("{name} is not in the manifest"))
    }

    /// `runs` rounds over `names`, each binary once per round.
    pub async fn measure(
        &self,
        names: &[String],
        runs: usize,
    ) -> Result<BTreeMap<String, Runs>, String> {
        let mut out: BTreeMap<String, Runs> = BTreeMap::new();
        for round in 0..runs {
            for name in names {
                let def = self.def(name)?;
                let (ms, rss) = self
                    .once(&def, round)
                    .await
                    .map_err(|e| format!("cold init of {name}: {e}"))?;
                let entry = out.entry(name.clone()).or_default();
                entry.init_ms.push(ms);
                entry.rss_mb.push(rss);
            }
        }
        Ok(out)
    }

    async fn once(&self, def: &FunctionDef, round: usize) -> Result<(f64, f64), String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let env = self.env.for_process(def, addr, &format!("bench/{round}"));
        let started = Instant::now();
        let mut child = Command::new(self.bin_dir.join(&def.name))
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawn: {e}"))?;
        let polled = async {
            let (mut socket, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let mut head = Vec::with_capacity(512);
            let mut buf = [0u8; 512];
            loop {
                let n = socket.read(&mut buf).await.map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("connection closed before a request".to_string());
                }
                head.extend_from_slice(&buf[..n]);
                if let Some(end) = head.iter().position(|&b| b == b'\n') {
                    let line = String::from_utf8_lossy(&head[..end]).into_owned();
                    return Ok((started.elapsed(), line));
                }
            }
        };
        let result = tokio::select! {
            r = tokio::time::timeout(Duration::from_secs(20), polled) => {
                r.map_err(|_| "no poll within 20 s".to_string()).and_then(|r| r)
            }
            status = child.wait() => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err).await;
                }
                Err(format!("exited ({status:?}) before polling: {}", err.trim()))
            }
        };
        let rss = child
            .id()
            .and_then(ofauto_local::report::max_memory_mb)
            .unwrap_or(0) as f64;
        let _ = child.kill().await;
        let (elapsed, line) = result?;
        if !line.contains("/runtime/invocation/next") {
            return Err(format!(
                "first request was `{}`, not the next poll",
                line.trim()
            ));
        }
        Ok((elapsed.as_secs_f64() * 1000.0, rss))
    }
}
