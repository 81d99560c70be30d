//! Property: for random Boss policies and live states, one apply converges (plan is empty
//! after it) and a second apply sends nothing.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::run;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const USERS: usize = 4;
const GROUPS: usize = 3;
const BASE: [&str; 6] = [
    "read",
    "add",
    "update",
    "delete",
    "assign_group",
    "remove_group",
];
const DATA: [&str; 3] = [
    "read_volumetric_data",
    "add_volumetric_data",
    "delete_volumetric_data",
];
/// The collection, its experiment and two channels.
const RESOURCES: [&str; 4] = ["C", "C/E", "C/E/ch0", "C/E/ch1"];

/// The permission names of `mask` at a level (channels take the volumetric ones too).
fn names(mask: u16, channel: bool) -> Vec<&'static str> {
    let all: Vec<&str> = if channel {
        BASE.iter().chain(DATA.iter()).copied().collect()
    } else {
        BASE.to_vec()
    };
    all.into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, n)| n)
        .collect()
}

/// One random world.
#[derive(Debug, Clone)]
struct Case {
    seeded_groups: Vec<bool>,
    /// Per group, per user: (member, maintainer) live and in policy.
    seed_members: Vec<Vec<(bool, bool)>>,
    policy_members: Vec<Vec<(bool, bool)>>,
    /// How deep the hierarchy is seeded: 0 nothing, 1 the collection, 2 + experiment,
    /// 3 + ch0, 4 + ch1.
    seeded_depth: usize,
    /// Per resource, per group: live mask, and the policy's (None: group not named).
    seed_perms: Vec<Vec<u16>>,
    policy_perms: Vec<Vec<Option<u16>>>,
    description: (bool, bool),
}

fn case() -> impl Strategy<Value = Case> {
    let people = || {
        prop::collection::vec(
            prop::collection::vec(
                (prop::bool::weighted(0.5), prop::bool::weighted(0.2)),
                USERS,
            ),
            GROUPS,
        )
    };
    let masks = || prop::collection::vec(prop::collection::vec(0u16..512, GROUPS), RESOURCES.len());
    let named = prop::collection::vec(
        prop::collection::vec(prop::option::weighted(0.7, 0u16..512), GROUPS),
        RESOURCES.len(),
    );
    (
        prop::collection::vec(prop::bool::weighted(0.6), GROUPS),
        people(),
        people(),
        0usize..5,
        masks(),
        named,
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                seeded_groups,
                seed_members,
                policy_members,
                seeded_depth,
                seed_perms,
                policy_perms,
                description,
            )| Case {
                seeded_groups,
                seed_members,
                policy_members,
                seeded_depth,
                seed_perms,
                policy_perms,
                description,
            },
        )
}

fn is_channel(r: usize) -> bool {
    r >= 2
}

fn list(items: &[&str]) -> String {
    format!("[{}]", items.join(", "))
}

