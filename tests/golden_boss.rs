//! Decodes every Boss API v1 example of the reference (PART A, copied into
//! `tests/golden/boss_*.json`) with the wire types of `accord::services::boss::wire`, and checks that
//! re-serialising keeps every key of the example and any unknown field.

#[path = "golden_support.rs"]
mod support;
use support::{assert_subset, golden};

use accord::services::boss::wire::{
    BoolResult, BossError, Channel, Collection, CollectionList, CoordFrame, CoordList, DrfDetail,
    Experiment, Group, GroupList, MaintainerList, MemberList, PermissionSet, PermissionSets,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

/// Decodes a golden file with the lenient-client checks, and also requires every key of the
/// example to come back with the same value.
fn decode<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let value: T = support::decode(name);
    assert_subset(&golden(name), &serde_json::to_value(&value).unwrap(), name);
    value
}

#[test]
fn error_body() {
    let e: BossError = decode("boss_error");
    assert_eq!((e.status, e.code), (403, 3001));
    assert_eq!(e.message, "Missing read permissions on the resource col1");
}

#[test]
fn keycloak_error_keeps_merged_keys() {
    let e: BossError = serde_json::from_value(
        json!({"status": 500, "code": 7001, "message": "m", "error": "unknown_error"}),
    )
    .unwrap();
    assert_eq!(e.extra["error"], "unknown_error");
}

#[test]
fn drf_detail() {
    let d: DrfDetail = decode("boss_drf_detail");
    assert_eq!(d.detail, "Invalid token.");
}

#[test]
fn group_list_and_group() {
    let l: GroupList = decode("boss_group_list");
    assert_eq!(l.groups, ["public", "alice-primary", "lab1"]);
    let g: Group = decode("boss_group");
    assert_eq!((g.name.as_str(), g.owner.as_str()), ("lab1", "alice"));
    assert_eq!(g.resources.len(), 3);
    assert_eq!(g.resources[0].experiment, None);
    assert_eq!(g.resources[2].channel.as_deref(), Some("ch1"));
}

#[test]
fn members_maintainers_and_result() {
    let m: MemberList = decode("boss_members");
    assert_eq!(m.members, ["alice", "bob"]);
    let m: MaintainerList = decode("boss_maintainers");
    assert_eq!(m.maintainers, ["alice", "bossadmin"]);
    let r: BoolResult = decode("boss_member_result");
    assert!(r.result);
}

#[test]
fn resources() {
    let c: Collection = decode("boss_collection");
    assert_eq!((c.name.as_str(), c.creator.as_str()), ("c1", "alice"));
    assert_eq!(c.experiments, ["e1"]);
    let e: Experiment = decode("boss_experiment");
    assert_eq!(e.coord_frame, "cf1");
    assert_eq!(e.time_step_unit.as_deref(), Some("seconds"));
    let ch: Channel = decode("boss_channel");
    assert_eq!(ch.channel_type, "image");
    assert_eq!(ch.bucket, None);
    let f: CoordFrame = decode("boss_coord_frame");
    assert_eq!((f.x_stop, f.voxel_unit.as_str()), (1000, "nanometers"));
    let l: CollectionList = decode("boss_collection_list");
    assert_eq!(l.collections, ["c1"]);
    let l: CoordList = decode("boss_coord_list");
    assert_eq!(l.coords, ["cf1"]);
}

#[test]
fn experiment_with_null_time_step_decodes() {
    let e: Experiment = serde_json::from_value(
        json!({"name": "e", "collection": "c", "time_step": null, "time_step_unit": null}),
    )
    .unwrap();
    assert_eq!((e.time_step, e.time_step_unit), (None, None));
    assert_eq!(
        (e.num_hierarchy_levels, e.hierarchy_method.as_str()),
        (1, "anisotropic")
    );
}

#[test]
fn permission_sets() {
    let s: PermissionSets = decode("boss_permission_sets");
    assert_eq!(s.permission_sets.len(), 2);
    assert_eq!(s.permission_sets[0].experiment, None);
    assert_eq!(s.permission_sets[1].channel.as_deref(), Some("ch1"));
    let one: PermissionSet = decode("boss_permission_set");
    assert_eq!(one.permissions, ["read", "add_volumetric_data"]);
    let collection_level = serde_json::to_value(&s.permission_sets[0]).unwrap();
    assert!(collection_level.get("experiment").is_none());
}
