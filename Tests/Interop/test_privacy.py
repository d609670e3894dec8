"""Privacy controls (README "Privacy", docs/design.md §2): the client address kept, cut to its network or
dropped, and chosen members of properties, traits and context dropped or replaced by a salted SHA-256 before
anything is stored, in `events` and in `rejected` alike. Sent with Segment's own SDK where it can send it.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest
import segment.analytics.request as segment_request
from segment.analytics.client import Client as SegmentClient

from api import Recorder, rejected_rows, rows_with_keys, segment_message
from lake import load_table, pyiceberg_rows
from tables import EVENTS

SALT = "pepper-1"
ENV = {"FLOE_CLIENT_IP": "truncate", "FLOE_PRIVACY_DROP": "properties.password, context.traits.email",
       "FLOE_PRIVACY_HASH": "properties.email,traits.email,traits.phone", "FLOE_PRIVACY_SALT": SALT}


def sha(value: str) -> str:
    return hashlib.sha256((SALT + value).encode()).hexdigest()


def every_string_stored(server) -> str:
    """Every value of every table as text, to look for anything that should not be there."""
    texts = []
    for name in ("events", "rejected"):
        texts.append(json.dumps(pyiceberg_rows(load_table(server.data_dir, name)), default=str))
    return "\n".join(texts)


def test_members_are_dropped_or_hashed_and_addresses_truncated(floe):
    server = floe(env=ENV)
    client = SegmentClient("privacy-key", host=server.url, sync_mode=True, max_retries=0)
    with Recorder(segment_request._session) as recorder:
        client.identify(user_id="u-privacy", traits={"email": "ada@example.com", "phone": "+44 20 7946 0000",
                                                      "plan": "pro"},
                        context={"traits": {"email": "ada@example.com"}, "ip": "203.0.113.77"})
        client.track(user_id="u-privacy", event="Signed Up",
                      properties={"email": "ada@example.com", "password": "hunter2", "nested": {"email": "kept@x"}},
                      context={"ip": "2001:db8:abcd:12:1:2:3:4"})
        client.track(user_id="u-privacy", event="No Context", properties={"plan": "pro"})
    assert recorder.statuses() == [200, 200, 200]
    sent = [body["batch"][0] for body in recorder.bodies()]
    bad = segment_message("track", event="", properties={"email": "eve@example.com", "password": "pw-of-eve"},
                          context={"ip": "198.51.100.23"})
    assert server.post("/v1/batch", json.dumps({"batch": [bad]}).encode()).json()["rejected"] == 1
    # A context.ip that is not an address string is not kept in any form.
    odd = [segment_message("track", context={"ip": ip}) for ip in (["192.0.2.201"], {"addr": "192.0.2.201"}, 3405803853)]
    assert server.post("/v1/batch", json.dumps({"batch": odd}).encode()).json()["accepted"] == 3
    server.flush()
    odd_rows = rows_with_keys(server, EVENTS, [m["messageId"] for m in odd])
    assert [json.loads(row["context"])["ip"] for row in odd_rows] == [None] * 3, odd_rows

    rows = {r["message_id"]: r for r in rows_with_keys(server, EVENTS, [m["messageId"] for m in sent])}
    identify, track, plain = (rows[m["messageId"]] for m in sent)
    traits = json.loads(identify["traits"])
    assert traits == {"email": sha("ada@example.com"), "phone": sha("+44 20 7946 0000"), "plan": "pro"}
    context = json.loads(identify["context"])
    assert context["ip"] == "203.0.113.0" and context["traits"] == {}, context
    assert context["library"]["name"] == "analytics-python", "members without a rule are kept"
    properties = json.loads(track["properties"])
    assert properties == {"email": sha("ada@example.com"), "nested": {"email": "kept@x"}}, properties
    assert json.loads(track["context"])["ip"] == "2001:db8:abcd::"
    assert json.loads(plain["context"])["ip"] == "127.0.0.0", "the address Floe adds is cut too"
    assert json.loads(plain["properties"]) == {"plan": "pro"}

    [recorded] = [r for r in rejected_rows(server, flush=False) if bad["messageId"] in r["event"]]
    assert recorded["event_json"]["properties"] == {"email": sha("eve@example.com")}
    assert recorded["event_json"]["context"]["ip"] == "198.51.100.0"

    stored = every_string_stored(server)
    for secret in ("ada@example.com", "hunter2", "eve@example.com", "pw-of-eve", "203.0.113.77", "198.51.100.23",
                   "+44 20 7946 0000", "2001:db8:abcd:12", "192.0.2.201", "3405803853"):
        assert secret not in stored, f"{secret!r} was stored"


def test_client_addresses_can_be_dropped_and_are_kept_by_default(floe):
    dropped, default = floe(env={"FLOE_CLIENT_IP": "drop"}), floe()
    for server, wanted in ((dropped, None), (default, "127.0.0.1")):
        mine, theirs = segment_message("track"), segment_message("track", context={"ip": "192.0.2.9", "locale": "de"})
        assert server.post("/v1/batch", json.dumps({"batch": [mine, theirs]}).encode()).status_code == 200
        server.flush()
        rows = {r["message_id"]: json.loads(r["context"]) for r in rows_with_keys(server, EVENTS, [mine["messageId"], theirs["messageId"]])}
        assert rows[mine["messageId"]].get("ip") == wanted, rows
        assert rows[theirs["messageId"]].get("ip") == (None if wanted is None else "192.0.2.9")
        assert rows[theirs["messageId"]]["locale"] == "de"


@pytest.mark.parametrize("rule, peer, mapped", [("keep", "127.0.0.1", "::ffff:203.0.113.82"),
                                                 ("truncate", "127.0.0.0", "::ffff:203.0.113.0")])
def test_ipv4_clients_of_a_dual_stack_listener_are_stored_as_ipv4(floe_launcher, rule, peer, mapped):
    """With `--host ::` the kernel gives an IPv4 client's address as ::ffff:a.b.c.d: Floe stores it as a.b.c.d, and
    `truncate` cuts an IPv4-mapped address a client sent to its IPv4 /24 (it used to become `::`)."""
    server = floe_launcher.new(f"dual-stack-{rule}", env={"FLOE_CLIENT_IP": rule})
    server.host = "::"
    try:
        server.start()
        mine, theirs = segment_message("track"), segment_message("track", context={"ip": "::ffff:203.0.113.82"})
        assert server.post("/v1/batch", json.dumps({"batch": [mine, theirs]}).encode()).status_code == 200
        server.flush()
        rows = {r["message_id"]: json.loads(r["context"]) for r in rows_with_keys(server, EVENTS, [mine["messageId"], theirs["messageId"]])}
        assert rows[mine["messageId"]]["ip"] == peer, rows
        assert rows[theirs["messageId"]]["ip"] == mapped, rows
    finally:
        server.stop()


@pytest.mark.parametrize("rule", ["drop", "hash"])
def test_the_address_floe_adds_follows_a_rule_for_context_ip(floe, rule):
    """`privacy.drop` or `privacy.hash` of `context.ip` applies to the address Floe adds as to one a client sent:
    a column of hashed addresses holds no raw ones."""
    server = floe(env={f"FLOE_PRIVACY_{rule.upper()}": "context.ip", "FLOE_PRIVACY_SALT": SALT})
    mine, theirs = segment_message("track"), segment_message("track", context={"ip": "192.0.2.9"})
    assert server.post("/v1/batch", json.dumps({"batch": [mine, theirs]}).encode()).status_code == 200
    assert server.post("/v1/track", json.dumps(segment_message("track", messageId="single")).encode()).status_code == 200
    server.flush()
    rows = {r["message_id"]: json.loads(r["context"])
            for r in rows_with_keys(server, EVENTS, [mine["messageId"], theirs["messageId"], "single"])}
    wanted = {"drop": (None, None), "hash": (sha("127.0.0.1"), sha("192.0.2.9"))}[rule]
    assert (rows[mine["messageId"]].get("ip"), rows[theirs["messageId"]].get("ip")) == wanted, rows
    assert rows["single"].get("ip") == wanted[0], rows
    assert "127.0.0.1" not in json.dumps(pyiceberg_rows(load_table(server.data_dir, "events")), default=str)


def test_a_rejected_message_is_recorded_without_its_write_key_or_a_value_no_rule_reaches(floe):
    """The `rejected` table keeps what was wrong with an event, not the credential a client put in it (SDKs such as
    analytics.js send `writeKey` in every message), rules or none. A message that is not an object (a client that
    encodes each message twice sends strings) is recorded by its reasons alone: no rule can be placed on it."""
    for env in ({}, ENV):
        server = floe(env=env)
        key = "wk_live_" + os.urandom(6).hex()
        single = segment_message("track", event="", writeKey=key, properties={"password": "hunter2"})
        assert server.post("/v1/track", json.dumps(single).encode()).status_code == 400
        in_batch = segment_message("identify", userId=None, anonymousId=None, writeKey=key)
        twice = json.dumps(segment_message("track", writeKey=key, properties={"password": "hunter2"}))
        original = json.dumps({"batch": [in_batch, twice, segment_message("track")]}).encode()
        answer = server.post("/v1/batch", original)
        assert answer.status_code == 200 and answer.json()["rejected"] == 2, answer.text
        rows = rejected_rows(server)
        recorded = {r["event_json"]["messageId"]: r["event_json"] for r in rows if r["event_json"]}
        assert "writeKey" not in recorded[single["messageId"]] and "writeKey" not in recorded[in_batch["messageId"]]
        assert recorded[single["messageId"]]["properties"] == ({} if env else {"password": "hunter2"})
        assert [r["reasons"] for r in rows if r["event"] == ""], rows
        # Recorded empty, they are still told apart by what was sent: another such value at the same position of
        # another request is a row of its own, and the retry of a request adds none.
        other = json.dumps(segment_message("track", writeKey=key))
        assert server.post("/v1/batch", json.dumps({"batch": [segment_message("track"), other]}).encode()).json()["rejected"] == 1
        assert server.post("/v1/batch", original).json()["rejected"] == 2
        empty = [r for r in rejected_rows(server) if r["event"] == ""]
        assert sorted(r["event_bytes"] for r in empty) == sorted([len(json.dumps(twice)), len(json.dumps(other))]), empty
        stored = every_string_stored(server)
        assert key not in stored, f"the write key was stored ({env})"
        if env:
            assert "hunter2" not in stored


def test_two_rules_for_one_member_are_refused_at_start(floe_launcher):
    server = floe_launcher.new("privacy-two-rules", env={"FLOE_PRIVACY_DROP": "properties.email",
                                                         "FLOE_PRIVACY_HASH": "properties.email",
                                                         "FLOE_PRIVACY_SALT": SALT})
    with pytest.raises(Exception):  # the launcher reports a process that did not come up
        server.start()
    server.stop()
    assert "properties.email' has two rules" in server.log_tail(), server.log_tail()


def test_hashing_without_a_salt_is_refused_at_start(floe_launcher):
    server = floe_launcher.new("privacy-no-salt", env={"FLOE_PRIVACY_HASH": "properties.email"})
    with pytest.raises(Exception):  # the launcher reports a process that did not come up
        server.start()
    server.stop()
    assert "salt" in server.log_tail().lower(), server.log_tail()


def test_backfill_applies_the_same_rules(floe_bin, tmp_path):
    """`floe backfill` loads historical exports, where most personal data sits: the rules of its configuration apply
    to its rows and to the `rejected` table as they do over HTTP."""
    config = tmp_path / "floe.jsonc"
    config.write_text(json.dumps({"privacy": {"client_ip": "truncate", "drop": ["properties.password"],
                                              "hash": ["traits.email", "properties.email"], "salt": SALT}}))
    identify = segment_message("identify", traits={"email": "ada@example.com", "plan": "pro"},
                               context={"ip": "203.0.113.77"}, timestamp="2026-11-01T10:00:00Z")
    track = segment_message("track", properties={"password": "hunter2", "sku": "a"}, timestamp="2026-11-01T10:00:00Z")
    bad = segment_message("track", event="", properties={"email": "eve@example.com"}, context={"ip": "198.51.100.23"},
                          writeKey="wk_live_backfilled")
    # Lines the rules cannot be placed on: cut off mid-write, and a batch refused for its envelope.
    cut = json.dumps(segment_message("track", properties={"email": "cut@example.com"}))[:-20]
    envelope = json.dumps({"batch": [segment_message("identify", traits={"email": "batch@example.com"})], "context": 5})
    source = tmp_path / "export.ndjson"
    source.write_text("\n".join([json.dumps(m) for m in (identify, track, bad)] + [cut, envelope]) + "\n")
    data_dir, rejects = tmp_path / "data", tmp_path / "rejects.ndjson"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOE_", "ICEBERG_", "R2_", "AWS_"))}
    done = subprocess.run([str(floe_bin), "backfill", "--config", str(config), "--data-dir", str(data_dir), "--json",
                           "--rejects", str(rejects), "--rejects-table", str(source)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["events"], summary["rejected"]) == (2, 3), summary
    rows = {r["message_id"]: r for r in pyiceberg_rows(load_table(data_dir, "events"))}
    assert json.loads(rows[identify["messageId"]]["traits"]) == {"email": sha("ada@example.com"), "plan": "pro"}
    assert json.loads(rows[identify["messageId"]]["context"])["ip"] == "203.0.113.0"
    assert json.loads(rows[track["messageId"]]["properties"]) == {"sku": "a"}
    recorded = {r["request_id"].rsplit(":", 1)[1]: r for r in pyiceberg_rows(load_table(data_dir, "rejected"))}
    assert sorted(recorded) == ["3", "4", "5"], recorded
    event = json.loads(recorded["3"]["event"])
    assert event["properties"] == {"email": sha("eve@example.com")} and event["context"]["ip"] == "198.51.100.0", event
    # Recorded by their reasons alone.
    assert recorded["4"]["event"] == "" and recorded["5"]["event"] == "", recorded
    assert recorded["4"]["reasons"] and recorded["5"]["reasons"], recorded
    stored = json.dumps([pyiceberg_rows(load_table(data_dir, name)) for name in ("events", "rejected")], default=str)
    assert "writeKey" not in event, event
    for secret in ("ada@example.com", "hunter2", "eve@example.com", "203.0.113.77", "198.51.100.23", "cut@example.com",
                   "batch@example.com", "wk_live_backfilled"):
        assert secret not in stored, f"{secret!r} was stored"
    # The rejects file names the line and its reasons, not its content.
    lines = [json.loads(text) for text in rejects.read_text().splitlines()]
    assert [line["line"] for line in lines] == [3, 4, 5] and "@example.com" not in json.dumps(lines), lines
