"""Drive the accord emulator's GCS Manager API (over HTTPS) with the official globus-sdk 4.9.0.

Run by tests/conformance_gcs.rs, which starts the emulator with TLS and sets
GLOBUS_SDK_VERIFY_SSL (the emulator's CA file), GLOBUS_SDK_SERVICE_URL_{AUTH,TRANSFER},
EMULATOR_BASE_URL, EMULATOR_CLIENT_ID/SECRET, EMULATOR_GCS_ENDPOINT_ID,
EMULATOR_MAPPED_COLLECTION_ID, EMULATOR_STORAGE_GATEWAY_ID and EMULATOR_MEMBER_ID.
"""

import os

import globus_sdk

assert globus_sdk.__version__ == "4.9.0", f"need globus-sdk 4.9.0, got {globus_sdk.__version__}"

BASE = os.environ["EMULATOR_BASE_URL"]
CLIENT_ID = os.environ["EMULATOR_CLIENT_ID"]
CLIENT_SECRET = os.environ["EMULATOR_CLIENT_SECRET"]
ENDPOINT_ID = os.environ["EMULATOR_GCS_ENDPOINT_ID"]
MAPPED_ID = os.environ["EMULATOR_MAPPED_COLLECTION_ID"]
GATEWAY_ID = os.environ["EMULATOR_STORAGE_GATEWAY_ID"]
MEMBER_ID = os.environ["EMULATOR_MEMBER_ID"]
assert BASE.startswith("https://"), BASE

auth = globus_sdk.ConfidentialAppAuthClient(CLIENT_ID, CLIENT_SECRET)

# --- Transfer: the endpoint document names the GCS Manager, over https ---
transfer_tokens = auth.oauth2_client_credentials_tokens(
    requested_scopes=["urn:globus:auth:scope:transfer.api.globus.org:all"]
)
transfer = globus_sdk.TransferClient(
    authorizer=globus_sdk.AccessTokenAuthorizer(
        transfer_tokens.by_resource_server["transfer.api.globus.org"]["access_token"]
    )
)
ep = transfer.get_endpoint(ENDPOINT_ID)
assert ep["entity_type"] == "GCSv5_endpoint", ep.data
manager_url = ep["gcs_manager_url"]
assert manager_url == f"{BASE}/gcs/{ENDPOINT_ID}", manager_url
assert manager_url.startswith("https://"), manager_url

# --- GCS: a client-credentials token for the endpoint's manage_collections scope, with the
# mapped collection's data_access as a dependent scope (needed to create guest collections) ---
gcs_scope = globus_sdk.scopes.GCSEndpointScopes(ENDPOINT_ID).manage_collections.with_dependency(
    globus_sdk.scopes.GCSCollectionScopes(MAPPED_ID).data_access
)
gcs_tokens = auth.oauth2_client_credentials_tokens(requested_scopes=[gcs_scope])
gcs_token = gcs_tokens.by_resource_server[ENDPOINT_ID]["access_token"]
gcs = globus_sdk.GCSClient(manager_url, authorizer=globus_sdk.AccessTokenAuthorizer(gcs_token))
assert gcs.base_url == f"{manager_url}/api/", gcs.base_url

info = gcs.get("/info")
assert info["code"] == "success", info.data
assert info["data"][0]["endpoint_id"] == ENDPOINT_ID, info.data

# A user credential (username left to the server).
cred = gcs.create_user_credential(
    globus_sdk.UserCredentialDocument(
        storage_gateway_id=GATEWAY_ID, identity_id=CLIENT_ID, display_name="conformance"
    )
)
assert cred["DATA_TYPE"].startswith("user_credential#"), cred.data
assert cred["identity_id"] == CLIENT_ID
assert cred["storage_gateway_id"] == GATEWAY_ID
assert cred["username"], cred.data
creds = list(gcs.get_user_credential_list(storage_gateway=GATEWAY_ID))
assert [c["id"] for c in creds] == [cred["id"]], creds

# A guest collection on the mapped collection.
coll = gcs.create_collection(
    globus_sdk.GuestCollectionDocument(
        display_name="conformance share",
        mapped_collection_id=MAPPED_ID,
        user_credential_id=cred["id"],
        collection_base_path="/projects/p1/",
        public=True,
    )
)
assert coll["DATA_TYPE"].startswith("collection#"), coll.data
assert coll["collection_type"] == "guest", coll.data
assert coll["mapped_collection_id"] == MAPPED_ID
assert coll["display_name"] == "conformance share"
coll_id = coll["id"]

# Listing, one item per page so the SDK follows the markers.
ids = [c["id"] for c in gcs.paginated.get_collection_list(query_params={"page_size": 1}).items()]
assert sorted(ids) == sorted([MAPPED_ID, coll_id]), ids
guests = list(gcs.get_collection_list(filter="guest_collections"))
assert [c["id"] for c in guests] == [coll_id], guests
got = gcs.get_collection(coll_id)
assert got["collection_base_path"] == "/projects/p1/", got.data
updated = gcs.update_collection(coll_id, {"DATA_TYPE": "collection#1.0.0", "description": "d"})
assert updated["description"] == "d", updated.data

# A role on the guest collection; the same again is refused with 409 `exists`.
role = gcs.create_role(
    globus_sdk.GCSRoleDocument(
        collection=coll_id,
        principal=f"urn:globus:auth:identity:{MEMBER_ID}",
        role="access_manager",
    )
)
assert role["DATA_TYPE"].startswith("role#"), role.data
assert role["role"] == "access_manager"
assert role["collection"] == coll_id
try:
    gcs.create_role(
        globus_sdk.GCSRoleDocument(
            collection=coll_id,
            principal=f"urn:globus:auth:identity:{MEMBER_ID}",
            role="access_manager",
        )
    )
    raise AssertionError("a duplicate role must be refused")
except globus_sdk.GCSAPIError as e:
    assert e.http_status == 409 and e.code == "exists", (e.http_status, e.code)
roles = list(gcs.get_role_list(collection_id=coll_id))
assert {r["role"] for r in roles} == {"administrator", "access_manager"}, roles

# The guest collection is a Transfer endpoint too, with an ACL and directories.
guest_ep = transfer.get_endpoint(coll_id)
assert guest_ep["entity_type"] == "GCSv5_guest_collection", guest_ep.data
assert guest_ep["gcs_manager_url"] == manager_url
transfer.operation_mkdir(coll_id, "/shared/")
stat = transfer.operation_stat(coll_id, "/shared/")
assert stat["type"] == "dir", stat.data
rule = transfer.add_endpoint_acl_rule(
    coll_id,
    {"DATA_TYPE": "access", "principal_type": "identity", "principal": MEMBER_ID,
     "path": "/shared/", "permissions": "r"},
)
assert rule["code"] == "Created", rule.data

# Errors come back as GCSAPIError with the envelope's code.
try:
    gcs.get_collection("00000000-0000-4000-8000-000000000000")
    raise AssertionError("an unknown collection must be 404")
except globus_sdk.GCSAPIError as e:
    assert e.http_status == 404 and e.code == "not_found", (e.http_status, e.code)

gcs.delete_role(role["id"])
gcs.delete_collection(coll_id)
try:
    transfer.get_endpoint(coll_id)
    raise AssertionError("a deleted guest collection is gone from Transfer")
except globus_sdk.TransferAPIError as e:
    assert e.http_status == 404, e.http_status
gcs.delete_user_credential(cred["id"])

print("globus-sdk GCS conformance: ok")
