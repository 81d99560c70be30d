#!/usr/bin/env python3
"""Reads what bench/scale recorded in TMP and prints its table. Args: TMP LATENCY_MS PARALLELISM."""
import collections, json, math, re, sys

tmp, latency_ms, par = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
counts = json.load(open(f"{tmp}/counts.json"))
# The reference's client rate limits (requests/second): Transfer 20, Search 5-10 (10 taken).
RATE = {"transfer": 20.0, "search": 10.0}
SERVICES = ["auth", "groups", "transfer", "gcs", "boss", "search"]


def load(name):
    r = {"wall": float(open(f"{tmp}/{name}.wall").read()), "rc": int(open(f"{tmp}/{name}.rc").read())}
    r["requests"] = json.load(open(f"{tmp}/{name}.requests.json"))
    if isinstance(r["requests"], dict):
        r["requests"] = r["requests"].get("requests", [])
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{tmp}/{name}.time").read())
    r["rss_mb"] = int(m.group(1)) / 1024 if m else float("nan")
    by = collections.Counter(q["path"].split("/")[1] for q in r["requests"])
    r["by"] = {s: by.get(s, 0) for s in SERVICES}
    r["tokens"] = sum(1 for q in r["requests"] if q["path"].startswith("/auth/v2/oauth2/token") and not q["path"].endswith("introspect"))
    r["writes"] = collections.Counter(q["path"].split("/")[1] for q in r["requests"] if q["method"] not in ("GET", "HEAD"))
    r["errors"] = sum(1 for q in r["requests"] if q["status"] == 0 or q["status"] >= 400)
    return r


stages, plan, apply, replan = (load(n) for n in ("stages", "plan", "apply", "replan"))
_lines = open(f"{tmp}/stages.out").read().strip().splitlines()
st = json.loads(_lines[-1]) if _lines else {k: float("nan") for k in ("cpu_s", "compile_s", "diff_order_s", "changes")}

c = lambda k: counts.get(k, 0)
boss_resources = c("boss_resources")


def fewest_reads(tokens, unnamed_lookup):
    """The fewest requests a plan needs, per service (see the formulas printed below)."""
    f = {s: 0 for s in SERVICES}
    f["auth"] = tokens + 1 + math.ceil((c("people") + 1) / 100) + unnamed_lookup
    f["groups"] = c("groups")
    f["transfer"] = c("endpoints") * max(1, math.ceil(c("acl_rules") / c("endpoints") / 1000))
    f["boss"] = 2 * c("boss_groups") + 1 + 2 * boss_resources
    f["search"] = 2 * c("search_indexes")
    return f


def fewest_writes():
    f = {s: 0 for s in SERVICES}
    f["groups"] = c("groups_with_grants") + c("groups_with_revocations")
    f["transfer"] = c("diff_rule_missing") + c("diff_rule_changed") + c("diff_rule_extra")
    f["boss"] = sum(c(k) for k in ("diff_boss_member_missing", "diff_boss_member_extra",
                                    "diff_boss_permission_missing", "diff_boss_permission_changed"))
    f["search"] = (c("search_indexes") * 1 + c("diff_search_visible_to")) if counts.get("search") else 0
    return f


def bound(f):
    per = {}
    for s, n in f.items():
        per[s] = max(n * latency_ms / 1000 / par, n / RATE[s] if s in RATE else 0.0)
    return per


def fmt_by(r, f):
    return ", ".join(f"{s} {r['by'][s]}/{f[s]}" for s in SERVICES if r["by"][s] or f[s])


extra_people = 1 if c("diff_member_extra") else 0
f_plan = fewest_reads(plan["tokens"], extra_people)
f_replan = fewest_reads(replan["tokens"], 0)
f_w = fewest_writes()
f_apply = {s: fewest_reads(apply["tokens"], extra_people)[s] + f_w[s] for s in SERVICES}
b_plan, b_apply, b_replan = bound(f_plan), bound(f_apply), bound(f_replan)
# Services read concurrently in an ideal run: the plan's bound is the largest service bound.
# accord reads in phases (auth resolution, then groups and the Boss, then GCS, then Transfer):
# the phased bound adds them up.
phased = lambda b: b["auth"] + max(b["groups"], b["boss"], b["search"]) + b["gcs"] + b["transfer"]

# Groups batches per group in the apply: POST /groups/v2/groups/{id}.
posts = collections.Counter(q["path"] for q in apply["requests"]
                            if q["method"] == "POST" and re.fullmatch(r"/groups/v2/groups/[0-9a-f-]{36}", q["path"]))
