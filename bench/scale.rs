//! The scale benchmark's binary (run by `bench/scale`, not by CI).
//!
//! ```sh
//! cargo run --release --example scale -- gen DIR        # workspace in DIR, seed in DIR/seed.json
//! cargo run --release --example scale -- gen DIR --no-search --no-gcs   # without those parts
//! cargo run --release --example scale -- gen DIR --objects N  # N objects, adopted by name
//! cargo run --release --example scale -- gen DIR --size m   # issue 19's M (or l) preset
//! cargo run --release --example scale -- stages DIR URL # times compile + diff + order alone
//! ```
//!
//! `gen` writes a workspace of about 100,000 managed objects split over several files as an
//! institution would (people, groups by department, ACLs by endpoint batch, guest collections,
//! the Boss, Search),
//! and an emulator seed whose live state differs from it by about 5%. Everything is
//! deterministic: the same run writes the same files. It prints the counts as JSON
//! (`DIR/counts.json`), which `bench/scale` uses for the fewest possible requests.
//!
//! `stages` resolves and reads once against a running `accord emulate` at URL, then times the
//! CPU stages on that live state: compile (policy → desired state), and diff, order, rails,
//! access delta and live checks (`engine::plan_from_live`, what `accord plan` runs after
//! its reads). Best of 3 runs each.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use accord::engine::{self, PlanOptions};
#[path = "scale_objects.rs"]
mod objects;
use accord::plan::DiffContext;
use serde_json::json;

/// The workload's size: the full run by default; `gen --size m|l` are issue 19's presets
/// (Groups and Transfer only, 5% drift) for the read and write bounds.
#[derive(Clone, Copy)]
struct Size {
    people: usize,
    groups: usize,
    members: usize,
    endpoints: usize,
    rules: usize,
    /// Whether the Boss part is generated.
    boss: bool,
}
impl Size {
    const FULL: Size = Size {
        people: 10_000,
        groups: 2_000,
        members: 20,
        endpoints: 200,
        rules: 200,
        boss: true,
    };
    /// M: 200 groups × 10 members, 5 collections × 100 rules.
    const M: Size = Size {
        people: 1_000,
        groups: 200,
        members: 10,
        endpoints: 5,
        rules: 100,
        boss: false,
    };
    /// L: 1,000 groups × 20 members, 10 collections × 200 rules.
    const L: Size = Size {
        people: 5_000,
        groups: 1_000,
        members: 20,
        endpoints: 10,
        rules: 200,
        boss: false,
    };
}
static SIZE: std::sync::OnceLock<Size> = std::sync::OnceLock::new();
fn size() -> Size {
    *SIZE.get_or_init(|| Size::FULL)
}
const BOSS_USERS: usize = 2_000;
const BOSS_GROUPS: usize = 300;
const BOSS_MEMBERS: usize = 20;
const BOSS_COLLECTIONS: usize = 20;
const BOSS_EXPERIMENTS: usize = 5;
const BOSS_CHANNELS: usize = 5;
const SEARCH_INDEXES: usize = 4;
/// Documents per index: the Search provider reads one subject per call and Search is paced
/// at 10 requests/second, so 200 subjects are 20 s of reads (2,000 would be 200 s).
const SEARCH_DOCS: usize = 50;
const GCS_ENDPOINTS: usize = 4;
/// Guest collections per GCS endpoint (one mapped collection each).
const GUESTS: usize = 5;
/// ACL rules per guest collection.
const GUEST_RULES: usize = 25;

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const BOSS_TOKEN: &str = "bench-boss-token";

fn person(i: usize) -> String {
    format!("1d000000-0000-4000-8000-{i:012}")
}
fn group_id(g: usize) -> String {
    format!("9a000000-0000-4000-8000-{g:012}")
}
fn endpoint_id(e: usize) -> String {
    format!("e0000000-0000-4000-8000-{e:012}")
}
fn index_id(i: usize) -> String {
    format!("5e000000-0000-4000-8000-{i:012}")
}
fn gcs_endpoint_id(e: usize) -> String {
    format!("ec000000-0000-4000-8000-{e:012}")
}
fn gateway_id(e: usize) -> String {
    format!("a7000000-0000-4000-8000-{e:012}")
}
fn guest_id(c: usize) -> String {
    format!("6c000000-0000-4000-8000-{c:012}")
}
fn mapped_id(e: usize) -> String {
    format!("3c000000-0000-4000-8000-{e:012}")
}

