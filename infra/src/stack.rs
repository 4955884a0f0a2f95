//! The supervisor: start the dependencies, bootstrap them, start the gateway, the stream and queue
//! pollers, the schedule and the control listener, announce readiness, and tear everything down on Ctrl-C, SIGTERM or stdin EOF.

use crate::args::ArgReader;
use crate::function_env::{Endpoints, FunctionEnv, CURSOR_SECRET_ID, DELIVERY_QUEUE, REGION};
use crate::gateway::Gateway;
use crate::jwt::Authorizer;
use crate::pool::{PoolConfig, Pools};
use crate::process::ProcessRegistry;
use ofauto_routes::{Manifest, RouteTable, Trigger};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const USAGE: &str = "\
usage: ofauto-local [options]

  --port N               gateway port on 127.0.0.1 (env PORT, default 3000; 0 = any free port)
  --bin-dir DIR          where the function binaries are (default: this binary's directory,
                         i.e. target/debug)
  --state-dir DIR        dev JWT keys, dependency logs, compiled launcher (default .local)
  --manifest FILE        function manifest (default functions/manifest.json)
  --table-name NAME      DynamoDB table (default ofauto)
  --max-concurrency N    processes per function (env OFAUTO_LOCAL_MAX_CONCURRENCY, default 4;
                         a function's local_max_concurrency overrides it)
  --stream-poll-ms N     stream GetRecords interval (default 250)
  --tick-seconds N       schedule tick for `schedule` functions (default 60)
  --header-timeout-secs N
                         seconds a client has to send a request's headers (also the keep-alive
                         idle time); the gateway closes the connection past it (default 10)
  --body-timeout-secs N  seconds a client has to send an admitted request's body; the gateway
                         answers 408 past it (default 30)
  --exit-on-stdin-eof    also shut down when stdin closes
  --help

Default paths are relative to the repository root. Logs go to stderr; one line
`OFAUTO_READY {...}` goes to stdout once everything answers. It names the API, the control
listener (POST /invoke/{function}, POST /kill/{function}; loopback only), moto, DynamoDB Local,
the queues, the dead-letter queues, the event bus and the queue its domain events are copied to.";

#[derive(Debug, Clone)]
pub struct Options {
    pub port: u16,
    pub bin_dir: PathBuf,
    pub state_dir: PathBuf,
    pub manifest: PathBuf,
    pub infra_dir: PathBuf,
    pub table_name: String,
    pub max_concurrency: usize,
    pub stream_poll: Duration,
    pub tick: Duration,
    pub exit_on_stdin_eof: bool,
    pub gateway_timeouts: crate::gateway::Timeouts,
}

