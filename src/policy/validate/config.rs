//! Checking and lowering `accord.yaml` and its `safety:`.

use std::path::PathBuf;

use super::{Checker, parse_until};
use crate::policy::TargetSection;
use crate::policy::ast;
use crate::policy::diagnostics::codes;
use crate::policy::model::{Override, Safety, TargetConfig, WorkspaceConfig};
use crate::policy::principal::{PrincipalContext, closest};
use crate::policy::validate::join_and;
const RAILS: [&str; 2] = ["max_deletes", "max_delete_share"];

impl Checker<'_> {
    /// Checks and lowers `accord.yaml`; `policies` are the effective globs.
    pub(crate) fn config(
        &mut self,
        file: usize,
        wf: &ast::WorkspaceFile,
        policies: Vec<String>,
    ) -> WorkspaceConfig {
        let mut cfg = WorkspaceConfig {
            policies,
            ..WorkspaceConfig::default()
        };
        let sections: Vec<TargetSection> = self
            .registry
            .services
            .iter()
            .filter_map(|s| s.target())
            .collect();
        // `{ globus: {}, boss: { url: … } }`, with each service a target may point elsewhere.
        let real_form = format!(
            "{{ globus: {{}}{} }}",
            sections
                .iter()
                .map(|t| format!(", {}: {{ url: … }}", t.key))
                .collect::<String>()
        );
        let either =
            format!("a target is either `{{ embedded: true, seed: FILE }}` or `{real_form}`");
        let write_either = format!("write `{{ embedded: true, seed: FILE }}` or `{real_form}`");
        for (name, t) in wf.targets.iter() {
            let o = self.at(file, name);
            if name.value.is_empty() || name.value.contains("://") {
                let d = self
                    .diag(
                        codes::BAD_TARGET,
                        &o,
                        format!("target name `{}` is not allowed", name.value),
                    )
                    .with_label("bad target name")
                    .with_help(
                        "`--target` takes a name or a URL: a name cannot be empty or contain `://`",
                    );
                self.emit(d);
                continue;
            }
            let embedded = t.embedded.as_ref().map(|e| e.value);
            let real = t.globus.is_some() || !t.services.is_empty();
            match (embedded, real) {
                (Some(true), false) => match &t.seed {
                    Some(seed) if !seed.value.is_empty() => {
                        cfg.targets.insert(
                            name.value.clone(),
                            TargetConfig::Embedded {
                                seed: PathBuf::from(&seed.value),
                            },
                        );
                    }
                    Some(seed) => {
                        let so = self.at(file, seed);
                        let d = self
                            .diag(codes::BAD_TARGET, &so, "the seed file name is empty")
                            .with_label("empty seed");
                        self.emit(d);
                    }
                    None => {
                        let d = self
                            .diag(
                                codes::BAD_TARGET,
                                &o,
                                format!("embedded target `{}` needs a `seed` file", name.value),
                            )
                            .with_label("no seed")
                            .with_help("write `{ embedded: true, seed: live.yaml }`");
                        self.emit(d);
                    }
                },
                (Some(_), true) => {
                    let d = self
                        .diag(
                            codes::BAD_TARGET,
                            &o,
                            format!("target `{}` is both embedded and real", name.value),
                        )
                        .with_label("ambiguous target")
                        .with_help(either.clone());
                    self.emit(d);
                }
                (Some(false), false) => {
                    let eo = self.at(file, t.embedded.as_ref().expect("matched Some"));
                    let d = self
                        .diag(
                            codes::BAD_TARGET,
                            &eo,
                            format!(
                                "target `{}` says `embedded: false` but names no real service",
                                name.value
                            ),
                        )
                        .with_label("no service")
                        .with_help(format!(
                            "write `{{ globus: {{}} }}`{} for the real services",
                            sections
                                .iter()
                                .map(|t| format!(" (and `{}: {{ url: … }}`)", t.key))
                                .collect::<String>()
                        ));
                    self.emit(d);
                }
                (None, true) => {
                    if let Some(seed) = &t.seed {
                        let so = self.at(file, seed);
                        let d = self
                            .diag(codes::BAD_TARGET, &so, "`seed` is only for embedded targets")
                            .with_label("seed on a real target")
                            .with_help("remove `seed`, or write `embedded: true` instead of the real services");
                        self.emit(d);
                        continue;
                    }
                    let mut urls = std::collections::BTreeMap::new();
                    let mut bad = false;
                    for (key, section) in &t.services {
                        let Some(known) = sections.iter().find(|s| s.key == key) else {
                            continue;
                        };
                        let u = &section.value.url;
                        match url::Url::parse(&u.value) {
                            Ok(parsed)
                                if matches!(parsed.scheme(), "https" | "http")
                                    && parsed.host().is_some() =>
                            {
                                urls.insert(known.key.to_string(), u.value.clone());
                            }
                            _ => {
                                let uo = self.at(file, u);
                                let d = self
                                    .diag(
                                        codes::BAD_TARGET,
                                        &uo,
                                        format!(
                                            "{} URL `{}` is not an http(s) URL",
                                            known.title, u.value
                                        ),
                                    )
                                    .with_label("bad URL")
                                    .with_help(format!("write e.g. `{}`", known.example));
                                self.emit(d);
                                bad = true;
                            }
                        }
                    }
                    if bad {
                        continue;
                    }
                    if !urls.is_empty() {
                        cfg.service_urls.insert(name.value.clone(), urls);
                    }
                    cfg.targets.insert(name.value.clone(), TargetConfig::Globus);
                }
                (None, false) => {
                    let d = self
                        .diag(
                            codes::BAD_TARGET,
                            &o,
                            format!("target `{}` names no service", name.value),
                        )
                        .with_label("empty target")
                        .with_help(write_either.clone());
                    self.emit(d);
                }
            }
        }
        if let Some(dt) = &wf.default_target {
            let o = self.at(file, dt);
            if wf.targets.iter().any(|(k, _)| k.value == dt.value) {
                cfg.default_target = Some(dt.value.clone());
            } else {
                let d = self
                    .diag(
                        codes::BAD_TARGET,
                        &o,
                        format!(
                            "default_target `{}` is not a target of this workspace",
                            dt.value
                        ),
                    )
                    .with_label("unknown target")
                    .with_help(
                        match closest(&dt.value, wf.targets.iter().map(|(k, _)| k.value.as_str())) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name one of the entries under `targets:`".into(),
                        },
                    );
                self.emit(d);
            }
        }
        cfg
    }

    /// Checks and lowers `safety:` (after the policy files, since `protect` may use aliases).
    pub(crate) fn safety(&mut self, file: usize, s: &ast::SafetyFile) -> Safety {
        let mut safety = Safety::default();
        if let Some(m) = &s.max_deletes {
            match u32::try_from(m.value) {
                Ok(v) => safety.max_deletes = v,
                Err(_) => {
                    let o = self.at(file, m);
                    let d = self
                        .diag(
                            codes::BAD_SAFETY,
                            &o,
                            format!("max_deletes {} is not a count", m.value),
                        )
                        .with_label("not a count")
                        .with_help("write a whole number, 0 or more");
                    self.emit(d);
                }
            }
        }
        if let Some(m) = &s.max_delete_share {
            if (0.0..=1.0).contains(&m.value) {
                safety.max_delete_share = m.value;
            } else {
                let o = self.at(file, m);
                let d = self
                    .diag(
                        codes::BAD_SAFETY,
                        &o,
                        format!(
                            "max_delete_share {} is not a share between 0 and 1",
                            m.value
                        ),
                    )
                    .with_label("not a share")
                    .with_help("write e.g. `0.25` for 25%");
                self.emit(d);
            }
        }
        for p in s.protect.iter().flatten() {
            let o = self.at(file, p);
            if !self.claim(
                format!("safety.protect.{}", p.value),
                &o,
                &format!("`{}` in safety.protect", p.value),
            ) {
                continue;
            }
            if let Some(lp) = self.principal(file, p, &PrincipalContext::PROTECT)
                && self.same_person("safety.protect", &p.value, &lp)
            {
                safety.protect.push(lp);
            }
        }
        for entry in s.allow.iter().flatten() {
            let origin = self.at(file, entry);
            let e = &entry.value;
            let mut missing = Vec::new();
            if e.rail.is_none() {
                missing.push("`rail`");
            }
            if e.up_to.is_none() {
                missing.push("`up_to`");
            }
            if e.reason.as_ref().is_none_or(|r| r.value.trim().is_empty()) {
                missing.push("`reason`");
            }
            if e.until.is_none() {
                missing.push("`until`");
            }
            if !missing.is_empty() {
                let d = self
                    .diag(codes::BAD_SAFETY, &origin, format!("safety.allow entry lacks {}", join_and(missing.into_iter().map(str::to_string))))
                    .with_label("incomplete override")
                    .with_help("an override is reviewed and expires: write `{ rail: max_deletes, up_to: 40, reason: \"…\", until: 2026-12-15 }`");
                self.emit(d);
                continue;
            }
            let (rail, up_to, reason, until) = (
                e.rail.as_ref().expect("checked"),
                e.up_to.as_ref().expect("checked"),
                e.reason.as_ref().expect("checked"),
                e.until.as_ref().expect("checked"),
            );
            if !self.one_of(file, rail, &RAILS, codes::BAD_SAFETY, "rail") {
                continue;
            }
            let limit_ok = if rail.value == "max_deletes" {
                up_to.value >= 0.0 && up_to.value.fract() == 0.0
            } else {
                (0.0..=1.0).contains(&up_to.value)
            };
            if !limit_ok {
                let o = self.at(file, up_to);
                let d = self
                    .diag(codes::BAD_SAFETY, &o, format!("up_to {} does not fit rail `{}`", up_to.value, rail.value))
                    .with_label("bad limit")
                    .with_help("`max_deletes` takes a whole number; `max_delete_share` a share between 0 and 1");
                self.emit(d);
                continue;
            }
            let until_t = match parse_until(&until.value) {
                Ok(t) => t,
                Err(_) => {
                    let o = self.at(file, until);
                    let d = self
                        .diag(codes::BAD_TIMESTAMP, &o, format!("until `{}` is neither a date nor an RFC 3339 timestamp with a timezone", until.value))
                        .with_label("bad date")
                        .with_help("write a date such as `2026-12-15` (through the end of that day, UTC) or `2026-12-15T18:00:00Z`");
                    self.emit(d);
                    continue;
                }
            };
            safety.allow.push(Override {
                rail: rail.value.clone(),
                up_to: up_to.value,
                reason: reason.value.clone(),
                until: until_t,
                origin,
            });
        }
        safety
    }
}
