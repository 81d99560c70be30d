"""Drive the accord emulator's Search API with the official globus-sdk 4.9.0 SearchClient.

Run by tests/conformance_search.rs, which starts the emulator and sets
GLOBUS_SDK_SERVICE_URL_{AUTH,SEARCH}, EMULATOR_CLIENT_ID/SECRET (the index owner, a
client), EMULATOR_INDEX_ID, the identities I, J, K (K a member of group H) and G, H, and
the Search tokens the seed issued to I, J and K (users have no client credentials).
"""

import os
import time

import globus_sdk

assert globus_sdk.__version__ == "4.9.0", f"need globus-sdk 4.9.0, got {globus_sdk.__version__}"

CLIENT_ID = os.environ["EMULATOR_CLIENT_ID"]
CLIENT_SECRET = os.environ["EMULATOR_CLIENT_SECRET"]
INDEX = os.environ["EMULATOR_INDEX_ID"]
I, J, K = (os.environ[f"EMULATOR_{n}_ID"] for n in "IJK")
G, H = os.environ["EMULATOR_G_ID"], os.environ["EMULATOR_H_ID"]
TOKENS = {n: os.environ[f"EMULATOR_{n}_TOKEN"] for n in "IJK"}


def identity(i):
    return f"urn:globus:auth:identity:{i}"


def group(g):
    return f"urn:globus:groups:id:{g}"


def as_user(name):
    return globus_sdk.SearchClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(TOKENS[name])
    )


def expect_error(status, code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except globus_sdk.SearchAPIError as e:
        assert e.http_status == status, (e.http_status, e.text)
        assert e.code == code, (e.code, e.text)
        return e
    raise AssertionError(f"{call.__name__} should have failed with {status} {code}")


def wait(client, task_id):
    """Polls a task until it ends; answers the states seen."""
    states = []
    for _ in range(20):
        task = client.get_task(task_id)
        assert task["task_id"] == task_id, task.data
        assert task["index_id"] == INDEX, task.data
        states.append(task["state"])
        if task["state"] in ("SUCCESS", "FAILED"):
            return states
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} never ended: {states}")


# --- The owner: a client, with a client-credentials token for Search ---
auth = globus_sdk.ConfidentialAppAuthClient(CLIENT_ID, CLIENT_SECRET)
owner = globus_sdk.SearchClient(
    authorizer=globus_sdk.ClientCredentialsAuthorizer(
        auth, globus_sdk.scopes.SearchScopes.all
    )
)
index = owner.get_index(INDEX)
assert index["id"] == INDEX, index.data
assert index["permissions"] == ["owner"], index.data
assert index["num_subjects"] == 0, index.data

# --- Ingest the role-filtering guide's documents (GMetaList, visible_to, principal_sets),
# plus one subject only I may see ---
SAMPLE = "https://example.org/data/alice/sample1.h5"
ingest = owner.ingest(
    INDEX,
    {
        "ingest_type": "GMetaList",
        "ingest_data": {
            "gmeta": [
                {"subject": "doc0", "visible_to": ["public"], "content": {"foo": "value0"}},
                {
                    "subject": "doc1",
                    "visible_to": ["public"],
                    "principal_sets": {
                        "curator": [identity(I), identity(J)],
                        "contributor": [group(G)],
                    },
                    "content": {"foo": "value1"},
                },
                {
                    "subject": "doc2",
                    "visible_to": ["public"],
                    "principal_sets": {"contributor": [group(H)]},
                    "content": {"foo": "value2"},
                },
                {
                    "subject": SAMPLE,
                    "visible_to": [identity(I)],
                    "content": {"sample": {"size": 3, "tags": ["em"]}},
                },
            ]
        },
    },
)
assert ingest["acknowledged"] is True, ingest.data
states = wait(owner, ingest["task_id"])
assert states == ["PENDING", "SUCCESS"], states
tasks = owner.get_task_list(INDEX)
assert tasks["tasks"][0]["task_id"] == ingest["task_id"], tasks.data

# --- Subjects ---
i_client, j_client, k_client = as_user("I"), as_user("J"), as_user("K")
subject = i_client.get_subject(INDEX, SAMPLE)
assert subject["subject"] == SAMPLE, subject.data
assert subject["entries"][0]["content"] == {"sample": {"size": 3, "tags": ["em"]}}, subject.data
assert "visible_to" not in subject["entries"][0], subject.data
expect_error(404, "NotFound.Generic", j_client.get_subject, INDEX, SAMPLE)
bypass = owner.get_subject(INDEX, SAMPLE, query_params={"bypass_visible_to": True})
assert bypass["entries"][0]["visible_to"] == [identity(I)], bypass.data
expect_error(
    403,
    "Forbidden.Generic",
    i_client.get_subject,
    INDEX,
    SAMPLE,
    query_params={"bypass_visible_to": True},
)


# --- Queries, with and without filter_principal_sets ---
def found(client, **extra):
    res = client.post_search(INDEX, {"@version": "2017-09-01", "q": "*", "limit": 10, **extra})
    assert res["@datatype"] == "GSearchResult", res.data
    return [g["subject"] for g in res["gmeta"]]


