"""Drive the accord emulator's Flows API with the official globus-sdk 4.9.0 FlowsClient.

Run by tests/conformance_flows.rs, which starts the emulator and sets
GLOBUS_SDK_SERVICE_URL_{AUTH,FLOWS}, EMULATOR_CLIENT_ID/SECRET (the owner of flow F1 and
F3..F5, a client), EMULATOR_F{1,2}_ID, the identities ADMIN (F2's owner), VIEWER, MONITOR
and STRANGER with the Flows tokens the seed issued them (users have no client credentials),
and group G.
"""

import os

import globus_sdk
from globus_sdk.scopes import FlowsScopes, SpecificFlowScopes

assert globus_sdk.__version__ == "4.9.0", f"need globus-sdk 4.9.0, got {globus_sdk.__version__}"

CLIENT_ID = os.environ["EMULATOR_CLIENT_ID"]
CLIENT_SECRET = os.environ["EMULATOR_CLIENT_SECRET"]
F1, F2 = os.environ["EMULATOR_F1_ID"], os.environ["EMULATOR_F2_ID"]
MISSING = os.environ["EMULATOR_MISSING_ID"]
ADMIN, VIEWER, MONITOR = (os.environ[f"EMULATOR_{n}_ID"] for n in ("ADMIN", "VIEWER", "MONITOR"))
G = os.environ["EMULATOR_G_ID"]
TOKENS = {n: os.environ[f"EMULATOR_{n}_TOKEN"] for n in ("ADMIN", "VIEWER", "MONITOR", "STRANGER")}
LISTS = ("flow_administrators", "flow_starters", "flow_viewers", "run_managers", "run_monitors")


def identity(i):
    return f"urn:globus:auth:identity:{i}"


def group(g):
    return f"urn:globus:groups:id:{g}"


def as_user(name):
    return globus_sdk.FlowsClient(authorizer=globus_sdk.AccessTokenAuthorizer(TOKENS[name]))