impl Case {
    /// The live perms of resource `r` for group `g`, as seeded.
    fn seeded(&self, r: usize, g: usize) -> Vec<&'static str> {
        if !self.seeded_groups[g] || r >= self.seeded_depth {
            return Vec::new();
        }
        names(self.seed_perms[r][g], is_channel(r))
    }

    fn perms_map(&self, r: usize) -> String {
        let entries: Vec<String> = (0..GROUPS)
            .filter_map(|g| {
                let p = self.seeded(r, g);
                (!p.is_empty()).then(|| format!("g{g}: {}", list(&p)))
            })
            .collect();
        format!("{{ {} }}", entries.join(", "))
    }

    fn seed(&self) -> String {
        let mut s = String::from("boss:\n  accord_user: runner\n  users:\n");
        s.push_str("    - { username: runner, token: runner-token, roles: [resource-manager] }\n");
        for u in 0..USERS {
            writeln!(s, "    - {{ username: u{u} }}").unwrap();
        }
        s.push_str("  groups:\n");
        let mut any = false;
        for g in (0..GROUPS).filter(|&g| self.seeded_groups[g]) {
            let members: Vec<String> = (0..USERS)
                .filter(|&u| self.seed_members[g][u].0)
                .map(|u| format!("u{u}"))
                .collect();
            let maintainers: Vec<String> = (0..USERS)
                .filter(|&u| self.seed_members[g][u].1)
                .map(|u| format!("u{u}"))
                .collect();
            writeln!(
                s,
                "    - {{ name: g{g}, owner: runner, members: [{}], maintainers: [{}] }}",
                members.join(", "),
                maintainers.join(", ")
            )
            .unwrap();
            any = true;
        }
        if !any {
            s = s.trim_end().to_string() + " []\n";
        }
        s.push_str(
            "  coord_frames:\n    - { name: f, creator: runner, x_start: 0, x_stop: 8, y_start: 0, y_stop: 8, \
             z_start: 0, z_stop: 8, x_voxel_size: 1.0, y_voxel_size: 1.0, z_voxel_size: 1.0, voxel_unit: nanometers }\n",
        );
        if self.seeded_depth == 0 {
            s.push_str("  collections: []\n");
            return s;
        }
        let desc = if self.description.0 { "old" } else { "new" };
        writeln!(
            s,
            "  collections:\n    - name: C\n      creator: runner\n      description: {desc}\n      permissions: {}",
            self.perms_map(0)
        )
        .unwrap();
        if self.seeded_depth >= 2 {
            writeln!(
                s,
                "      experiments:\n        - name: E\n          coord_frame: f\n          creator: runner\n          permissions: {}",
                self.perms_map(1)
            )
            .unwrap();
            let channels: Vec<String> = (2..self.seeded_depth.min(4))
                .map(|r| {
                    format!(
                        "{{ name: ch{}, type: image, datatype: uint8, creator: runner, permissions: {} }}",
                        r - 2,
                        self.perms_map(r)
                    )
                })
                .collect();
            writeln!(s, "          channels: [{}]", channels.join(", ")).unwrap();
        }
        s
    }

    fn permissions(&self, r: usize) -> String {
        let entries: Vec<String> = (0..GROUPS)
            .filter_map(|g| {
                self.policy_perms[r][g].map(|m| format!("g{g}: {}", list(&names(m, is_channel(r)))))
            })
            .collect();
        format!("{{ {} }}", entries.join(", "))
    }

    fn policy(&self) -> String {
        let mut s = String::from("boss:\n  groups:\n");
        for g in 0..GROUPS {
            let pick = |f: fn(&(bool, bool)) -> bool| -> Vec<String> {
                (0..USERS)
                    .filter(|&u| f(&self.policy_members[g][u]))
                    .map(|u| format!("u{u}"))
                    .collect()
            };
            writeln!(
                s,
                "    g{g}: {{ members: [{}], maintainers: [{}] }}",
                pick(|m| m.0).join(", "),
                pick(|m| m.1).join(", ")
            )
            .unwrap();
        }
        s.push_str(
            "  coordinate_frames:\n    f: { x_start: 0, x_stop: 8, y_start: 0, y_stop: 8, z_start: 0, z_stop: 8, \
             x_voxel_size: 1.0, y_voxel_size: 1.0, z_voxel_size: 1.0, voxel_unit: nanometers }\n",
        );
        let desc = if self.description.1 { "old" } else { "new" };
        writeln!(
            s,
            "  collections:\n    C:\n      description: {desc}\n      permissions: {}\n      experiments:\n        E:\n          coord_frame: f\n          permissions: {}\n          channels:",
            self.permissions(0),
            self.permissions(1)
        )
        .unwrap();
        for r in 2..4 {
            writeln!(
                s,
                "            ch{}: {{ type: image, datatype: uint8, permissions: {} }}",
                r - 2,
                self.permissions(r)
            )
            .unwrap();
        }
        s
    }

    fn write(&self, dir: &Path) {
        common::write_embedded(dir, &self.seed(), &self.policy());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn one_boss_apply_converges(case in case()) {
        let tmp = tempfile::tempdir().unwrap();
        case.write(tmp.path());
        let dir = tmp.path().to_str().unwrap();
        let ctx = format!("seed:\n{}\npolicy:\n{}", case.seed(), case.policy());
        common::converges(dir, &ctx).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn generated_boss_workspaces_are_valid() {
    let full = Case {
        seeded_groups: vec![true; GROUPS],
        seed_members: vec![vec![(true, true); USERS]; GROUPS],
        policy_members: vec![vec![(true, false); USERS]; GROUPS],
        seeded_depth: 4,
        seed_perms: vec![vec![0b111; GROUPS]; RESOURCES.len()],
        policy_perms: vec![vec![Some(0b1); GROUPS]; RESOURCES.len()],
        description: (true, false),
    };
    let empty = Case {
        seeded_groups: vec![false; GROUPS],
        seed_members: vec![vec![(false, false); USERS]; GROUPS],
        policy_members: vec![vec![(false, false); USERS]; GROUPS],
        seeded_depth: 0,
        seed_perms: vec![vec![0; GROUPS]; RESOURCES.len()],
        policy_perms: vec![vec![None; GROUPS]; RESOURCES.len()],
        description: (false, false),
    };
    for c in [full, empty] {
        let tmp = tempfile::tempdir().unwrap();
        c.write(tmp.path());
        let (code, out, err) = run(&["validate", tmp.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{out}\n{err}\n{}", c.policy());
    }
}