assert found(i_client) == ["doc0", "doc1", "doc2", SAMPLE]
assert found(j_client) == ["doc0", "doc1", "doc2"]
assert found(i_client, filter_principal_sets=["curator"]) == ["doc1"]
assert found(j_client, filter_principal_sets=["curator"]) == ["doc1"]
assert found(k_client, filter_principal_sets=["curator", "contributor"]) == ["doc2"]
assert found(j_client, filter_principal_sets=["nosuchrole"]) == []
res = i_client.search(INDEX, "*", query_params={"filter_principal_sets": "curator"})
assert [g["subject"] for g in res["gmeta"]] == ["doc1"], res.data
assert res["gmeta"][0]["entries"][0]["matched_principal_sets"] == ["curator"], res.data
res = j_client.search(INDEX, "value2")
assert [g["subject"] for g in res["gmeta"]] == ["doc2"], res.data
pages = list(j_client.paginated.post_search(INDEX, {"q": "*"}).items())
assert [g["subject"] for g in pages] == ["doc0", "doc1", "doc2"], pages

# --- accord's read of an index: every subject with its lists, no content (query#1.0.0) ---
ACCESS = {"bypass_visible_to": True, "fields": ["visible_to", "principal_sets"]}
query = globus_sdk.SearchQueryV1(q="*", limit=1000, offset=0, additional_fields=ACCESS)
res = owner.post_search(INDEX, query)
assert res["has_next_page"] is False, res.data
entries = {g["subject"]: g["entries"] for g in res["gmeta"]}
assert list(entries) == ["doc0", "doc1", "doc2", SAMPLE], res.data
assert entries[SAMPLE][0]["visible_to"] == [identity(I)], res.data
assert entries["doc1"][0]["principal_sets"]["curator"] == [identity(I), identity(J)], res.data
assert all("content" not in e for es in entries.values() for e in es), res.data
# The SDK's paginator pages the same query by offset.
pages = list(owner.paginated.post_search(INDEX, query).items())
assert [g["subject"] for g in pages] == list(entries), pages
# `fields` defaults to content: bypassing alone answers no lists.
res = owner.post_search(INDEX, {"@version": "2017-09-01", "q": "*", "bypass_visible_to": True})
assert all(
    "visible_to" not in e and "content" in e for g in res["gmeta"] for e in g["entries"]
), res.data
# A 2017-09-01 body has no `fields`.
e = expect_error(
    400,
    "BadRequest.ValidationError",
    owner.post_search,
    INDEX,
    {"@version": "2017-09-01", "q": "*", "fields": ["visible_to"]},
)
assert e.error_data["messages"]["json"]["fields"] == ["Unknown field."], e.error_data

# --- Errors the SDK parses ---
e = expect_error(
    400,
    "BadRequest.ValidationError",
    owner.ingest,
    INDEX,
    {"ingest_type": "GMetaEntry", "ingest_data": {"subject": "x", "content": {}}},
)
assert e.error_data == {
    "messages": {"json": {"ingest_data": {"visible_to": ["Missing data for required field."]}}}
}, e.error_data
expect_error(
    403,
    "Forbidden.Generic",
    j_client.ingest,
    INDEX,
    {"ingest_type": "GMetaEntry", "ingest_data": {"subject": "x", "visible_to": ["public"], "content": {}}},
)
expect_error(404, "NotFound.NoSuchIndex", owner.get_index, "00000000-0000-4000-8000-000000000000")

# --- Index roles: create, list, delete ---
role = owner.create_role(INDEX, {"role_name": "writer", "principal": identity(J)})
assert role["role_name"] == "writer", role.data
assert role["principal"] == identity(J), role.data
assert role["principal_type"] == "identity", role.data
assert role["index_id"] == INDEX, role.data
roles = owner.get_role_list(INDEX)
assert [r["id"] for r in roles["role_list"]][-1] == role["id"], roles.data
# J may now write.
task = j_client.ingest(
    INDEX,
    {"ingest_type": "GMetaEntry", "ingest_data": {"subject": "by-j", "visible_to": ["public"], "content": {}}},
)
assert wait(j_client, task["task_id"])[-1] == "SUCCESS"
deleted = owner.delete_role(INDEX, role["id"])
assert deleted["success"] is True, deleted.data
assert deleted["deleted"]["id"] == role["id"], deleted.data
roles = owner.get_role_list(INDEX)
assert role["id"] not in [r["id"] for r in roles["role_list"]], roles.data
owners = [r for r in roles["role_list"] if r["role_name"] == "owner"]
expect_error(409, "Conflict.LastOwner", owner.delete_role, INDEX, owners[0]["id"])

# --- Subject delete is a task too ---
task = owner.delete_subject(INDEX, SAMPLE)
assert wait(owner, task["task_id"])[-1] == "SUCCESS"
expect_error(404, "NotFound.Generic", i_client.get_subject, INDEX, SAMPLE)

print("globus-sdk Search conformance: ok")