/// `None` means `--help` was asked for.
pub fn parse_options(
    args: impl Iterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Options>, String> {
    let env_parse = |name: &str| -> Result<Option<u64>, String> {
        env(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{name}: invalid value `{v}`"))
            })
            .transpose()
    };
    let mut port = env_parse("PORT")?.map(|p| p as u16).unwrap_or(3000);
    let mut max_concurrency = env_parse("OFAUTO_LOCAL_MAX_CONCURRENCY")?.unwrap_or(4) as usize;
    let mut bin_dir = None;
    let mut state_dir = None;
    let mut manifest = None;
    let mut table_name = "ofauto".to_string();
    let mut stream_poll_ms: u64 = 250;
    let mut tick_seconds: f64 = 60.0;
    let mut exit_on_stdin_eof = false;
    let mut header_timeout_secs = crate::gateway::DEFAULT_HEADER_TIMEOUT.as_secs_f64();
    let mut body_timeout_secs = crate::gateway::DEFAULT_BODY_TIMEOUT.as_secs_f64();

    let mut r = ArgReader::new(args);
    while let Some(flag) = r.next_flag() {
        let mut flag = flag?;
        match flag.name.as_str() {
            "port" => port = r.parsed(&mut flag)?,
            "bin-dir" => bin_dir = Some(PathBuf::from(r.value(&mut flag)?)),
            "state-dir" => state_dir = Some(PathBuf::from(r.value(&mut flag)?)),
            "manifest" => manifest = Some(PathBuf::from(r.value(&mut flag)?)),
            "table-name" => table_name = r.value(&mut flag)?,
            "max-concurrency" => max_concurrency = r.parsed(&mut flag)?,
            "stream-poll-ms" => stream_poll_ms = r.parsed(&mut flag)?,
            "tick-seconds" => tick_seconds = r.parsed(&mut flag)?,
            "header-timeout-secs" => header_timeout_secs = r.parsed(&mut flag)?,
            "body-timeout-secs" => body_timeout_secs = r.parsed(&mut flag)?,
            "exit-on-stdin-eof" => {
                r.switch(&flag)?;
                exit_on_stdin_eof = true;
            }
            "help" => return Ok(None),
            other => return Err(format!("unknown flag --{other}")),
        }
    }
    if max_concurrency == 0 {
        return Err("--max-concurrency must be at least 1".into());
    }
    for (name, value) in [
        ("tick-seconds", tick_seconds),
        ("header-timeout-secs", header_timeout_secs),
        ("body-timeout-secs", body_timeout_secs),
    ] {
        // Also bounds them: a duration of a billion years would panic.
        if !(value.is_finite() && value > 0.0 && value < 1e9) {
            return Err(format!("--{name} must be positive"));
        }
    }
    let root = crate::paths::repo_root();
    let bin_dir = match bin_dir {
        Some(p) => crate::paths::absolute(&p),
        // The function binaries are built next to this one, whatever the profile or target dir.
        None => std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from))
            .unwrap_or_else(|| root.join("target/debug")),
    };
    Ok(Some(Options {
        port,
        bin_dir,
        state_dir: crate::paths::resolve(state_dir.as_deref(), ".local"),
        manifest: crate::paths::resolve(manifest.as_deref(), "functions/manifest.json"),
        infra_dir: root.join("infra"),
        table_name,
        max_concurrency,
        stream_poll: Duration::from_millis(stream_poll_ms.max(1)),
        tick: Duration::from_secs_f64(tick_seconds),
        exit_on_stdin_eof,
        gateway_timeouts: crate::gateway::Timeouts {
            header: Duration::from_secs_f64(header_timeout_secs),
            body: Duration::from_secs_f64(body_timeout_secs),
        },
    }))
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Runs the stack until it is told to stop. Every child is gone when this returns.
pub async fn run(opts: Options) -> Result<(), BoxError> {
    let registry = ProcessRegistry::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    spawn_stop_signals(stop_tx.clone(), opts.exit_on_stdin_eof)?;

    let result = run_until_stopped(&opts, &registry, stop_tx, stop_rx).await;
    let leftovers = registry.kill_all();
    if !leftovers.is_empty() {
        tracing::warn!(
            "killed processes that outlived shutdown: {}",
            leftovers.join(", ")
        );
    }
    result
}

