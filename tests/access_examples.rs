//! `accord access who|what` on the Boss tutorial, the Search guide and the data-distribution
//! workspaces, with answers worked out by hand from their policy files (line numbers
//! included), as the seed documents tell their scenarios: who may read channel EM and
//! through which group; which documents user I sees as curator and why; who reaches a
//! community release through a guest collection.

mod common;

use common::run;

const BOSS: &str = "policies/boss-tutorial";
const SEARCH: &str = "policies/search-roles";
const DIST: &str = "policies/data-distribution";
const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";

/// `accord access ARGS… --from FROM`: exit code and stdout, failing on a non-zero exit.
fn access(args: &[&str], from: &str) -> String {
    let mut all = vec!["access"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--from", from]);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{err}");
    out
}

fn assert_lines(out: &str, lines: &[&str]) {
    for line in lines {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
}

/// The holders an answer lists, in order (the lines indented by two spaces).
fn holders(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| l.trim().split(':').next().unwrap_or("").to_string())
        .collect()
}

// The Boss tutorial: data_reader = read + read_volumetric_data; data_curator adds
// add_volumetric_data, update and delete_volumetric_data; data_manager is manager (read, add,
// update, delete, assign_group, remove_group) with the three volumetric rights
// (permission-sets.yaml). Channel EM gives interns and computer vision data_reader,
// scientists and analysts data_curator, admins data_manager (hierarchy.yaml:32-36).
const READER: &str = "read, read_volumetric_data";
const CURATOR: &str =
    "read, read_volumetric_data, add_volumetric_data, update, delete_volumetric_data";
const MANAGER: &str = "read, read_volumetric_data, add, add_volumetric_data, update, delete, delete_volumetric_data, assign_group, remove_group";

#[test]
fn who_may_read_channel_em_and_through_which_group() {
    let out = access(&["who", "boss:JHUAPL/Mouse17/EM", BOSS], "policy");
    assert_eq!(
        holders(&out),
        [
            "analyst-eve",
            "cv-pipeline",
            "intern-ana",
            "intern-ben",
            "jhuapl-admin",
            "lab-manager",
            "sci-carla",
            "sci-dev"
        ]
    );
    assert_lines(
        &out,
        &[
            &format!("  intern-ana: {READER}\n"),
            &format!(
                "intern-ana —member→ Boss group jhuapl_interns (groups.yaml:7) —{READER}→ Boss JHUAPL/Mouse17/EM (hierarchy.yaml:32)"
            ),
            &format!(
                "sci-carla —member→ Boss group jhuapl_scientists (groups.yaml:8) —{CURATOR}→ Boss JHUAPL/Mouse17/EM (hierarchy.yaml:33)"
            ),
            &format!(
                "analyst-eve —member→ Boss group jhuapl_analysts (groups.yaml:9) —{CURATOR}→ Boss JHUAPL/Mouse17/EM (hierarchy.yaml:34)"
            ),
            &format!(
                "cv-pipeline —member→ Boss group jhuapl_computer_vision (groups.yaml:10) —{READER}→ Boss JHUAPL/Mouse17/EM (hierarchy.yaml:35)"
            ),
            &format!(
                "lab-manager —member→ Boss group jhuapl_admins (groups.yaml:11) —{MANAGER}→ Boss JHUAPL/Mouse17/EM (hierarchy.yaml:36)"
            ),
        ],
    );
}

#[test]
fn boss_permissions_are_not_inherited_down_the_hierarchy() {
    // The collection gives interns contributor (read, add) and computer vision viewer (read)
    // (hierarchy.yaml:13, 16): not what they hold on channel EM.
    let out = access(&["who", "boss:JHUAPL", BOSS], "policy");
    assert_lines(
        &out,
        &[
            "  intern-ana: read, add\n",
            "  cv-pipeline: read\n",
            "cv-pipeline —member→ Boss group jhuapl_computer_vision (groups.yaml:10) —read→ Boss JHUAPL (hierarchy.yaml:16)",
        ],
    );
}

#[test]
fn a_boss_maintainer_manages_a_group_without_holding_its_rights_by_that() {
    // lab-manager is a member and a maintainer of jhuapl_admins (groups.yaml:11): the rights
    // come through the membership only.
    let out = access(&["what", "boss-user:lab-manager", BOSS], "policy");
    assert_lines(
        &out,
        &[
            "  maintainer of Boss group jhuapl_admins\n",
            "lab-manager —maintainer→ Boss group jhuapl_admins (groups.yaml:11)",
            &format!("  {MANAGER} on Boss JHUAPL/Mouse17/EM\n"),
        ],
    );
    assert!(
        !out.contains("—maintainer→ Boss group jhuapl_admins (groups.yaml:11) —"),
        "{out}"
    );
    // A maintainer only (no membership) would hold nothing more: the tutorial has none, so
    // ask of a user in no group.
    let out = access(&["what", "boss-user:nobody", BOSS], "policy");
    assert!(out.contains("  nobody\n"), "{out}");
}

