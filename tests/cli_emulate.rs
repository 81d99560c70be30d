//! `accord emulate` serves the services from a seed; `--target URL` plans against it and
//! runs as the client its seed names.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the emulator process even when the test fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn plan_and_apply_against_a_running_emulator() {
    let port = common::free_port();
    let seed = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/lab/live.yaml");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_accord"))
            .args([
                "emulate",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--seed",
                seed,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "accord emulate did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_tmp, ws) = common::workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, out, err) = common::run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.starts_with(&format!("target: {url} (accord emulate")),
        "{out}"
    );
    assert!(out.contains("+ globus.group lab-readers"), "{out}");
    let (code, out, err) = common::run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = common::run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        !ws.join(".accord").exists(),
        "a URL target keeps no local state"
    );
}
