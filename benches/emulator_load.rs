//! Load on the emulator: starts `accord emulate` as its own process on a free loopback port,
//! gets a token like any client, then sends a steady, open-loop stream of requests (by
//! default 1,000 per second for 30 s): a mix of Groups reads, Transfer ACL lists, Auth
//! introspection and identity lookups, and a few writes (ACL rules created then deleted,
//! a member added to and removed from a group). It prints the achieved rate, the errors by
//! status, latency percentiles and the server's CPU and memory, and exits 1 on any error
//! or a rate short of the target. `bench/emulator-load` builds and runs it.
//!
//! Open loop: a request is started every 1/rate seconds whatever the earlier ones do, and its
//! latency is counted from when it was due, so a stalled server shows up as latency instead
//! of being hidden by a slower send rate. The emulator's own rate limits come from its seed;
//! the default seed (`policies/lab/live.yaml`) sets none.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use accord::emulator::Seed;
use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore, mpsc};

#[derive(Parser, Debug)]
#[command(
    about = "Drives `accord emulate` at a steady request rate and reports latency and errors"
)]
struct Args {
    /// The accord binary to start (`accord emulate`).
    #[arg(long, default_value = "target/release/accord")]
    accord: PathBuf,
    /// The emulator's seed: its first client is the load's client.
    #[arg(long, default_value = "policies/lab/live.yaml")]
    seed: PathBuf,
    /// Requests per second.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Most requests in flight at once; past it a due request is counted as not sent.
    #[arg(long, default_value_t = 2000)]
    max_in_flight: usize,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Passed by `cargo bench`. Without it the binary was started by `cargo test
    /// --all-targets`, which runs benches once as tests: it then does nothing (the load run
    /// is `bench/emulator-load`, never part of the test suite).
    #[arg(long, hide = true)]
    bench: bool,
}

/// One kind of request of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    GroupsMyGroups,
    GroupsGet,
    TransferAclList,
    TransferEndpoint,
    AuthIntrospect,
    AuthIdentities,
    TransferRuleCreate,
    TransferRuleDelete,
    GroupsBatch,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::GroupsMyGroups => "groups GET my_groups",
            Kind::GroupsGet => "groups GET group",
            Kind::TransferAclList => "transfer GET access_list",
            Kind::TransferEndpoint => "transfer GET endpoint",
            Kind::AuthIntrospect => "auth POST introspect",
            Kind::AuthIdentities => "auth GET identities",
            Kind::TransferRuleCreate => "transfer POST access (write)",
            Kind::TransferRuleDelete => "transfer DELETE access (write)",
            Kind::GroupsBatch => "groups POST batch (write)",
        }
    }
}

/// The mix, in hundredths: 94% reads, 6% writes.
const MIX: [(Kind, u32); 9] = [
    (Kind::GroupsMyGroups, 25),
    (Kind::GroupsGet, 15),
    (Kind::TransferAclList, 25),
    (Kind::TransferEndpoint, 5),
    (Kind::AuthIntrospect, 15),
    (Kind::AuthIdentities, 9),
    (Kind::TransferRuleCreate, 2),
    (Kind::TransferRuleDelete, 2),
    (Kind::GroupsBatch, 2),
];

/// The kind of the `n`-th request: a fixed, interleaved sequence, so runs repeat.
fn kind_of(n: u64) -> Kind {
    // A multiplicative hash spreads the kinds evenly over every window of requests.
    let slot = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 100;
    let mut acc = 0;
    for (kind, share) in MIX {
        acc += share;
        if slot < u64::from(acc) {
            return kind;
        }
    }
    Kind::GroupsMyGroups
}

/// What the requests need to know of the seed and the tokens.
struct Ctx {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: String,
    groups_token: String,
    transfer_token: String,
    group_id: String,
    endpoint_id: String,
    identity_id: String,
    username: String,
    /// Rules created and not yet deleted.
    rules: Mutex<Vec<String>>,
    next_rule: AtomicU64,
    batch_turn: AtomicU64,
}

