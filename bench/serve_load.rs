//! Load run of `accord serve` on loopback (a benchmark, not a test): 100 runs, then 1,000
//! concurrent status polls, against the lab workspace on an in-process emulator.
//!
//! ```sh
//! cargo run --release --example serve_load            # defaults: 100 runs, 1000 polls
//! cargo run --release --example serve_load -- 200 5000
//! ```
//!
//! Prints: runs accepted per second (POST /run answered 202), actions finished per second
//! (each a full `plan` of the lab workspace: load, resolve, read, diff), and the latency of
//! the status polls (p50, p90, p99, max) with their throughput.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use accord::emulator::{Emulator, Seed};
use accord::serve::config::ServeConfig;
use accord::serve::{ServeOptions, start};
use serde_json::{Value, json};

const AP_CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const CALLER: &str = "a11ce000-0000-4000-8000-000000000001";

fn copy_dir(src: &Path, dst: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let polls: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seed = Seed::from_yaml_str(
        &accord::services::builtin(),
        &std::fs::read_to_string(root.join("policies/lab/live.yaml"))?,
    )?;
    seed.merge(&Seed::from_yaml_str(
        &accord::services::builtin(),
        &format!("clients: [{{ client_id: {CALLER}, client_secret: load-secret }}]"),
    )?)?;
    let emu = accord::emulator::spawn(Emulator::new(seed)).await?;
    let tmp = tempfile::tempdir()?;
    copy_dir(
        &root.join("policies/lab"),
        &tmp.path().join("workspaces/lab"),
    )?;
    let server = start(ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        db: tmp.path().join("ap.db"),
        workspaces: tmp.path().join("workspaces"),
        config: ServeConfig::default(),
        target: Some(emu.base_url.clone()),
        http: accord::http::HttpOptions::default(),
        now: None,
        services: accord::services::builtin(),
    })
    .await?;
    let url = server.url();
    let token = accord::services::auth::emulator::issue_tokens(
        emu.emulator.handle(),
        CALLER.parse()?,
        &format!("https://auth.globus.org/scopes/{AP_CLIENT}/action_all"),
    )
    .ok_or("no token")?
    .access_token;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let token = Arc::new(token);

    println!(
        "accord serve load run on {url}: {runs} runs (plan of the lab workspace), then {polls} concurrent status polls"
    );
    println!("runner: max_running {}", ServeConfig::default().max_running);

    // Phase 1: runs, all sent at once.
    let started = Instant::now();
    let mut sends = Vec::new();
    for i in 0..runs {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        sends.push(tokio::spawn(async move {
            let t = Instant::now();
            let resp = http
                .post(format!("{url}/run"))
                .bearer_auth(token.as_str())
                .json(&json!({"request_id": format!("load-{i}"), "body": {"operation": "plan", "workspace": "lab"}}))
                .send()
                .await?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await?;
            Ok::<_, reqwest::Error>((status, body, t.elapsed()))
        }));
    }
    let mut ids = Vec::new();
    let mut accept_latency = Vec::new();
    for s in sends {
        let (status, body, took) = s.await??;
        if status != 202 {
            return Err(format!("run answered {status}: {body}").into());
        }
        ids.push(body["action_id"].as_str().unwrap_or_default().to_string());
        accept_latency.push(took);
    }
    let accepted = started.elapsed();
    accept_latency.sort();
    // Wait until every action finished.
    loop {
        let resp = http
            .get(format!("{url}/actions?status=active"))
            .bearer_auth(token.as_str())
            .send()
            .await?;
        let active: Vec<Value> = resp.json().await?;
        if active.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finished = started.elapsed();
    let resp = http
        .get(format!("{url}/actions?status=failed"))
        .bearer_auth(token.as_str())
        .send()
        .await?;
    let failed: Vec<Value> = resp.json().await?;
    println!();
    println!("runs");
    println!(
        "  accepted: {runs} in {} = {:.0} runs/s (202 latency p50 {}, p99 {})",
        ms(accepted),
        runs as f64 / accepted.as_secs_f64(),
        ms(percentile(&accept_latency, 0.5)),
        ms(percentile(&accept_latency, 0.99))
    );
    println!(
        "  finished: {runs} in {} = {:.1} actions/s ({} failed)",
        ms(finished),
        runs as f64 / finished.as_secs_f64(),
        failed.len()
    );

    // Phase 2: status polls, all in flight at once, spread over the actions.
    let started = Instant::now();
    let mut gets = Vec::new();
    for i in 0..polls {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        let id = ids[i % ids.len()].clone();
        gets.push(tokio::spawn(async move {
            let t = Instant::now();
            let resp = http
                .get(format!("{url}/actions/{id}"))
                .bearer_auth(token.as_str())
                .send()
                .await?;
            let ok = resp.status().is_success();
            let _ = resp.bytes().await?;
            Ok::<_, reqwest::Error>((ok, t.elapsed()))
        }));
    }
    let mut latency = Vec::new();
    let mut errors = 0;
    for g in gets {
        match g.await? {
            Ok((true, took)) => latency.push(took),
            _ => errors += 1,
        }
    }
    let total = started.elapsed();
    latency.sort();
    println!();
    println!("status polls ({polls} concurrent)");
    println!(
        "  {} ok, {errors} errors in {} = {:.0} polls/s",
        latency.len(),
        ms(total),
        latency.len() as f64 / total.as_secs_f64()
    );
    println!(
        "  latency p50 {}, p90 {}, p99 {}, max {}",
        ms(percentile(&latency, 0.5)),
        ms(percentile(&latency, 0.9)),
        ms(percentile(&latency, 0.99)),
        ms(latency.last().copied().unwrap_or_default())
    );
    server.shutdown();
    Ok(())
}
