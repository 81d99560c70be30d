//! Drift finds out-of-band changes made through the services' real APIs, in every format, and only reads.

mod common;

use common::{Live, run, workspace};
use serde_json::{Value, json};

use common::oob::{ALICE, CAROL, ENDPOINT, LAB_MEMBERS, Oob};

/// Out of band, as a person with the web app would: carol gets `r` on `/extra/`, and alice
/// becomes a manager of lab-members.
async fn change_out_of_band(base: &str) {
    let oob = Oob::connect(base).await;
    oob.add_rule(CAROL, "/extra/", "r").await;
    oob.change_role(LAB_MEMBERS, ALICE, "manager").await;
}

#[test]
fn drift_names_out_of_band_changes_in_every_format_and_only_reads() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let url = live.url();
    let (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, _) = run(&["drift", dir, "--target", url]);
    assert_eq!(code, 0, "no drift right after apply:\n{out}");

    live.rt.block_on(change_out_of_band(url));
    live.emulator().clear_request_log();

    let (code, text, err) = run(&["drift", dir, "--target", url]);
    assert_eq!(code, 2, "{text}\n{err}");
    for needle in [
        "live, not in policy (1)",
        "transfer.acl e56c36e4… /extra/ carol@uni.edu (r)",
        "differs from policy (1)",
        "globus.member lab-members / alice",
        r#"role: live "manager" → policy "member""#,
        "Drift: 2 object(s)",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }

    let (code, md, _) = run(&["drift", dir, "--target", url, "--format", "markdown"]);
    assert_eq!(code, 2);
    for needle in [
        "| live, not in policy | `transfer.acl e56c36e4… /extra/ carol@uni.edu (r)` |",
        "| differs from policy | `globus.member lab-members / alice",
        "**2 object(s) drifted.**",
    ] {
        assert!(md.contains(needle), "missing `{needle}` in:\n{md}");
    }

    let (code, js, _) = run(&["drift", dir, "--target", url, "--format", "json"]);
    assert_eq!(code, 2);
    let doc: Value = serde_json::from_str(&js).expect("drift JSON parses");
    let items = doc["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{doc:#}");
    let acl = format!(r#"transfer.acl["{ENDPOINT}"]["/extra/"]["identity:{CAROL}"]"#);
    let member = format!(r#"globus.member["lab-members"]["identity:{ALICE}"]"#);
    let find = |address: &str| {
        items
            .iter()
            .find(|i| i["address"] == address)
            .unwrap_or_else(|| panic!("{address} not in {doc:#}"))
    };
    assert_eq!(find(&acl)["drift"], "undeclared");
    let m = find(&member);
    assert_eq!(m["drift"], "differs");
    assert_eq!(
        m["fields"],
        json!([{"name": "role", "before": "manager", "after": "member"}])
    );

    // Drift is read-only: besides Auth's token POST (a read), only GETs.
    let log = live.emulator().request_log();
    assert!(log.len() > 3, "the drift runs read the services: {log:?}");
    let writes: Vec<_> = log
        .iter()
        .filter(|r| {
            r.is_write()
                && r.path != "/auth/v2/oauth2/token"
                && r.path != "/auth/v2/oauth2/token/introspect"
        })
        .collect();
    assert!(writes.is_empty(), "drift wrote: {writes:?}");
}