worst = max(posts.values()) if posts else 0

total = sum(f_plan.values())
print()
print(f"accord scale benchmark: {c('managed_objects')} managed objects "
      f"({c('groups')} groups, {c('members')} memberships, {c('acl_rules')} ACL rules on {c('endpoints')} endpoints, "
      f"{c('boss_groups')} Boss groups, {c('boss_members')} Boss members/maintainers, {boss_resources} Boss resources, "
      f"{c('boss_permissions')} Boss permission sets" + (f", {c('search_roles')} Search roles, {c('search_documents')} documents" if counts.get('search') else ", no Search") + ")")
print(f"live state off by: {st['changes']} changes planned; latency {latency_ms:.0f} ms/request, --parallelism {par}")
print()
rows = [
    ("compile + diff + order (in-process)", f"{st['cpu_s']:.3f} s", "< 1 s", f"compile {st['compile_s']:.3f} s, diff+order+rails+access {st['diff_order_s']:.3f} s"),
    ("plan (wall)", f"{plan['wall']:.1f} s", f"<= 1.5 x {max(b_plan.values()):.1f} s = {1.5*max(b_plan.values()):.1f} s",
     f"phased bound {phased(b_plan):.1f} s; requests {fmt_by(plan, f_plan)} (made/fewest)"),
    ("apply (wall, plans first)", f"{apply['wall']:.1f} s", f"bound {max(b_apply.values()):.1f} s",
     f"phased bound {phased(b_apply):.1f} s; requests {fmt_by(apply, f_apply)}; writes {dict(apply['writes'])}"),
    ("second plan (wall)", f"{replan['wall']:.1f} s", "exit 0 (no changes)",
     f"exit {replan['rc']}; requests {fmt_by(replan, f_replan)}"),
    ("peak RSS plan / apply", f"{plan['rss_mb']:.0f} / {apply['rss_mb']:.0f} MB", "< 300 MB", f"second plan {replan['rss_mb']:.0f} MB"),
    ("Groups batches per group (apply)", f"max {worst}", "<= 2 (1 grant + 1 revoke)",
     f"{sum(posts.values())} batch calls on {len(posts)} groups; fewest {f_w['groups']}"),
]
w0 = max(len(r[0]) for r in rows); w1 = max(len(r[1]) for r in rows); w2 = max(len(r[2]) for r in rows)
print(f"{'figure':<{w0}}  {'measured':<{w1}}  {'target':<{w2}}  notes")
for r in rows:
    print(f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:<{w2}}  {r[3]}")
print()
print("service bounds (s) plan:", {s: round(v, 2) for s, v in b_plan.items() if v},
      " apply:", {s: round(v, 2) for s, v in b_apply.items() if v})
print("errors answered (status 0 or >= 400): plan", plan["errors"], "apply", apply["errors"], "second plan", replan["errors"])
print("exit codes: stages", stages["rc"], "plan", plan["rc"], "apply", apply["rc"], "second plan", replan["rc"])
print("""
fewest requests of a plan: auth = token grants made + 1 introspection + ceil((people + 1) / 100)
  identity lookups (+1 to name the undeclared live members); groups = 1 GET per group (ids pinned);
  transfer = 1 access_list page (1,000 rules) per endpoint; boss = members + maintainers per group,
  the frame, 1 GET per resource and 1 permission listing per resource; search = roles + 1 query
  (10,000 results) per index. apply = the same reads, plus: groups = 1 batch per group with grants
  + 1 per group with revocations; transfer = 1 call per rule created, changed or deleted; boss = 1 call
  per member added/removed and per permission set created/changed; search = re-ingests.
bound of a service = max(fewest x latency / parallelism, fewest / rate limit) (Transfer 20/s,
  Search 10/s; the others have no documented limit).""")
ok = (st["cpu_s"] < 1 and plan["wall"] <= 1.5 * max(b_plan.values()) and max(plan["rss_mb"], apply["rss_mb"]) < 300
      and worst <= 2 and replan["rc"] == 0 and plan["rc"] == 0 and apply["rc"] == 0)
print("all targets met" if ok else "some targets missed")
for n in ("stages", "plan", "apply", "replan"):
    rc = {"stages": stages, "plan": plan, "apply": apply, "replan": replan}[n]["rc"]
    if rc != 0:
        print(f"--- {n} stderr (tail) ---")
        print("".join(open(f"{tmp}/{n}.err").readlines()[-15:]))