def expect_error(status, code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except globus_sdk.FlowsAPIError as e:
        assert e.http_status == status, (e.http_status, e.text)
        assert e.code == code, (e.code, e.text)
        return e
    raise AssertionError(f"{call.__name__} should have failed with {status} {code}")


# --- The owner: a client, with a client-credentials token for Flows' `all` scope ---
auth = globus_sdk.ConfidentialAppAuthClient(CLIENT_ID, CLIENT_SECRET)
tokens = auth.oauth2_client_credentials_tokens(requested_scopes=FlowsScopes.all)
assert "flows.globus.org" in tokens.by_resource_server, tokens.by_resource_server
owner = globus_sdk.FlowsClient(
    authorizer=globus_sdk.ClientCredentialsAuthorizer(auth, FlowsScopes.all)
)

# Each flow's own scope is in the registry (SpecificFlowClient's, needed to run it).
flow_scope = SpecificFlowScopes(F1).user
own = auth.oauth2_client_credentials_tokens(requested_scopes=flow_scope)
assert F1 in own.by_resource_server, own.by_resource_server

# --- get_flow ---
doc = owner.get_flow(F1)
assert doc["id"] == F1, doc.data
assert doc["flow_owner"] == identity(CLIENT_ID), doc.data
assert doc["user_role"] == "flow_owner", doc.data
assert "flow_administrator" in doc["user_roles"], doc.data
assert doc["globus_auth_scope"] == str(flow_scope), (doc["globus_auth_scope"], str(flow_scope))
assert doc["flow_viewers"] == [identity(VIEWER)], doc.data
assert doc["run_monitors"] == [identity(MONITOR)], doc.data

# A viewer sees the flow, its owner and its own role, and no list.
seen = as_user("VIEWER").get_flow(F1)
assert seen["user_role"] == "flow_viewer", seen.data
assert all(seen[lst] == [] for lst in LISTS), seen.data
assert as_user("MONITOR").get_flow(F1)["user_roles"] == ["flow_viewer", "flow_run_monitor"]

# The OpenAPI's plural spelling, through query_params.
plural = [f["id"] for f in as_user("MONITOR").list_flows(query_params={"filter_roles": "run_monitors"})]
assert plural == [F1], plural

# --- update_flow with each role list: only the list sent changes ---
updates = {
    "flow_administrators": [identity(ADMIN), group(G)],
    "flow_starters": ["all_authenticated_users", identity(VIEWER)],
    "flow_viewers": ["public"],
    "run_managers": [identity(MONITOR)],
    "run_monitors": [group(G)],
}
expected = {lst: doc[lst] for lst in LISTS}
for lst, value in updates.items():
    before = owner.get_flow(F1)
    res = owner.update_flow(F1, **{lst: value})
    expected[lst] = value
    for other in LISTS:
        assert res[other] == expected[other], (lst, other, res.data)
    assert res["updated_at"] >= before["updated_at"], res.data
    assert res["title"] == before["title"], res.data
after = owner.get_flow(F1)
assert {lst: after[lst] for lst in LISTS} == expected, after.data
# [] clears a list.
res = owner.update_flow(F1, run_managers=[])
assert res["run_managers"] == [], res.data
assert res["flow_viewers"] == ["public"], res.data

# --- list_flows: filter_roles (a str, a list comma-joined by the SDK, plural spellings
# through query_params), orderby, and paging ---
mine = [f["title"] for f in owner.list_flows(filter_roles="flow_owner", orderby="title ASC")]
assert mine == ["Bravo", "Charlie", "Delta", "Echo"], mine
viewer = as_user("VIEWER")
both = {f["id"] for f in viewer.list_flows(filter_roles=["flow_viewer", "flow_owner"])}
assert both == {F1, F2}, both
starting = [f["id"] for f in viewer.list_flows(filter_roles=["flow_starter"])]
assert sorted(starting) == sorted([F1, F2]), starting
plural = [f["id"] for f in as_user("MONITOR").list_flows(query_params={"filter_roles": "run_monitors"})]
assert plural == [], plural  # MONITOR is no longer a run monitor: group G is, without him
listed = viewer.list_flows(filter_roles="flow_viewer")
assert all(f["flow_starters"] == [] for f in listed["flows"]), listed.data

pages = list(owner.paginated.list_flows(
    filter_roles="flow_owner", orderby=["title DESC", "id ASC"], query_params={"limit": 2}
))
assert len(pages) == 2, [p.data for p in pages]
assert [p["has_next_page"] for p in pages] == [True, False], [p.data for p in pages]
assert pages[0]["marker"] and pages[1]["marker"] is None, [p.data for p in pages]
paged = [f["id"] for p in pages for f in p["flows"]]
assert paged == [f["id"] for f in owner.list_flows(filter_roles="flow_owner", orderby="title DESC")]
items = [f["id"] for f in owner.paginated.list_flows(filter_roles="flow_owner", query_params={"limit": 1}).items()]
assert sorted(items) == sorted(paged), (items, paged)

# --- Errors ---
e = expect_error(404, "NOT_FOUND", owner.get_flow, MISSING)
assert e.messages == [f"No Flow exists with id value {MISSING}"], e.messages
expect_error(404, "NOT_FOUND", as_user("STRANGER").get_flow, F2)
expect_error(403, "FORBIDDEN", as_user("VIEWER").update_flow, F1, flow_viewers=[])
bare = ["ae341a98-d274-11e5-b888-dbae3a8ba545", "b44bddda-d274-11e5-978a-9f15789a8150"]
e = expect_error(422, "UNPROCESSABLE_ENTITY", owner.update_flow, F1, flow_administrators=bare)
assert e.messages == [
    f'Unrecognized principal string: "{b}". Allowed principal types in role '
    f'"FlowAdministrator": [<AuthGroupUrn>, <AuthIdentityUrn>]'
    for b in bare
], e.messages
e = expect_error(422, "UNPROCESSABLE_ENTITY", owner.update_flow, F1, flow_starters=["public"])
assert len(e.messages) == 1 and '"FlowStarter"' in e.messages[0], e.messages
assert owner.get_flow(F1)["flow_administrators"] == expected["flow_administrators"]

print("globus-sdk Flows conformance: ok")