async fn run_until_stopped(
    opts: &Options,
    registry: &ProcessRegistry,
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
) -> Result<(), BoxError> {
    let manifest = Manifest::load(&opts.manifest)?;
    std::fs::create_dir_all(&opts.state_dir)
        .map_err(|e| format!("cannot create {}: {e}", opts.state_dir.display()))?;
    let state_dir = opts.state_dir.canonicalize()?;

    let keys = crate::keys::ensure(&state_dir)?;
    let issuer =
        std::env::var("OFAUTO_JWT_ISSUER").unwrap_or_else(|_| crate::jwt::DEFAULT_ISSUER.into());
    let audience = std::env::var("OFAUTO_JWT_AUDIENCE")
        .unwrap_or_else(|_| crate::jwt::DEFAULT_AUDIENCE.into());
    let authorizer = Authorizer::from_jwks(&keys.jwks_json, &issuer, &audience)?;

    let deps_cfg = crate::deps::DepsConfig {
        infra_dir: &opts.infra_dir,
        state_dir: &state_dir,
        registry,
    };
    let mut stopping = stop_rx.clone();
    let (dynamodb, moto) = tokio::select! {
        deps = crate::deps::start(&deps_cfg) => deps?,
        _ = crate::worker::stopping(&mut stopping) => return Ok(()),
    };
    let endpoints = Endpoints {
        dynamodb: dynamodb.url.clone(),
        moto: moto.url.clone(),
    };

    // One credentials/region setup for all three clients; only the endpoints differ.
    let local_aws = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "ofauto-local",
                ),
            ),
        )
        .build();
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&local_aws)
            .endpoint_url(&endpoints.dynamodb)
            .build(),
    );
    let streams = aws_sdk_dynamodbstreams::Client::from_conf(
        aws_sdk_dynamodbstreams::config::Builder::from(&local_aws)
            .endpoint_url(&endpoints.dynamodb)
            .build(),
    );
    let secrets = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&local_aws)
            .endpoint_url(&endpoints.moto)
            .build(),
    );
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&local_aws)
            .endpoint_url(&endpoints.moto)
            .build(),
    );
    let events = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&local_aws)
            .endpoint_url(&endpoints.moto)
            .build(),
    );
    crate::bootstrap::create_table(&ddb, &opts.table_name, &manifest.table).await?;
    crate::bootstrap::create_secret(&secrets, CURSOR_SECRET_ID).await?;
    let resources = create_resources(&manifest, &opts.table_name, &sqs, &events).await?;
    tracing::info!(table = %opts.table_name, bus = %resources.event_bus, "table, cursor secret, queues, dead-letter queues and event bus created");

    // vars() would panic on a variable that is not UTF-8; such a variable cannot matter here.
    let host_env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let env = FunctionEnv::new(&endpoints, &opts.table_name, host_env)
        .with_app_resources(
            &resources.event_bus,
            resources.queues.get(DELIVERY_QUEUE).map(|q| q.url.as_str()),
        )
        .with_dead_letter_queues(resources.function_dead_letter_queues.clone());
    let pools = Arc::new(Pools::new(
        &manifest,
        PoolConfig {
            bin_dir: opts.bin_dir.clone(),
            default_max_concurrency: opts.max_concurrency,
            env,
            registry: registry.clone(),
            shutdown: stop_rx.clone(),
        },
    ));
    for missing in pools.missing_binaries() {
        tracing::warn!("function binary {missing} is not built; its invocations will fail");
    }

    let listener = crate::gateway::bind(opts.port)
        .await
        .map_err(|e| format!("cannot bind the gateway to 127.0.0.1:{}: {e}", opts.port))?;
    let port = listener.local_addr()?.port();
    let gateway = Arc::new(Gateway {
        routes: RouteTable::from_manifest(&manifest),
        authorizer,
        pools: pools.clone(),
        jwks_json: keys.jwks_json.clone(),
        openapi_json: std::fs::read_to_string(crate::paths::repo_root().join("openapi.json")).ok(),
        port,
        timeouts: opts.gateway_timeouts,
    });
    let mut gw_stop = stop_rx.clone();
    let gateway_task = tokio::spawn(crate::gateway::serve(listener, gateway, async move {
        crate::worker::stopping(&mut gw_stop).await
    }));

    let pools_for_control = pools.clone();
    let mut background = Vec::new();
    let mut scheduled = Vec::new();
    for f in &manifest.functions {
        match &f.trigger {
            Trigger::DynamodbStream { batch_size } => {
                let poller = crate::stream::Poller {
                    client: streams.clone(),
                    table: opts.table_name.clone(),
                    mapping: crate::stream::Mapping {
                        function: f.name.clone(),
                        batch_size: *batch_size,
                    },
                    pools: pools.clone(),
                    interval: opts.stream_poll,
                };
                background.push(tokio::spawn(poller.run(stop_rx.clone())));
            }
            Trigger::Schedule { expression } => {
                tracing::info!(function = %f.name, %expression, "scheduled every {:?} locally", opts.tick);
                scheduled.push(f.name.clone());
            }
            Trigger::Sqs {
                queue,
                batch_size,
                maximum_batching_window_s,
            } => {
                let Some(q) = resources.queues.get(queue) else {
                    // Manifest validation makes this unreachable; a warning beats a panic.
                    tracing::warn!(function = %f.name, %queue, "no such queue; not polled");
                    continue;
                };
                let poller = crate::sqs::Poller {
                    client: sqs.clone(),
                    mapping: crate::sqs::Mapping {
                        function: f.name.clone(),
                        queue_url: q.url.clone(),
                        queue_arn: q.arn.clone(),
                        batch_size: *batch_size,
                        batching_window: Duration::from_secs(u64::from(*maximum_batching_window_s)),
                    },
                    pools: pools.clone(),
                    concurrency: pools.max_concurrency(&f.name).unwrap_or(1),
                };
                background.push(tokio::spawn(poller.run(stop_rx.clone())));
            }
            Trigger::Http { .. } => {}
            Trigger::Unsupported => {
                tracing::warn!(function = %f.name, "trigger kind not emulated locally; it is only invocable by other means")
            }
        }
    }
    background.push(tokio::spawn(crate::schedule::run(
        pools.clone(),
        scheduled,
        opts.tick,
        stop_rx.clone(),
    )));

    // The bus's subscriber: keeps its queue short (see crate::domain_events) and the events
    // readable on the control listener.
    let tap = Arc::new(crate::domain_events::Tap::default());
    background.push(tokio::spawn(crate::domain_events::drain(
        crate::domain_events::Subscription {
            sqs: sqs.clone(),
            events: events.clone(),
            bus: resources.event_bus.clone(),
            queue_name: format!("{}-domain-events", opts.table_name),
            queue_url: resources.domain_events_queue.clone(),
        },
        tap.clone(),
        stop_rx.clone(),
    )));

    let control = crate::control::bind()
        .await
        .map_err(|e| format!("cannot bind the control listener on 127.0.0.1: {e}"))?;
    let control_url = format!("http://127.0.0.1:{}", control.local_addr()?.port());
    let mut control_stop = stop_rx.clone();
    background.push(tokio::spawn(async move {
        let app = crate::control::router(crate::control::Control {
            pools: pools_for_control,
            tap,
        });
        if let Err(e) = axum::serve(control, app)
            .with_graceful_shutdown(async move { crate::worker::stopping(&mut control_stop).await })
            .await
        {
            tracing::warn!("control listener stopped: {e}");
        }
    }));

    announce_ready(&Ready {
        api: &format!("http://127.0.0.1:{port}"),
        control: &control_url,
        endpoints: &endpoints,
        state_dir: &state_dir,
        table: &opts.table_name,
        resources: &resources,
    });

    let mut stopping = stop_rx.clone();
    crate::worker::stopping(&mut stopping).await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), gateway_task).await;
    for task in background {
        task.abort();
    }
    pools.stop(Duration::from_secs(5)).await;
    tokio::join!(dynamodb.stop(), moto.stop());
    Ok(())
}