/// One finished request.
struct Sample {
    kind: Kind,
    /// HTTP status, or 0 for a transport error (its text in `error`).
    status: u16,
    error: Option<String>,
    latency: Duration,
}

/// The emulator's process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds (user + system) and resident memory (KiB) of a process, from /proc.
fn usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // USER_HZ is 100 on Linux.
    Some((ticks / 100.0, rss))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if !args.bench {
        println!("emulator-load: not under `cargo bench`; run bench/emulator-load");
        return;
    }
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("emulator-load: {e:#}");
            std::process::exit(1);
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    use anyhow::Context;
    let seed_text = std::fs::read_to_string(&args.seed)
        .with_context(|| format!("reading {}", args.seed.display()))?;
    let seed = Seed::from_yaml_str(&accord::services::builtin(), &seed_text)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let auth = seed
        .part::<accord::services::auth::emulator::AuthSeed>()
        .context("the seed has no Auth section")?;
    let groups = seed
        .part::<accord::services::groups::emulator::GroupsSeed>()
        .context("the seed has no Groups section")?;
    let endpoints = seed
        .part::<accord::services::transfer::emulator::TransferSeed>()
        .context("the seed has no Transfer section")?;
    let client = auth.clients.first().context("the seed has no client")?;
    let group = groups.groups.first().context("the seed has no group")?;
    let endpoint = endpoints
        .endpoints
        .first()
        .context("the seed has no endpoint")?;
    let identity = auth
        .identities
        .first()
        .context("the seed has no identity")?;

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(&args.accord)
        .args([
            "emulate",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--seed",
        ])
        .arg(&args.seed)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {} emulate", args.accord.display()))?;
    let server = Server(child);
    let pid = server.0.id();

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.max_in_flight)
        .timeout(Duration::from_secs(args.timeout))
        .build()?;
    let started = Instant::now();
    loop {
        if http
            .get(format!("{base}/_emulator/state"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the emulator did not answer within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let client_id = client.client_id.to_string();
    let client_secret = client.client_secret.clone();
    let tokens: Value = http
        .post(format!("{base}/auth/v2/oauth2/token"))
        .basic_auth(&client_id, Some(&client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "scope",
                "urn:globus:auth:scope:groups.api.globus.org:all urn:globus:auth:scope:transfer.api.globus.org:all",
            ),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token_for = |rs: &str| -> anyhow::Result<String> {
        std::iter::once(&tokens)
            .chain(tokens["other_tokens"].as_array().into_iter().flatten())
            .find(|t| t["resource_server"] == rs)
            .and_then(|t| t["access_token"].as_str())
            .map(str::to_string)
            .with_context(|| format!("no token for {rs}"))
    };
    let state: Value = http
        .get(format!("{base}/_emulator/state"))
        .send()
        .await?
        .json()
        .await?;
    // Ids the seed may leave to the emulator: read them back from the state.
    let group_id = match group.id {
        Some(id) => id.to_string(),
        None => first_key(&state["groups"]).context("no group in the state")?,
    };
    let endpoint_id = match endpoint.id {
        Some(id) => id.to_string(),
        None => first_key(&state["endpoints"]).context("no endpoint in the state")?,
    };
    let identity_id = match identity.id {
        Some(id) => id.to_string(),
        None => first_key(&state["identities"]).context("no identity in the state")?,
    };
    let ctx = Arc::new(Ctx {
        groups_token: token_for("groups.api.globus.org")?,
        transfer_token: token_for("transfer.api.globus.org")?,
        http,
        base,
        client_id,
        client_secret,
        group_id,
        endpoint_id,
        identity_id,
        username: identity.username.clone(),
        rules: Mutex::new(Vec::new()),
        next_rule: AtomicU64::new(0),
        batch_turn: AtomicU64::new(0),
    });

    let before = usage(pid);
    println!(
        "emulator-load: {} req/s for {} s against {} (seed {}, pid {pid})",
        args.rate,
        args.duration,
        ctx.base,
        args.seed.display()
    );
    let total = u64::from(args.rate) * args.duration;
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    let (tx, mut rx) = mpsc::unbounded_channel::<Sample>();
    let slots = Arc::new(Semaphore::new(args.max_in_flight));
    let mut not_sent = 0u64;
    let start = tokio::time::Instant::now();
    for n in 0..total {
        let due = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due).await;
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            not_sent += 1;
            continue;
        };
        let (ctx, tx) = (Arc::clone(&ctx), tx.clone());
        tokio::spawn(async move {
            let kind = kind_of(n);
            let (status, error) = request(&ctx, kind).await;
            let _ = tx.send(Sample {
                kind,
                status,
                error,
                latency: due.elapsed(),
            });
            drop(permit);
        });
    }
    let sending = start.elapsed();
    drop(tx);
    let mut samples = Vec::with_capacity(total as usize);
    while let Some(s) = rx.recv().await {
        samples.push(s);
    }
    let elapsed = start.elapsed();
    let after = usage(pid);
    drop(server);

    Ok(report(
        &args, &samples, not_sent, sending, elapsed, before, after,
    ))
}

fn first_key(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m.keys().next().cloned(),
        Value::Array(a) => a.first()?["id"].as_str().map(str::to_string),
        _ => None,
    }
}

