//! The Search role-filtering guide (`../shared/seeds/002_6ec5589919d9acaa.txt`) as policy:
//! after one apply, the guide's queries give its documented results for I, J and a member of
//! H; the documents' content is untouched; a second plan and apply do nothing.

mod common;

use common::{Live, run, workspace};
use serde_json::Value;

const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const IVY: &str = "demo-ivy-search-token";
const JON: &str = "demo-jon-search-token";
const KIM: &str = "demo-kim-search-token";

/// `GET /v1/index/<id>/search?q=*&filter_principal_sets=<sets>` as a user: the subjects found.
fn query(live: &Live, token: &str, sets: &str) -> Vec<String> {
    let url = format!(
        "{}/search/v1/index/{INDEX}/search?q=*&filter_principal_sets={sets}",
        live.url()
    );
    let body: Value = live.rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert!(resp.status().is_success(), "{}", resp.status());
        resp.json().await.expect("json")
    });
    let mut subjects: Vec<String> = body["gmeta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["subject"].as_str().unwrap().to_string())
        .collect();
    subjects.sort();
    subjects
}

/// The content of a subject's entries, as an owner sees it.
fn content(live: &Live, token: &str, subject: &str) -> Value {
    let url = format!(
        "{}/search/v1/index/{INDEX}/subject?subject={subject}",
        live.url()
    );
    live.rt.block_on(async {
        let body: Value = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        body["entries"][0]["content"].clone()
    })
}

#[test]
fn the_guides_queries_give_its_results_after_one_apply() {
    let live = Live::from_seed_file("policies/search-roles/live.yaml");
    let (_tmp, ws) = workspace("policies/search-roles");
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();

    // Before: no document has roles, so role filtering finds nothing.
    assert!(query(&live, IVY, "curator").is_empty());

    let (code, out, err) = run(&["plan", dir, "--target", &url]);
    assert_eq!(code, 0, "{out}{err}");
    let out = out.replace(&url, "http://127.0.0.1:PORT");
    common::snapshots().bind(|| insta::assert_snapshot!("search_roles__plan_text", out));

    let (code, out, err) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 failed"), "{out}");

    // I and J find only doc1 as curators.
    assert_eq!(query(&live, IVY, "curator"), ["doc1"]);
    assert_eq!(query(&live, JON, "curator"), ["doc1"]);
    // I is a member of H: doc1 and doc2 as curator or contributor.
    assert_eq!(query(&live, IVY, "curator,contributor"), ["doc1", "doc2"]);
    // K, another member of H, is no curator: doc2 only.
    assert_eq!(query(&live, KIM, "curator,contributor"), ["doc2"]);
    // J is in G, a contributor of doc1.
    assert_eq!(query(&live, JON, "contributor"), ["doc1"]);
    // A valid query with no results, for anyone.
    for token in [IVY, JON, KIM] {
        assert!(query(&live, token, "nosuchrole").is_empty());
    }
    // Content is the authors', untouched.
    assert_eq!(
        content(&live, IVY, "doc1"),
        serde_json::json!({"foo": "value1"})
    );

    common::assert_converged_without_writes(&live, dir, &url, &["/search"]);
}
