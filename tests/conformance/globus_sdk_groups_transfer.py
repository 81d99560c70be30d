"""Drive the accord emulator with the official globus-sdk (4.9.0) and check its answers.

Run by tests/conformance_globus_sdk.rs, which starts the emulator and sets
GLOBUS_SDK_SERVICE_URL_{AUTH,GROUPS,TRANSFER}, EMULATOR_CLIENT_ID/SECRET,
EMULATOR_MEMBER_ID (an identity to add) and EMULATOR_ENDPOINT_ID.
"""

import os
import sys

import globus_sdk

assert globus_sdk.__version__ == "4.9.0", f"need globus-sdk 4.9.0, got {globus_sdk.__version__}"

CLIENT_ID = os.environ["EMULATOR_CLIENT_ID"]
CLIENT_SECRET = os.environ["EMULATOR_CLIENT_SECRET"]
MEMBER_ID = os.environ["EMULATOR_MEMBER_ID"]
ENDPOINT_ID = os.environ["EMULATOR_ENDPOINT_ID"]

GROUPS_SCOPE = "urn:globus:auth:scope:groups.api.globus.org:all"
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"

# --- Auth: one client-credentials call for two resource servers (other_tokens) ---
auth = globus_sdk.ConfidentialAppAuthClient(CLIENT_ID, CLIENT_SECRET)
tokens = auth.oauth2_client_credentials_tokens(requested_scopes=[GROUPS_SCOPE, TRANSFER_SCOPE])
by_rs = tokens.by_resource_server
assert set(by_rs) == {"groups.api.globus.org", "transfer.api.globus.org"}, by_rs
assert by_rs["groups.api.globus.org"]["scope"] == GROUPS_SCOPE

groups = globus_sdk.GroupsClient(
    authorizer=globus_sdk.AccessTokenAuthorizer(by_rs["groups.api.globus.org"]["access_token"])
)
# The transfer client uses the SDK's own renewing authorizer, as real tools do.
transfer = globus_sdk.TransferClient(
    authorizer=globus_sdk.ClientCredentialsAuthorizer(auth, TRANSFER_SCOPE)
)

ids = globus_sdk.AuthClient(
    authorizer=globus_sdk.AccessTokenAuthorizer(by_rs["groups.api.globus.org"]["access_token"])
).get_identities(ids=[MEMBER_ID])
assert [i["id"] for i in ids["identities"]] == [MEMBER_ID], ids.data

# --- Groups ---
manager = globus_sdk.GroupsManager(groups)
created = manager.create_group("conformance", "made by globus-sdk")
assert created.http_status == 201, created.http_status
group_id = created["id"]
assert created["name"] == "conformance"
assert created["my_memberships"][0]["role"] == "admin"

mine = groups.get_my_groups()
assert group_id in [g["id"] for g in mine], mine.data

added = manager.add_member(group_id, MEMBER_ID)
assert added["add"][0]["identity_id"] == MEMBER_ID, added.data
assert added["add"][0]["status"] == "active"
again = manager.add_member(group_id, MEMBER_ID)
assert again["errors"]["add"][0]["code"] == "ALREADY_ACTIVE", again.data

changed = manager.change_role(group_id, MEMBER_ID, "manager")
assert changed["change_role"][0]["role"] == "manager", changed.data

policies = manager.set_group_policies(
    group_id,
    is_high_assurance=False,
    group_visibility=globus_sdk.GroupVisibility.authenticated,
    group_members_visibility=globus_sdk.GroupMemberVisibility.members,
    join_requests=False,
    signup_fields=[],
    authentication_assurance_timeout=28800,
)
assert policies["group_visibility"] == "authenticated", policies.data

got = groups.get_group(group_id, include=["memberships", "policies"])
assert got["policies"]["group_members_visibility"] == "members", got.data
roles = {m["identity_id"]: m["role"] for m in got["memberships"]}
assert roles == {CLIENT_ID: "admin", MEMBER_ID: "manager"}, roles

deleted = groups.delete_group(group_id)
assert deleted["id"] == group_id
try:
    groups.get_group(group_id)
    raise AssertionError("deleted group still readable")
except globus_sdk.GroupsAPIError as e:
    assert e.http_status == 404, e.http_status

# --- Transfer ---
ep = transfer.get_endpoint(ENDPOINT_ID)
assert ep["entity_type"] == "GCSv5_guest_collection", ep.data
assert "administrator" in ep["my_effective_roles"], ep.data

initial = transfer.endpoint_acl_list(ENDPOINT_ID)
implicit = [r for r in initial if r["id"] is None]
assert implicit and implicit[0]["role_id"] and implicit[0]["path"] == "/", initial.data
before = len(initial["DATA"])

ident_rule = {
    "DATA_TYPE": "access",
    "principal_type": "identity",
    "principal": MEMBER_ID,
    "path": "/data/alice/",
    "permissions": "r",
}
r1 = transfer.add_endpoint_acl_rule(ENDPOINT_ID, ident_rule)
assert r1.http_status == 201 and r1["code"] == "Created", r1.data
rule_id = r1["access_id"]

r2 = transfer.add_endpoint_acl_rule(
    ENDPOINT_ID,
    {
        "DATA_TYPE": "access",
        "principal_type": "group",
        "principal": "8b7d57bc-1666-11ec-88b2-f50515619d57",
        "path": "/data/shared/",
        "permissions": "rw",
        "expiration_date": "2999-01-01T00:00:00+00:00",
    },
)
group_rule_id = r2["access_id"]

rule = transfer.get_endpoint_acl_rule(ENDPOINT_ID, rule_id)
assert rule["permissions"] == "r" and rule["principal"] == MEMBER_ID, rule.data
assert rule["role_id"] is None and rule["expiration_date"] is None, rule.data

listed = transfer.endpoint_acl_list(ENDPOINT_ID)
assert len(listed["DATA"]) == before + 2, listed.data

upd = transfer.update_endpoint_acl_rule(
    ENDPOINT_ID, rule_id, {"DATA_TYPE": "access", "permissions": "rw"}
)
assert upd["code"] == "Updated", upd.data
assert transfer.get_endpoint_acl_rule(ENDPOINT_ID, rule_id)["permissions"] == "rw"

try:
    transfer.add_endpoint_acl_rule(ENDPOINT_ID, ident_rule)
    raise AssertionError("duplicate rule accepted")
except globus_sdk.TransferAPIError as e:
    assert e.http_status == 409, e.http_status
    assert e.code == "Exists", e.code

mk = transfer.operation_mkdir(ENDPOINT_ID, "/data/new/")
assert mk["code"] == "DirectoryCreated", mk.data
try:
    transfer.operation_mkdir(ENDPOINT_ID, "/data/new/")
    raise AssertionError("mkdir of an existing path succeeded")
except globus_sdk.TransferAPIError as e:
    assert e.http_status == 502 and e.code == "ExternalError.MkdirFailed.Exists", (e.http_status, e.code)

d = transfer.delete_endpoint_acl_rule(ENDPOINT_ID, rule_id)
assert d["code"] == "Deleted", d.data
transfer.delete_endpoint_acl_rule(ENDPOINT_ID, group_rule_id)
try:
    transfer.delete_endpoint_acl_rule(ENDPOINT_ID, rule_id)
    raise AssertionError("deleted rule deleted twice")
except globus_sdk.TransferAPIError as e:
    assert e.http_status == 404 and e.code == "AccessRuleNotFound", (e.http_status, e.code)

assert len(transfer.endpoint_acl_list(ENDPOINT_ID)["DATA"]) == before

print("globus-sdk conformance: ok")
sys.exit(0)