/// Sends one request of `kind`; its status (0 on a transport error) and error text.
async fn request(ctx: &Ctx, kind: Kind) -> (u16, Option<String>) {
    let b = &ctx.base;
    let h = &ctx.http;
    let req = match kind {
        Kind::GroupsMyGroups => h
            .get(format!("{b}/groups/v2/groups/my_groups"))
            .bearer_auth(&ctx.groups_token),
        Kind::GroupsGet => h
            .get(format!("{b}/groups/v2/groups/{}", ctx.group_id))
            .query(&[("include", "memberships")])
            .bearer_auth(&ctx.groups_token),
        Kind::TransferAclList => h
            .get(format!(
                "{b}/transfer/v0.10/endpoint/{}/access_list",
                ctx.endpoint_id
            ))
            .bearer_auth(&ctx.transfer_token),
        Kind::TransferEndpoint => h
            .get(format!("{b}/transfer/v0.10/endpoint/{}", ctx.endpoint_id))
            .bearer_auth(&ctx.transfer_token),
        Kind::AuthIntrospect => h
            .post(format!("{b}/auth/v2/oauth2/token/introspect"))
            .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
            .form(&[("token", ctx.groups_token.as_str())]),
        Kind::AuthIdentities => h
            .get(format!("{b}/auth/v2/api/identities"))
            .query(&[("usernames", ctx.username.as_str())])
            .basic_auth(&ctx.client_id, Some(&ctx.client_secret)),
        Kind::TransferRuleCreate => {
            let n = ctx.next_rule.fetch_add(1, Ordering::Relaxed);
            let body = json!({
                "DATA_TYPE": "access",
                "principal_type": "identity",
                "principal": ctx.identity_id,
                "path": format!("/load/{n}/"),
                "permissions": "r",
            });
            let resp = h
                .post(format!(
                    "{b}/transfer/v0.10/endpoint/{}/access",
                    ctx.endpoint_id
                ))
                .bearer_auth(&ctx.transfer_token)
                .json(&body)
                .send()
                .await;
            return match resp {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let v: Value = r.json().await.unwrap_or_default();
                    if let Some(id) = v["access_id"].as_str() {
                        ctx.rules.lock().await.push(id.to_string());
                    }
                    (status, None)
                }
                Err(e) => (0, Some(transport(&e))),
            };
        }
        Kind::TransferRuleDelete => {
            // Deletes a rule this run created; with none yet, lists them instead.
            let Some(id) = ctx.rules.lock().await.pop() else {
                return send(
                    h.get(format!(
                        "{b}/transfer/v0.10/endpoint/{}/access_list",
                        ctx.endpoint_id
                    ))
                    .bearer_auth(&ctx.transfer_token),
                )
                .await;
            };
            h.delete(format!(
                "{b}/transfer/v0.10/endpoint/{}/access/{id}",
                ctx.endpoint_id
            ))
            .bearer_auth(&ctx.transfer_token)
        }
        Kind::GroupsBatch => {
            // Adds, then removes, the same identity: the group returns to the seed's.
            let add = ctx
                .batch_turn
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(2);
            let item = json!([{ "identity_id": ctx.identity_id, "role": "member" }]);
            let body = if add {
                json!({ "add": item })
            } else {
                json!({ "remove": [{ "identity_id": ctx.identity_id }] })
            };
            h.post(format!("{b}/groups/v2/groups/{}", ctx.group_id))
                .bearer_auth(&ctx.groups_token)
                .json(&body)
        }
    };
    send(req).await
}