/// A policy principal (`pNNNNN` or `group:gNNNN`) as the seed writes it (an identity id, or
/// the seeded group's name).
fn seed_principal(p: &str) -> String {
    match p.strip_prefix("group:") {
        Some(_) => p.to_string(),
        None => person(p[1..].parse().expect("pNNNNN")),
    }
}

/// One live ACL rule of a seeded endpoint or collection (a line of its `acl:` list).
fn live_rule(seed: &mut String, principal: &str, path: &str, perms: &str) {
    let (ty, who) = match principal.strip_prefix("group:g") {
        Some(g) => ("group", group_id(g.parse().expect("gNNNN"))),
        None => ("identity", person(principal[1..].parse().expect("pNNNNN"))),
    };
    let _ = writeln!(
        seed,
        "      {{ principal_type: {ty}, principal: {who}, path: {path}, permissions: {perms} }},"
    );
}

/// A deterministic draw in 0..100 for an object (SplitMix64 of its coordinates).
fn draw(a: usize, b: usize, salt: u64) -> u64 {
    let mut z = (a as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((b as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(salt);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100
}

/// The j-th member of group g: 20 distinct people per group.
fn member(g: usize, j: usize) -> usize {
    (g * 37 + j * 499) % size().people
}
fn role(j: usize) -> &'static str {
    if j == 0 { "manager" } else { "member" }
}

/// Rule k of guest collection c: (principal, path, permissions). Unique per collection.
fn guest_rule(c: usize, k: usize) -> (String, String, &'static str) {
    let path = format!("/d{:02}/", k % 10);
    let perms = if k.is_multiple_of(4) { "rw" } else { "r" };
    if k.is_multiple_of(5) {
        (
            format!("group:g{:04}", (c * 97 + k) % size().groups),
            path,
            perms,
        )
    } else {
        (
            format!("p{:05}", (c * 331 + k * 17) % size().people),
            path,
            perms,
        )
    }
}

/// Rule k of endpoint e: (principal, path, permissions). Unique per endpoint.
fn rule(e: usize, k: usize) -> (String, String, &'static str) {
    let path = format!("/data/d{:02}/", k % 50);
    let perms = if k.is_multiple_of(10) { "rw" } else { "r" };
    if k.is_multiple_of(5) {
        (
            format!("group:g{:04}", (e * 50 + k) % size().groups),
            path,
            perms,
        )
    } else {
        (
            format!("p{:05}", (e * size().rules + k) % size().people),
            path,
            perms,
        )
    }
}

#[derive(Default)]
struct Counts {
    counts: BTreeMap<&'static str, usize>,
    /// Groups whose memberships get grants / revocations (adds, role changes / removals).
    groups_with_grants: std::collections::BTreeSet<usize>,
    groups_with_revocations: std::collections::BTreeSet<usize>,
    /// Search indexes with a document whose access differs (one ingest each at best).
    indexes_with_doc_changes: std::collections::BTreeSet<usize>,
    /// Documents whose access differs by (index, revokes): one ingest each at best, as an
    /// index's grants and its revocations are sent apart.
    search_doc_batches: BTreeMap<(usize, bool), usize>,
}
impl Counts {
    fn add(&mut self, key: &'static str, n: usize) {
        *self.counts.entry(key).or_default() += n;
    }
}

fn generate(dir: &Path, with_search: bool, with_gcs: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut n = Counts::default();
    let mut seed = String::new();
    let w = |s: &mut String, line: String| {
        s.push_str(&line);
        s.push('\n');
    };

    // accord.yaml: no rails in the way of a 5% reconciliation.
    let boss_glob = if size().boss { ", \"boss/*.yaml\"" } else { "" };
    std::fs::write(
        dir.join("accord.yaml"),
        format!(
            "# Generated by bench/scale.rs: about 100,000 managed objects.\n\
             policies: [\"*.yaml\", \"groups/*.yaml\", \"acl/*.yaml\"{boss_glob}]\n\
             safety:\n  max_deletes: 1000000\n  max_delete_share: 1.0\n"
        ),
    )?;

    // People: aliases pinned to identity UUIDs (resolution looks ids up in batches of 100).
    let mut people = String::from("identities:\n  accord: ");
    people.push_str(CLIENT);
    people.push('\n');
    w(&mut seed, "clients:".into());
    w(
        &mut seed,
        format!("  - {{ client_id: {CLIENT}, client_secret: bench-secret, name: accord bench }}"),
    );
    w(&mut seed, "identities:".into());
    // One person more than the policy names: the extra members and rules of the live side.
    for i in 0..size().people + 100 {
        if i < size().people {
            let _ = writeln!(people, "  p{i:05}: {}", person(i));
        }
        w(
            &mut seed,
            format!("  - {{ id: {}, username: p{i:05}@bench.edu }}", person(i)),
        );
    }
    std::fs::write(dir.join("people.yaml"), people)?;

    // Groups, 100 per file (one file per department).
    std::fs::create_dir_all(dir.join("groups"))?;
    std::fs::create_dir_all(dir.join("acl"))?;
    std::fs::create_dir_all(dir.join("boss"))?;
    w(&mut seed, "groups:".into());
    let mut file = String::new();
    for g in 0..size().groups {
        if g.is_multiple_of(100) {
            file = String::from("groups:\n");
        }
        let _ = writeln!(
            file,
            "  g{g:04}:\n    id: {}\n    description: Group {g}\n    members:\n      accord: admin",
            group_id(g)
        );
        n.add("groups", 1);
        n.add("members", 1);
        w(
            &mut seed,
            format!(
                "  - {{ id: {}, name: g{g:04}, description: Group {g}, members: [",
                group_id(g)
            ),
        );
        w(
            &mut seed,
            format!("      {{ identity: {CLIENT}, role: admin }},"),
        );
        for j in 0..size().members {
            let p = member(g, j);
            let _ = writeln!(file, "      p{p:05}: {}", role(j));
            n.add("members", 1);
            match draw(g, j, 1) {
                0..=1 => {
                    n.add("diff_member_missing", 1);
                    n.groups_with_grants.insert(g);
                }
                2..=3 if j > 0 => {
                    // A member is a manager live: the change demotes (a revocation).
                    w(
                        &mut seed,
                        format!("      {{ identity: {}, role: manager }},", person(p)),
                    );
                    n.add("diff_member_role", 1);
                    n.groups_with_revocations.insert(g);
                }
                _ => w(
                    &mut seed,
                    format!("      {{ identity: {}, role: {} }},", person(p), role(j)),
                ),
            }
        }
        if draw(g, 99, 2) < 25 {
            // An extra live member the policy does not name (removed: a revocation).
            w(
                &mut seed,
                format!(
                    "      {{ identity: {}, role: member }},",
                    person(size().people + g % 100)
                ),
            );
            n.add("diff_member_extra", 1);
            n.groups_with_revocations.insert(g);
        }
        w(&mut seed, "    ]}".into());
        if g % 100 == 99 || g + 1 == size().groups {
            std::fs::write(dir.join(format!("groups/dept{:02}.yaml", g / 100)), &file)?;
        }
    }

    // Endpoints: 200 collections accord does not create, 200 rules each, 20 per file.
    w(&mut seed, "endpoints:".into());
    for e in 0..size().endpoints {
        if e.is_multiple_of(20) {
            file = String::from("endpoints:\n");
        }
        let _ = writeln!(file, "  {}:\n    acl:", endpoint_id(e));
        w(
            &mut seed,
            format!(
                "  - {{ id: {}, display_name: endpoint {e}, roles: {{ access_manager: [{CLIENT}] }}, acl: [",
                endpoint_id(e)
            ),
        );
        for k in 0..size().rules {
            let (principal, path, perms) = rule(e, k);
            let _ = writeln!(
                file,
                "      - {{ principal: {principal}, path: {path}, permissions: {perms} }}"
            );
            n.add("acl_rules", 1);
            match draw(e, k, 3) {
                0..=1 => n.add("diff_rule_missing", 1),
                2..=3 => {
                    let other = if perms == "r" { "rw" } else { "r" };
                    live_rule(&mut seed, &principal, &path, other);
                    n.add("diff_rule_changed", 1);
                }
                _ => live_rule(&mut seed, &principal, &path, perms),
            }
            if draw(e, k, 4) < 1 {
                // An extra live rule on a path the policy does not grant this principal.
                live_rule(&mut seed, &principal, "/data/stale/", "r");
                n.add("diff_rule_extra", 1);
            }
        }
        w(&mut seed, "    ]}".into());
        if e % 20 == 19 || e + 1 == size().endpoints {
            std::fs::write(dir.join(format!("acl/endpoints{:02}.yaml", e / 20)), &file)?;
        }
    }

    if with_gcs {
        guest_collections(dir, &mut seed, &mut n)?;
    }

    // The Boss: 100 groups of 10 members, 10 collections × 5 experiments × 4 channels, each
    // resource granting 3 groups a permission set.
    let mut boss_seed = String::from("boss:\n  accord_user: bench-admin\n  users:\n");
    let _ = writeln!(
        boss_seed,
        "    - {{ username: bench-admin, token: {BOSS_TOKEN}, roles: [resource-manager] }}"
    );
    for u in 0..BOSS_USERS {
        let _ = writeln!(boss_seed, "    - {{ username: bu{u:04} }}");
    }
    let mut boss = String::from("boss:\n  groups:\n");
    boss_seed.push_str("  groups:\n");
    for g in 0..BOSS_GROUPS * usize::from(size().boss) {
        let members: Vec<String> = (0..BOSS_MEMBERS)
            .map(|j| format!("bu{:04}", (g * 7 + j * 97) % BOSS_USERS))
            .collect();
        let maintainer = format!("bu{:04}", (g * 11 + 3) % BOSS_USERS);
        let _ = writeln!(
            boss,
            "    bg{g:03}: {{ members: [{}], maintainers: [{maintainer}] }}",
            members.join(", ")
        );
        n.add("boss_groups", 1);
        n.add("boss_members", BOSS_MEMBERS + 1);
        let mut live = members.clone();
        if draw(g, 0, 5) < 10 {
            live.remove(1);
            n.add("diff_boss_member_missing", 1);
        }
        if draw(g, 0, 6) < 10 {
            live.push(format!("bu{:04}", (g * 13 + 1) % BOSS_USERS));
            n.add("diff_boss_member_extra", 1);
        }
        live.sort();
        live.dedup();
        let _ = writeln!(
            boss_seed,
            "    - {{ name: bg{g:03}, owner: bench-admin, members: [{}], maintainers: [{maintainer}] }}",
            live.join(", ")
        );
    }
    if size().boss {
        std::fs::write(dir.join("boss/groups.yaml"), &boss)?;
    }

    let mut boss = String::from(
        "boss:\n  permission_sets:\n    reader: [read]\n    contributor: [reader, add]\n    \
         data_reader: [read, read_volumetric_data]\n  coordinate_frames:\n    bench_frame: \
         { x_start: 0, x_stop: 1024, y_start: 0, y_stop: 1024, z_start: 0, z_stop: 64, \
         x_voxel_size: 4.0, y_voxel_size: 4.0, z_voxel_size: 40.0, voxel_unit: nanometers }\n  collections:\n",
    );
    let _ = writeln!(
        boss_seed,
        "  coord_frames:\n    - {{ name: bench_frame, creator: bench-admin, x_start: 0, x_stop: 1024, \
         y_start: 0, y_stop: 1024, z_start: 0, z_stop: 64, x_voxel_size: 4.0, y_voxel_size: 4.0, \
         z_voxel_size: 40.0, voxel_unit: nanometers }}\n  collections:"
    );
    let mut resource = 0usize;
    // The policy's permissions and the live ones of the next resource (5% off).
    let mut perms = |n: &mut Counts, channel: bool| -> (String, String) {
        resource += 1;
        let set = if channel {
            "data_reader"
        } else {
            "contributor"
        };
        let wire = if channel {
            "[read, read_volumetric_data]"
        } else {
            "[read, add]"
        };
        let groups: Vec<String> = (0..5)
            .map(|k| format!("bg{:03}", (resource * 5 + k) % BOSS_GROUPS))
            .collect();
        let policy = groups
            .iter()
            .map(|g| format!("{g}: {set}"))
            .collect::<Vec<_>>()
            .join(", ");
        let live = groups
            .iter()
            .enumerate()
            .filter_map(|(k, g)| {
                n.add("boss_permissions", 1);
                match draw(resource, k, 7) {
                    0..=2 => {
                        n.add("diff_boss_permission_missing", 1);
                        None
                    }
                    3..=4 => {
                        n.add("diff_boss_permission_changed", 1);
                        Some(format!("{g}: [read]"))
                    }
                    _ => Some(format!("{g}: {wire}")),
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        (format!("{{ {policy} }}"), format!("{{ {live} }}"))
    };
    for c in 0..BOSS_COLLECTIONS * usize::from(size().boss) {
        let (p, l) = perms(&mut n, false);
        let _ = writeln!(
            boss,
            "    bc{c:02}:\n      permissions: {p}\n      experiments:"
        );
        let _ = writeln!(
            boss_seed,
            "    - name: bc{c:02}\n      creator: bench-admin\n      permissions: {l}\n      experiments:"
        );
        n.add("boss_resources", 1);
        for x in 0..BOSS_EXPERIMENTS {
            let (p, l) = perms(&mut n, false);
            let _ = writeln!(
                boss,
                "        be{x}:\n          coord_frame: bench_frame\n          permissions: {p}\n          channels:"
            );
            let _ = writeln!(
                boss_seed,
                "        - name: be{x}\n          coord_frame: bench_frame\n          creator: bench-admin\n          permissions: {l}\n          channels:"
            );
            n.add("boss_resources", 1);
            for ch in 0..BOSS_CHANNELS {
                let (p, l) = perms(&mut n, true);
                let _ = writeln!(
                    boss,
                    "            ch{ch}: {{ type: image, datatype: uint8, permissions: {p} }}"
                );
                let _ = writeln!(
                    boss_seed,
                    "            - {{ name: ch{ch}, type: image, datatype: uint8, creator: bench-admin, permissions: {l} }}"
                );
                n.add("boss_resources", 1);
            }
        }
    }
    if size().boss {
        std::fs::write(dir.join("boss/hierarchy.yaml"), &boss)?;
        seed.push_str(&boss_seed);
    }

    if with_search {
        search_indexes(dir, &mut seed, &mut n)?;
    }
    // A seed this size is over the YAML loader's node budget: it is written as JSON, which
    // `accord emulate --seed` reads by its extension.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = 10_000_000;
    budget.max_events = 10_000_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    let value: serde_json::Value = serde_saphyr::from_str_with_options(&seed, options)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    std::fs::write(
        dir.join("seed.json"),
        serde_json::to_string(&value).expect("json"),
    )?;

    // Managed objects per service (rules on guest collections are Transfer's).
    let c = |k: &str| n.counts.get(k).copied().unwrap_or(0);
    let by_service = json!({
        "groups": c("groups") + c("members"),
        "transfer": c("acl_rules") + c("gcs_acl_rules"),
        "gcs": c("gcs_credentials") + c("gcs_collections") + c("gcs_roles"),
        "boss": c("boss_groups") + c("boss_members") + c("boss_resources") + c("boss_permissions"),
        "search": c("search_roles") + c("search_documents"),
    });
    let total: usize = by_service
        .as_object()
        .expect("object")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum::<u64>() as usize;
    let mut counts = serde_json::to_value(&n.counts).expect("counts");
    counts["managed_objects"] = json!(total);
    counts["objects_by_service"] = by_service;
    counts["people"] = json!(size().people);
    counts["endpoints"] = json!(size().endpoints);
    counts["search"] = json!(with_search);
    counts["search_indexes"] = json!(if with_search { SEARCH_INDEXES } else { 0 });
    counts["search_indexes_with_doc_changes"] = json!(n.indexes_with_doc_changes.len());
    counts["search_doc_batches"] = json!(n.search_doc_batches.len());
    // A batch's subjects are re-read before its ingest: one query page from 3 subjects
    // (QUERY_THRESHOLD), a GET each below.
    counts["search_batch_rereads"] = json!(
        n.search_doc_batches
            .values()
            .map(|&docs| if docs >= 3 { 1 } else { docs })
            .sum::<usize>()
    );
    counts["gcs"] = json!(with_gcs);
    counts["groups_with_grants"] = json!(n.groups_with_grants.len());
    counts["groups_with_revocations"] = json!(n.groups_with_revocations.len());
    counts["boss_token"] = json!(BOSS_TOKEN);
    std::fs::write(
        dir.join("counts.json"),
        serde_json::to_string_pretty(&counts).expect("json"),
    )?;
    println!("{}", serde_json::to_string_pretty(&counts).expect("json"));
    Ok(())
}

/// Guest collections (GCS): `GCS_ENDPOINTS` endpoints, each with a storage gateway and a
/// mapped collection holding `GUESTS` guest collections with three roles and `GUEST_RULES`
/// ACL rules each, and the running identity's user credential they need. Live: the last
/// guest collection and the last endpoint's credential are missing, one collection has the
/// other `public`, a role is missing, two guests have an undeclared access manager, 1% of
/// the rules have other permissions and 1% are extra.
fn guest_collections(dir: &Path, seed: &mut String, n: &mut Counts) -> std::io::Result<()> {
    let mut policy = String::from("collections:\n");
    let last = GCS_ENDPOINTS * GUESTS - 1;
    for e in 0..GCS_ENDPOINTS {
        let (ep, gw, mapped) = (gcs_endpoint_id(e), gateway_id(e), mapped_id(e));
        n.add("gcs_endpoints", 1);
        n.add("gcs_credentials", 1);
        let credential = if e + 1 < GCS_ENDPOINTS {
            format!("{{ identity: {CLIENT}, storage_gateway: posix }}")
        } else {
            n.add("diff_gcs_credential_missing", 1);
            String::new()
        };
        let _ = writeln!(
            seed,
            "  - {{ id: {ep}, display_name: gcs endpoint {e}, entity_type: GCSv5_endpoint, \
             storage_gateways: [{{ id: {gw}, display_name: posix }}], user_credentials: [{credential}] }}"
        );
        let _ = writeln!(
            seed,
            "  - {{ id: {mapped}, display_name: mapped collection {e}, entity_type: GCSv5_mapped_collection, \
             host_endpoint_id: {ep}, storage_gateway: posix, roles: {{ administrator: [{CLIENT}] }} }}"
        );
        for k in 0..GUESTS {
            let c = e * GUESTS + k;
            let public = c.is_multiple_of(2);
            let managers = [
                format!("p{:05}", (c * 53 + 1) % size().people),
                format!("p{:05}", (c * 53 + 2) % size().people),
            ];
            let monitor = format!("group:g{:04}", (c * 61) % size().groups);
            let _ = writeln!(
                policy,
                "  gc{c:02}:\n    endpoint: {ep}\n    mapped_collection: {mapped}\n    \
                 storage_gateway: {gw}\n    base_path: /projects/p{c:02}/\n    \
                 display_name: Guest collection {c}\n    public: {public}\n    \
                 roles: {{ access_manager: [{}], activity_monitor: [{monitor}] }}\n    acl:",
                managers.join(", ")
            );
            n.add("gcs_collections", 1);
            n.add("gcs_roles", 3);
            let live = c != last;
            if !live {
                n.add("diff_gcs_collection_missing", 1);
                n.add("diff_gcs_role_missing", 3);
            } else {
                n.add("gcs_collections_live", 1);
                let live_public = if c == 7 {
                    n.add("diff_gcs_collection_changed", 1);
                    !public
                } else {
                    public
                };
                let mut live_managers: Vec<String> =
                    managers.iter().map(|m| seed_principal(m)).collect();
                if c == 4 {
                    live_managers.pop();
                    n.add("diff_gcs_role_missing", 1);
                }
                if c % 10 == 3 {
                    live_managers.push(person((c * 53 + 3) % size().people));
                    n.add("diff_gcs_role_extra", 1);
                }
                let _ = writeln!(
                    seed,
                    "  - id: {}\n    display_name: Guest collection {c}\n    \
                     entity_type: GCSv5_guest_collection\n    host_endpoint_id: {ep}\n    \
                     mapped_collection_id: {mapped}\n    collection_base_path: /projects/p{c:02}/\n    \
                     owner: {CLIENT}\n    public: {live_public}\n    \
                     roles: {{ administrator: [{CLIENT}], access_manager: [{}], activity_monitor: [{monitor}] }}\n    acl: [",
                    guest_id(c),
                    live_managers.join(", ")
                );
            }
            for k in 0..GUEST_RULES {
                let (principal, path, perms) = guest_rule(c, k);
                let _ = writeln!(
                    policy,
                    "      - {{ principal: {principal}, path: {path}, permissions: {perms} }}"
                );
                n.add("gcs_acl_rules", 1);
                if !live {
                    n.add("diff_gcs_rule_missing", 1);
                    continue;
                }
                if draw(c, k, 9) < 1 {
                    let other = if perms == "r" { "rw" } else { "r" };
                    live_rule(seed, &principal, &path, other);
                    n.add("diff_gcs_rule_changed", 1);
                } else {
                    live_rule(seed, &principal, &path, perms);
                }
                if draw(c, k, 10) < 1 {
                    live_rule(seed, &principal, "/stale/", "r");
                    n.add("diff_gcs_rule_extra", 1);
                }
            }
            if live {
                seed.push_str("    ]\n");
            }
        }
    }
    std::fs::write(dir.join("collections.yaml"), policy)
}

/// Search: `SEARCH_INDEXES` indexes, each with its roles (owner accord, an admin, three
/// writers and a writer group) and `SEARCH_DOCS` documents whose `visible_to` names a group,
/// every other one with `principal_sets` (a curator and a contributor group); each index's
/// doc0000 has two entries. Live: a writer missing on two indexes, an undeclared writer on
/// one, about 3% of the documents visible to `public`, about 2% missing their curator, and
/// doc0000 of index 1 with entries that disagree.
fn search_indexes(dir: &Path, seed: &mut String, n: &mut Counts) -> std::io::Result<()> {
    let mut policy = String::from("search:\n  indexes:\n");
    seed.push_str("search:\n  indexes:\n");
    let seeds = |v: &[String]| {
        v.iter()
            .map(|p| seed_principal(p))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for i in 0..SEARCH_INDEXES {
        let admin = format!("p{:05}", 9_000 + i * 10);
        let writers: Vec<String> = (1..4)
            .map(|k| format!("p{:05}", 9_000 + i * 10 + k))
            .chain([format!("group:g{:04}", 1_900 + i)])
            .collect();
        let _ = writeln!(
            policy,
            "    {}:\n      roles: {{ owner: [accord], admin: [{admin}], writer: [{}] }}\n      documents:",
            index_id(i),
            writers.join(", ")
        );
        n.add("search_roles", 2 + writers.len());
        let mut live_writers = writers.clone();
        if i.is_multiple_of(2) {
            live_writers.remove(0);
            n.add("diff_search_role_missing", 1);
        }
        if i == 1 {
            live_writers.push(format!("p{:05}", 9_000 + i * 10 + 5));
            n.add("diff_search_role_extra", 1);
        }
        let _ = writeln!(
            seed,
            "    {}:\n      display_name: bench index {i}\n      \
             roles: {{ owner: [{CLIENT}], admin: [{}], writer: [{}] }}\n      entries:",
            index_id(i),
            seed_principal(&admin),
            seeds(&live_writers)
        );
        for d in 0..SEARCH_DOCS {
            let visible = vec![format!("group:g{:04}", (i * 500 + d * 7) % size().groups)];
            let sets = d.is_multiple_of(2).then(|| {
                (
                    vec![format!("p{:05}", (i * 1_000 + d * 13) % size().people)],
                    vec![format!(
                        "group:g{:04}",
                        (i * 300 + d * 11 + 1) % size().groups
                    )],
                )
            });
            let _ = write!(
                policy,
                "        doc{d:04}: {{ visible_to: [{}]",
                visible.join(", ")
            );
            if let Some((curators, contributors)) = &sets {
                let _ = write!(
                    policy,
                    ", principal_sets: {{ curator: [{}], contributor: [{}] }}",
                    curators.join(", "),
                    contributors.join(", ")
                );
            }
            policy.push_str(" }\n");
            n.add("search_documents", 1);
            let (mut live_visible, mut live_sets) = (seeds(&visible), sets.clone());
            let r = draw(i, d, 8);
            // Whether the change drops a principal (a revocation) or only adds (a grant).
            let (mut differs, mut revokes) = (false, false);
            if r < 3 {
                live_visible = "public".into();
                differs = true;
                revokes = true;
            } else if r < 7
                && let Some((curators, _)) = &mut live_sets
            {
                curators.clear();
                differs = true;
            }
            let entry = |id: &str, visible: &str, sets: &Option<(Vec<String>, Vec<String>)>| {
                let sets = match sets {
                    Some((cur, con)) => format!(
                        ", principal_sets: {{ curator: [{}], contributor: [{}] }}",
                        seeds(cur),
                        seeds(con)
                    ),
                    None => String::new(),
                };
                format!(
                    "        - {{ subject: doc{d:04}{id}, visible_to: [{visible}]{sets}, \
                     content: {{ n: {d}, title: \"document {d} of index {i}\" }} }}\n"
                )
            };
            seed.push_str(&entry("", &live_visible, &live_sets));
            if d == 0 {
                // A second entry (id v2): in index 1 it disagrees with the first.
                let v2_visible = if i == 1 {
                    differs = true;
                    revokes = true;
                    "public".to_string()
                } else {
                    live_visible.clone()
                };
                seed.push_str(&entry(", id: v2", &v2_visible, &live_sets));
            }
            if differs {
                n.add("diff_search_documents", 1);
                n.indexes_with_doc_changes.insert(i);
                *n.search_doc_batches.entry((i, revokes)).or_default() += 1;
            }
        }
    }
    std::fs::write(dir.join("search.yaml"), policy)
}

async fn stages(dir: &Path, url: &str) -> anyhow::Result<()> {
    let services = accord::services::builtin();
    let ws =
        accord::policy::load_workspace(dir, &services).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let conn = accord::target::connect(&services, Some(&ws), Some(url), None).await?;
    let session = &conn.session;
    let now = chrono::Utc::now();
    let t = Instant::now();
    let resolved = accord::policy::resolve(&ws.policy, &ws.config.safety.protect, &*session.auth)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let resolve_s = t.elapsed().as_secs_f64();
    let (desired, protect) = engine::desired(&ws, session, now).await?;
    let t = Instant::now();
    let (live, _ids) = engine::read_live(&desired, session).await?;
    let read_s = t.elapsed().as_secs_f64();
    let ctx = DiffContext {
        callers: engine::callers(&desired, session).await?,
        protect,
    };
    let opts = PlanOptions::default();
    let mut best_compile = f64::MAX;
    let mut best_plan = f64::MAX;
    let mut changes = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let d = accord::policy::compile(&ws.policy, &resolved, now)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        best_compile = best_compile.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let plan = engine::plan_from_live(&ws, session, &opts, now, &d, &live, &ctx)?;
        best_plan = best_plan.min(t.elapsed().as_secs_f64());
        changes = plan.changes.len();
    }
    println!(
        "{}",
        json!({
            "resolve_s": resolve_s,
            "read_s": read_s,
            "compile_s": best_compile,
            "diff_order_s": best_plan,
            "cpu_s": best_compile + best_plan,
            "desired_objects": desired.state.objects.len(),
            "live_objects": live.state.objects.len(),
            "changes": changes,
        })
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", dir, "--objects", n] => {
            let counts = objects::generate(&PathBuf::from(dir), n.parse()?)?;
            println!("{}", serde_json::to_string_pretty(&counts)?);
            Ok(())
        }
        ["gen", dir, rest @ ..] => {
            let preset = rest
                .iter()
                .position(|a| *a == "--size")
                .map(|i| rest.get(i + 1));
            match preset {
                None => {}
                Some(Some(&"m")) => _ = SIZE.set(Size::M),
                Some(Some(&"l")) => _ = SIZE.set(Size::L),
                Some(other) => anyhow::bail!("--size takes m or l, not {other:?}"),
            }
            // The presets are Groups and Transfer alone.
            let rest: &[&str] = if preset.is_some() {
                &["--no-search", "--no-gcs"]
            } else {
                rest
            };
            generate(
                &PathBuf::from(dir),
                !rest.contains(&"--no-search"),
                !rest.contains(&"--no-gcs"),
            )?;
            Ok(())
        }
        ["stages", dir, url] => {
            tokio::runtime::Runtime::new()?.block_on(stages(&PathBuf::from(dir), url))
        }
        _ => {
            eprintln!(
                "usage: scale gen DIR [--no-search] [--no-gcs] [--size m|l] | scale stages DIR URL"
            );
            std::process::exit(1)
        }
    }
}