/// What Terraform would have made besides the table: queues, dead-letter queues and the bus.
struct Resources {
    /// Manifest queues by short name.
    queues: BTreeMap<String, crate::bootstrap::Queue>,
    /// `DEAD_LETTER_QUEUE_URL` of the stream and schedule functions, by function name.
    function_dead_letter_queues: BTreeMap<String, String>,
    /// Where each function's failures end up: its own DLQ, or for an `sqs` function its queue's.
    dead_letter_queues: BTreeMap<String, String>,
    event_bus: String,
    /// The SQS queue a rule on the bus first copies every domain event to (the tap moves the rule
    /// to a fresh queue when one falls behind: `crate::domain_events`).
    domain_events_queue: String,
}

async fn create_resources(
    manifest: &Manifest,
    table: &str,
    sqs: &aws_sdk_sqs::Client,
    events: &aws_sdk_eventbridge::Client,
) -> Result<Resources, BoxError> {
    let mut queues = BTreeMap::new();
    for def in &manifest.queues {
        let queue = crate::bootstrap::create_manifest_queue(sqs, table, def).await?;
        queues.insert(def.name.clone(), queue);
    }
    // As in Terraform: every stream consumer and scheduled function has its own DLQ; an sqs
    // function's failed messages go to its queue's DLQ through the redrive policy.
    let mut function_dead_letter_queues = BTreeMap::new();
    let mut dead_letter_queues = BTreeMap::new();
    for f in &manifest.functions {
        match &f.trigger {
            Trigger::DynamodbStream { .. } | Trigger::Schedule { .. } => {
                let name = format!("{table}-{}-dlq", f.name);
                let url = crate::bootstrap::create_queue(sqs, &name).await?;
                function_dead_letter_queues.insert(f.name.clone(), url.clone());
                dead_letter_queues.insert(f.name.clone(), url);
            }
            Trigger::Sqs { queue, .. } => {
                if let Some(q) = queues.get(queue) {
                    dead_letter_queues.insert(f.name.clone(), q.dead_letter_url.clone());
                }
            }
            Trigger::Http { .. } | Trigger::Unsupported => {}
        }
    }
    let event_bus = format!("{table}-events");
    let domain_events_queue =
        crate::bootstrap::create_queue(sqs, &format!("{table}-domain-events")).await?;
    let arn = crate::bootstrap::queue_arn(sqs, &domain_events_queue).await?;
    crate::bootstrap::create_event_bus(events, &event_bus, &arn).await?;
    Ok(Resources {
        queues,
        function_dead_letter_queues,
        dead_letter_queues,
        event_bus,
        domain_events_queue,
    })
}