async fn send(req: reqwest::RequestBuilder) -> (u16, Option<String>) {
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            // Read the whole body, as a client would.
            match r.bytes().await {
                Ok(_) => (status, None),
                Err(e) => (0, Some(transport(&e))),
            }
        }
        Err(e) => (0, Some(transport(&e))),
    }
}

fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "transport".into()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(
    args: &Args,
    samples: &[Sample],
    not_sent: u64,
    sending: Duration,
    elapsed: Duration,
    before: Option<(f64, u64)>,
    after: Option<(f64, u64)>,
) -> bool {
    let target = u64::from(args.rate) * args.duration;
    let done = samples.len() as u64;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_kind: BTreeMap<Kind, (u64, u64, Vec<Duration>)> = BTreeMap::new();
    let mut errors = 0u64;
    for s in samples {
        let ok = (200..300).contains(&s.status);
        let key = match &s.error {
            Some(e) => format!("error: {e}"),
            None => s.status.to_string(),
        };
        *by_status.entry(key).or_default() += 1;
        let k = by_kind.entry(s.kind).or_default();
        k.0 += 1;
        k.2.push(s.latency);
        if !ok {
            errors += 1;
            k.1 += 1;
        }
    }
    let mut lat: Vec<Duration> = samples.iter().map(|s| s.latency).collect();
    lat.sort();
    let rate = done as f64 / sending.as_secs_f64();
    println!();
    println!("== emulator-load ==");
    println!(
        "requests:   {done} of {target} answered in {:.1} s (sending took {:.1} s); {not_sent} not sent (over {} in flight)",
        elapsed.as_secs_f64(),
        sending.as_secs_f64(),
        args.max_in_flight
    );
    println!(
        "rate:       {rate:.1} req/s achieved (target {})",
        args.rate
    );
    println!(
        "latency:    p50 {}  p95 {}  p99 {}  max {}",
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.95)),
        ms(percentile(&lat, 0.99)),
        ms(lat.last().copied().unwrap_or_default())
    );
    println!(
        "statuses:   {}",
        by_status
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("errors:     {errors} (any status outside 2xx, or a transport error)");
    println!("by kind:");
    for (kind, (n, errs, mut l)) in by_kind {
        l.sort();
        println!(
            "  {:<32} {n:>6} requests  {errs:>4} errors  p50 {:>9}  p99 {:>9}",
            kind.name(),
            ms(percentile(&l, 0.5)),
            ms(percentile(&l, 0.99))
        );
    }
    if let (Some((c0, r0)), Some((c1, r1))) = (before, after) {
        println!(
            "server:     {:.1} CPU s over the run ({:.0}% of one core); RSS {} MiB → {} MiB",
            c1 - c0,
            (c1 - c0) / elapsed.as_secs_f64() * 100.0,
            r0 / 1024,
            r1 / 1024
        );
    }
    let pass =
        errors == 0 && not_sent == 0 && done == target && rate >= 0.99 * f64::from(args.rate);
    println!("outcome:    {}", if pass { "PASS" } else { "FAIL" });
    pass
}
