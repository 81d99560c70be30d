"""Drives the emulator's Boss API with the official intern 1.4.2 client.

Environment: EMULATOR_BOSS_HOST (127.0.0.1:PORT/boss), EMULATOR_BOSS_TOKEN (a
resource-manager's token), EMULATOR_BOSS_MEMBER (a seeded Boss user to add).
Prints "intern Boss conformance: ok" on success; any failure raises.
"""

import os
import sys

import intern
from intern.remote.boss import BossRemote
from intern.resource.boss.resource import (
    ChannelResource,
    CollectionResource,
    CoordinateFrameResource,
    ExperimentResource,
)

assert intern.__version__ == "1.4.2", f"intern 1.4.2 is required, found {intern.__version__}"

HOST = os.environ["EMULATOR_BOSS_HOST"]
TOKEN = os.environ["EMULATOR_BOSS_TOKEN"]
MEMBER = os.environ["EMULATOR_BOSS_MEMBER"]
GROUP = "lab-readers"

rmt = BossRemote({"protocol": "http", "host": HOST, "token": TOKEN})

# Resources: a frame, a collection, an experiment and a channel.
frame = rmt.create_project(
    CoordinateFrameResource(
        "frame1", "a frame", 0, 1000, 0, 1000, 0, 100, 4.0, 4.0, 40.0, "nanometers"
    )
)
assert frame.name == "frame1" and frame.x_stop == 1000, frame
coll = rmt.create_project(CollectionResource("coll1", "a collection"))
assert coll.name == "coll1" and coll.creator, coll
exp = rmt.create_project(ExperimentResource("exp1", "coll1", "frame1", "an experiment"))
assert exp.name == "exp1" and exp.coord_frame == "frame1", exp
chan = rmt.create_project(ChannelResource("chan1", "coll1", "exp1", "image", datatype="uint8"))
assert chan.name == "chan1" and chan.datatype == "uint8", chan
assert "coll1" in rmt.list_collections(), rmt.list_collections()
assert rmt.list_experiments("coll1") == ["exp1"]
assert rmt.list_channels("coll1", "exp1") == ["chan1"]

# A group with a member.
rmt.create_group(GROUP)
assert GROUP in rmt.list_groups(), rmt.list_groups()
assert GROUP in rmt.list_groups(filtr="maintainer")
rmt.add_group_member(GROUP, MEMBER)
members = rmt.list_group_members(GROUP)
assert MEMBER in members, members
assert rmt.get_is_group_member(GROUP, MEMBER) is True
group = rmt.get_group(GROUP)
assert group["name"] == GROUP and group["resources"] == [], group

# Permissions at collection, experiment and channel level.
coll_r = CollectionResource("coll1")
exp_r = ExperimentResource("exp1", "coll1")
chan_r = ChannelResource("chan1", "coll1", "exp1")
rmt.add_permissions(GROUP, coll_r, ["read"])
rmt.add_permissions(GROUP, exp_r, ["read", "add"])
rmt.add_permissions(GROUP, chan_r, ["read", "read_volumetric_data"])

sets = rmt.list_permissions(group_name=GROUP)
assert len(sets) == 3, sets
assert sets[0] == {"group": GROUP, "collection": "coll1", "permissions": ["read"]}, sets
assert sets[1]["experiment"] == "exp1" and sorted(sets[1]["permissions"]) == ["add", "read"], sets
assert sets[2]["channel"] == "chan1", sets
assert sorted(sets[2]["permissions"]) == ["read", "read_volumetric_data"], sets
one = rmt.list_permissions(group_name=GROUP, resource=chan_r)
assert len(one) == 1 and one[0]["channel"] == "chan1", one
assert sorted(rmt.get_permissions(GROUP, exp_r)) == ["add", "read"]
assert len(rmt.get_group(GROUP)["resources"]) == 3

# Volumetric permissions only on channels: 400.
try:
    rmt.add_permissions(GROUP, coll_r, ["read_volumetric_data"])
except Exception as e:  # intern raises HTTPError on any unexpected status
    assert "400" in str(e), e
else:
    sys.exit("a volumetric permission on a collection was accepted")

# PATCH replaces.
rmt.update_permissions(GROUP, exp_r, ["read"])
assert rmt.get_permissions(GROUP, exp_r) == ["read"]

rmt.delete_permissions(GROUP, coll_r)
rmt.delete_permissions(GROUP, exp_r)
rmt.delete_permissions(GROUP, chan_r)
assert rmt.list_permissions(group_name=GROUP) == [], rmt.list_permissions(group_name=GROUP)

rmt.delete_group_member(GROUP, MEMBER)
assert MEMBER not in rmt.list_group_members(GROUP)
rmt.delete_group(GROUP)
assert GROUP not in rmt.list_groups()

# Soft deletes: children first, then the 4005 answer.
rmt.delete_project(chan_r)
rmt.delete_project(exp_r)
rmt.delete_project(coll_r)
assert "coll1" not in rmt.list_collections()
try:
    rmt.get_project(coll_r)
except Exception as e:
    assert "marked for deletion" in str(e) or "404" in str(e), e
else:
    sys.exit("a deleted collection was still readable")
rmt.delete_project(CoordinateFrameResource("frame1"))
assert "frame1" not in rmt.list_coordinate_frames()

print("intern Boss conformance: ok")