struct Ready<'a> {
    api: &'a str,
    control: &'a str,
    endpoints: &'a Endpoints,
    state_dir: &'a std::path::Path,
    table: &'a str,
    resources: &'a Resources,
}

fn ready_line(r: &Ready<'_>) -> serde_json::Value {
    let queues: BTreeMap<&str, &str> = r
        .resources
        .queues
        .iter()
        .map(|(name, q)| (name.as_str(), q.url.as_str()))
        .collect();
    serde_json::json!({
        "api": r.api,
        "control": r.control,
        "dynamodb": r.endpoints.dynamodb,
        "moto": r.endpoints.moto,
        "state_dir": r.state_dir.display().to_string(),
        "table": r.table,
        "dead_letter_queues": r.resources.dead_letter_queues,
        "queues": queues,
        "delivery_queue": r.resources.queues.get(DELIVERY_QUEUE).map(|q| q.url.as_str()),
        "event_bus": r.resources.event_bus,
        "domain_events_queue": r.resources.domain_events_queue,
    })
}

fn announce_ready(r: &Ready<'_>) {
    use std::io::Write;
    let line = ready_line(r);
    tracing::info!("ready: gateway at {}, control at {}", r.api, r.control);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "OFAUTO_READY {line}");
    let _ = out.flush();
}