#[test]
fn which_documents_user_i_sees_as_curator_and_why() {
    // ivy (I) is a curator of doc1 (search.yaml:15, its principal_sets) and, as a member of
    // team-h (people.yaml:14), a contributor of doc2 (search.yaml:20). Every document is
    // visible to public (search.yaml:12, 15, 20): what everyone gets.
    let out = access(&["what", "ivy", SEARCH], "policy");
    assert_lines(
        &out,
        &[
            "  curator on doc1 in Search index 4de2f3a1…\n",
            "ivy —curator→ doc1 in Search index 4de2f3a1… (search.yaml:15)",
            "  contributor on doc2 in Search index 4de2f3a1…\n",
            "ivy —member→ group team-h (people.yaml:14) —contributor→ doc2 in Search index 4de2f3a1… (search.yaml:20)",
            "What everyone gets:\n",
            "  public: visible on doc0 in Search index 4de2f3a1…\n",
            "  public: visible on doc2 in Search index 4de2f3a1…\n",
        ],
    );
    assert!(!out.contains("curator on doc2"), "{out}");
}

#[test]
fn a_documents_readers_include_the_index_owner_by_the_services_rule() {
    // doc1: visible to public, curators ivy and jon, contributors team-g (jon,
    // people.yaml:11); the index's owner (accord, search.yaml:9) sees every document.
    let doc = format!("search:{INDEX}:doc1");
    let out = access(&["who", &doc, SEARCH], "policy");
    assert_eq!(holders(&out), ["accord", "ivy", "jon", "public"]);
    assert_lines(
        &out,
        &[
            "accord —visible (as owner)→ doc1 in Search index 4de2f3a1… (search.yaml:9)",
            "jon —curator→ doc1 in Search index 4de2f3a1… (search.yaml:15)",
            "jon —member→ group team-g (people.yaml:11) —contributor→ doc1 in Search index 4de2f3a1… (search.yaml:15)",
            "public —visible→ doc1 in Search index 4de2f3a1… (search.yaml:15)",
        ],
    );
    // A subject holding colons is read whole: only the first two colons split.
    let (code, out, err) = run(&[
        "access",
        "who",
        &format!("search:{INDEX}:https://example.org/a:b"),
        SEARCH,
        "--from",
        "policy",
    ]);
    assert_eq!(code, 0, "{err}");
    // Only the owner sees a subject the policy does not name, by the service's rule.
    assert_eq!(holders(&out), ["accord"], "{out}");
    assert_lines(
        &out,
        &[
            &format!("Who can reach search:{INDEX}:https://example.org/a:b (from policy)"),
            "accord —visible (as owner)→ https://example.org/a:b in Search index 4de2f3a1… (search.yaml:9)",
        ],
    );
}

#[test]
fn the_index_roles_from_both_say_what_is_live_and_what_the_policy_does_not_explain() {
    // The guide's live index has ivy as writer, which the policy does not declare; jon's
    // writer role (search.yaml:10) is not live yet; accord's owner role is.
    let out = access(&["who", &format!("search-index:{INDEX}"), SEARCH], "both");
    assert_lines(
        &out,
        &[
            "accord —owner→ Search index 4de2f3a1… (search.yaml:9, live)",
            "ivy —writer→ Search index 4de2f3a1… (live only)",
            "jon —writer→ Search index 4de2f3a1… (search.yaml:10, not yet live)",
            "Grants: 1 live, 1 live only, 1 not yet live.",
        ],
    );
}

#[test]
fn a_community_release_is_reached_through_the_guest_collections_group_rule() {
    // community.yaml:15 gives group:dist-community r on /release-1/ of the guest collection
    // community-share; dave and erin are its members (people.yaml:11, 12). bob holds the
    // collection's access_manager role (community.yaml:12), which is no data access.
    let out = access(
        &["who", "transfer:community-share:/release-1/2026/a.h5", DIST],
        "policy",
    );
    assert_eq!(holders(&out), ["dave", "erin"]);
    assert_lines(
        &out,
        &[
            "dave —member→ group dist-community (people.yaml:11) —r→ community-share /release-1/ (community.yaml:15)",
        ],
    );
    let out = access(&["who", "gcs:community-share", DIST], "policy");
    assert_eq!(holders(&out), ["bob"]);
    assert_lines(
        &out,
        &["bob —access_manager→ guest collection community-share (community.yaml:12)"],
    );
}

#[test]
fn a_folder_per_user_is_named_by_the_users_spelling_from_the_policy_alone() {
    // per-user.yaml:10: bob's own folder, named by his identity id, r until 2027-03-31.
    let out = access(&["what", "bob", DIST], "policy");
    assert_lines(
        &out,
        &[
            "bob —r→ e56c36e4… /disthome/<id of bob@uchicago.edu>/ (per-user.yaml:10) [expires 2027-03-31T00:00:00Z]",
            "usernames are shown as written and matched by spelling",
        ],
    );
    // Read live, the folder carries bob's real identity id, as Globus Auth resolves it.
    let out = access(&["what", "bob", DIST], "both");
    assert!(
        out.contains("/disthome/") && !out.contains("<id of"),
        "{out}"
    );
}