/// Ctrl-C, SIGTERM and (optionally) stdin EOF all mean "stop"; a second Ctrl-C exits at once.
fn spawn_stop_signals(stop: watch::Sender<bool>, on_stdin_eof: bool) -> Result<(), BoxError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let signals_stop = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM"),
            _ = int.recv() => tracing::info!("SIGINT"),
            _ = hup.recv() => tracing::info!("SIGHUP"),
        }
        let _ = signals_stop.send(true);
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::warn!("second signal: exiting now");
        // The parent-death signal takes the children down with us.
        std::process::exit(130);
    });
    if on_stdin_eof {
        // A plain thread: a blocking read needs no runtime feature and never stalls a worker.
        std::thread::spawn(move || {
            use std::io::Read;
            let mut stdin = std::io::stdin();
            let mut buf = [0u8; 1024];
            while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
            tracing::info!("stdin closed");
            let _ = stop.send(true);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Option<Options>, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse_options(args.iter().map(|s| s.to_string()), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults() {
        let o = parse(&[], &[]).unwrap().unwrap();
        assert_eq!(o.port, 3000);
        assert_eq!(o.table_name, "ofauto");
        assert_eq!(o.max_concurrency, 4);
        assert_eq!(o.stream_poll, Duration::from_millis(250));
        assert_eq!(o.tick, Duration::from_secs(60));
        assert!(o.state_dir.ends_with(".local"));
        assert!(o.manifest.ends_with("functions/manifest.json"));
        assert!(!o.exit_on_stdin_eof);
        assert_eq!(o.gateway_timeouts, crate::gateway::Timeouts::default());
        assert_eq!(o.gateway_timeouts.header, Duration::from_secs(10));
        assert_eq!(o.gateway_timeouts.body, Duration::from_secs(30));
    }

    #[test]
    fn gateway_timeouts() {
        let o = parse(
            &["--header-timeout-secs", "2", "--body-timeout-secs=0.5"],
            &[],
        )
        .unwrap()
        .unwrap();
        assert_eq!(o.gateway_timeouts.header, Duration::from_secs(2));
        assert_eq!(o.gateway_timeouts.body, Duration::from_millis(500));
        for bad in ["0", "-1", "NaN", "inf", "1e300", "x"] {
            assert!(
                parse(&["--header-timeout-secs", bad], &[]).is_err(),
                "{bad}"
            );
            assert!(parse(&["--body-timeout-secs", bad], &[]).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_then_flags() {
        let o = parse(
            &[],
            &[("PORT", "8080"), ("OFAUTO_LOCAL_MAX_CONCURRENCY", "2")],
        )
        .unwrap()
        .unwrap();
        assert_eq!((o.port, o.max_concurrency), (8080, 2));
        let o = parse(
            &[
                "--port",
                "0",
                "--max-concurrency=1",
                "--tick-seconds",
                "0.5",
                "--exit-on-stdin-eof",
            ],
            &[("PORT", "8080")],
        )
        .unwrap()
        .unwrap();
        assert_eq!((o.port, o.max_concurrency), (0, 1));
        assert_eq!(o.tick, Duration::from_millis(500));
        assert!(o.exit_on_stdin_eof);
    }

    #[test]
    fn the_ready_line_names_the_control_listener_queues_and_bus() {
        let queue = crate::bootstrap::Queue {
            url: "http://m/1/ofauto-delivery".into(),
            arn: "arn:aws:sqs:us-east-1:1:ofauto-delivery".into(),
            visibility_timeout_s: 120,
            dead_letter_url: "http://m/1/ofauto-delivery-dlq".into(),
        };
        let resources = Resources {
            queues: BTreeMap::from([("delivery".to_string(), queue)]),
            function_dead_letter_queues: BTreeMap::new(),
            dead_letter_queues: BTreeMap::from([(
                "deliverer".to_string(),
                "http://m/1/ofauto-delivery-dlq".to_string(),
            )]),
            event_bus: "ofauto-events".into(),
            domain_events_queue: "http://m/1/ofauto-domain-events".into(),
        };
        let line = ready_line(&Ready {
            api: "http://127.0.0.1:3000",
            control: "http://127.0.0.1:4000",
            endpoints: &Endpoints {
                dynamodb: "http://d".into(),
                moto: "http://m".into(),
            },
            state_dir: std::path::Path::new("/s"),
            table: "ofauto",
            resources: &resources,
        });
        assert_eq!(line["control"], "http://127.0.0.1:4000");
        assert_eq!(line["delivery_queue"], "http://m/1/ofauto-delivery");
        assert_eq!(
            line["domain_events_queue"],
            "http://m/1/ofauto-domain-events"
        );
        assert_eq!(line["event_bus"], "ofauto-events");
        assert_eq!(line["queues"]["delivery"], "http://m/1/ofauto-delivery");
        assert_eq!(
            line["dead_letter_queues"]["deliverer"],
            "http://m/1/ofauto-delivery-dlq"
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse(&["--nope"], &[]).is_err());
        assert!(parse(&["--port", "x"], &[]).is_err());
        assert!(parse(&["--max-concurrency", "0"], &[]).is_err());
        assert!(parse(&[], &[("PORT", "x")]).is_err());
        assert!(parse(&["--help"], &[]).unwrap().is_none());
    }
}
