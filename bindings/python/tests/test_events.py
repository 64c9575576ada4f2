"""The transactional outbox: one event per audit entry in order, the cursor, the project
filter, HMAC signatures (verified with Python's ``hmac``), and in-process subscribers (name
order, after the commit, on the command's thread, exceptions reported and swallowed,
unsubscribe)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import subprocess
import sys
import threading
from typing import Any, Optional

import pytest
from conftest import DAVE, LENA, P, ROOT, request

import deploygov
from deploygov import Activation, DeploymentStatus, Engine, Event, InvalidInputError, VersionSpec


def ship(engine: Engine, env: str = "staging", tag: str = "1.0.0", executor: Any = None) -> deploygov.Deployment:
    """request (dave) → approve (lena) → execute: the staging flow."""
    d = engine.request_deployment(P, request(env, tag), DAVE)
    engine.approve(P, d.id, LENA, comment="ok")
    return engine.execute(P, d.id, DAVE, executor)


def all_events(engine: Engine, project: Optional[str] = P) -> list[Event]:
    return engine.events_after(project, 0, 1000)


def canonical(e: Event) -> bytes:
    """The bytes the core signs: the event without its signature, as serde_json writes it
    (fields in declaration order, no spaces, non-ASCII as UTF-8)."""
    body = {**e.to_dict(), "signature": None}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hmac_hex(key: bytes, e: Event) -> str:
    return hmac.new(key, canonical(e), hashlib.sha256).hexdigest()


DEPLOY_KINDS = ["deployment.requested", "deployment.approval_granted", "deployment.approved", "deployment.deploying", "deployment.deployed"]


def test_every_mutation_writes_one_event_in_order(engine: Engine) -> None:
    setup_events = all_events(engine)
    # The project, three environments and four catalog versions of the conftest setup.
    assert [e.kind for e in setup_events] == ["project.created"] + ["environment.created"] * 3 + ["version.registered"] * 4
    d = ship(engine)
    events = all_events(engine)
    audit = engine.audit_log(P, limit=500)
    assert len(events) == len(audit), "one event per audit entry"
    for e, a in zip(events, audit):
        assert e.kind == ("deployment.deploying" if a.action == "deployment.started" else a.action)
        assert (e.at, e.project_id, e.object_type, e.object_id, e.actor_id) == (a.at, a.project_id, a.object_type, a.object_id, a.actor_id)
        assert e.payload == {"before": a.before, "after": a.after, "reason": a.reason}
    assert [e.kind for e in events if e.object_id == d.id] == DEPLOY_KINDS
    assert all(x.seq < y.seq for x, y in zip(events, events[1:]))
    assert len({e.id for e in events}) == len(events), "ids are unique"
    deployed = events[-1]
    assert isinstance(deployed, Event) and deployed.kind == "deployment.deployed" and deployed.actor_id == "dave"
    assert deployed.at.tzinfo is not None and deployed.signature is None
    assert isinstance(deployed.payload, dict)
    assert deployed.payload["before"]["status"] == "deploying" and deployed.payload["after"]["status"] == "deployed"
    granted = next(e for e in events if e.kind == "deployment.approval_granted")
    assert granted.actor_id == "lena" and granted.payload["reason"] == "ok"
    assert json.loads(json.dumps(deployed.to_dict())) == deployed.to_dict()
    assert Event.from_dict(deployed.to_dict()) == deployed
    # A refused command writes nothing.
    with pytest.raises(deploygov.InvalidTransitionError):
        engine.approve(P, d.id, LENA)
    assert len(all_events(engine)) == len(events)


def test_the_cursor_pages_through_the_same_sequence(engine: Engine) -> None:
    ship(engine)
    everything = all_events(engine)
    paged: list[Event] = []
    cursor = 0
    while True:
        page = engine.events_after(P, after_seq=cursor, limit=3)
        if not page:
            break
        assert len(page) <= 3
        cursor = page[-1].seq
        paged.extend(page)
    assert paged == everything
    assert engine.events_after(P, everything[-1].seq) == []
    assert len(engine.events_after(P)) == len(everything)  # default limit 100


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"limit": 0}, InvalidInputError),
        ({"limit": 1001}, InvalidInputError),
        ({"after_seq": -1}, InvalidInputError),
        ({"limit": -1}, ValueError),
        ({"limit": "5"}, TypeError),
        ({"after_seq": "0"}, TypeError),
        ({"project": 5}, TypeError),
    ],
)
def test_events_after_bad_arguments(engine: Engine, kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.events_after(**kwargs)


def test_project_filter(engine: Engine) -> None:
    engine.create_project("other", "acme", "Other", ROOT)
    other = all_events(engine, "other")
    assert [(e.kind, e.project_id) for e in other] == [("project.created", "other")]
    mine = all_events(engine)
    assert mine and all(e.project_id == P for e in mine)
    everywhere = all_events(engine, None)
    assert everywhere == sorted(mine + other, key=lambda e: e.seq)
    assert engine.events_after("nope") == []


def test_signatures_are_hmac_sha256_of_the_canonical_event(engine: Engine) -> None:
    # Non-ASCII, quotes, control characters and nesting in the payload (no floats: their text
    # form is the one thing Python and serde_json may spell differently).
    metadata = {"title": 'Grüße "quoted"\n\ttab', "tags": ["a", "ß"], "n": -3, "ok": True, "none": None, "nested": {"z": 1, "a": [{}]}}
    engine.register_version(P, VersionSpec("prompt_version", "faq", "1.0.0", metadata=metadata), ROOT)
    ship(engine)
    key = b"s3cret"
    engine.set_event_signing_key(key)
    signed = all_events(engine)
    assert signed and all(e.signature is not None and len(e.signature) == 64 for e in signed)
    for e in signed:
        assert e.signature == hmac_hex(key, e), e.kind
    assert all_events(engine) == signed, "signatures are stable"
    unsigned = dataclasses.replace(signed[0], signature=None)
    assert hmac_hex(key, unsigned) == signed[0].signature  # the signature is not part of what is signed
    tampered = dataclasses.replace(signed[-1], object_id="x")
    assert hmac_hex(key, tampered) != signed[-1].signature

    engine.set_event_signing_key(b"other key")
    resigned = all_events(engine)
    assert [e.seq for e in resigned] == [e.seq for e in signed]
    assert all(a.signature != b.signature for a, b in zip(resigned, signed))
    assert all(e.signature == hmac_hex(b"other key", e) for e in resigned)

    engine.set_event_signing_key(None)
    assert all(e.signature is None for e in all_events(engine))


@pytest.mark.parametrize("key, error", [(b"", InvalidInputError), ("s3cret", TypeError), (bytearray(b"k"), TypeError), (42, TypeError)])
def test_signing_key_must_be_non_empty_bytes(engine: Engine, key: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        engine.set_event_signing_key(key)
    if error is InvalidInputError:
        with pytest.raises(InvalidInputError, match="must not be empty"):
            engine._native.set_event_signing_key(key)
    else:
        with pytest.raises(TypeError):
            engine._native.set_event_signing_key(key)  # the native module refuses it too
    assert all_events(engine)[0].signature is None


class Sink:
    """A subscriber object recording what it receives (and on which thread)."""

    def __init__(self, name: str, log: list[tuple[str, Event, int]]) -> None:
        self.name = name
        self.log = log

    def on_event(self, event: Event) -> None:
        self.log.append((self.name, event, threading.get_ident()))


def test_subscribers_get_each_event_after_commit_in_name_order(engine: Engine) -> None:
    log: list[tuple[str, Event, int]] = []
    engine.subscribe("b-second", Sink("b", log))
    engine.subscribe("a-first", lambda e: log.append(("a", e, threading.get_ident())))
    engine.set_event_signing_key(b"k")
    start = all_events(engine)[-1].seq
    seen_by_executor: list[list[str]] = []

    def activate(a: Activation) -> None:  # `deploying` was committed and delivered before the executor runs
        seen_by_executor.append([e.kind for name, e, _ in log if name == "a" and e.object_id == a.deployment_id])

    d = ship(engine, executor=activate)
    stored = engine.events_after(P, start)
    assert [e.kind for e in stored] == DEPLOY_KINDS
    # Per event: every subscriber, in the order of their names; events in order.
    assert [(name, e.seq) for name, e, _ in log] == [(name, e.seq) for e in stored for name in ("a", "b")]
    assert [e for name, e, _ in log if name == "a"] == stored  # the same records, signed
    assert all(e.signature == hmac_hex(b"k", e) for _, e, _ in log)
    assert {thread for _, _, thread in log} == {threading.get_ident()}, "on the thread of the command"
    assert seen_by_executor == [DEPLOY_KINDS[:4]]
    assert engine.get_deployment(P, d.id).status is DeploymentStatus.DEPLOYED


def test_subscribers_may_call_the_engine(engine: Engine) -> None:
    statuses: list[tuple[str, str]] = []

    def reader(e: Event) -> None:
        if e.object_type == "deployment":  # committed before delivery: the engine reads it
            statuses.append((e.kind, engine.get_deployment(P, e.object_id).status.value))

    engine.subscribe("reader", reader)
    d = engine.request_deployment(P, request("development"), DAVE)  # development: approved at once
    # A host executor: `deploying` commits (and is delivered) before it runs.
    engine.execute(P, d.id, DAVE, lambda a: None)
    assert statuses == [
        ("deployment.requested", "approved"),
        ("deployment.approved", "approved"),
        ("deployment.deploying", "deploying"),
        ("deployment.deployed", "deployed"),
    ]
    # The default executor acts only on the store: the execution is one transaction, whose
    # events are delivered after it commits, with the deployment deployed.
    statuses.clear()
    d = engine.request_deployment(P, request("development", tag="1.1.0"), DAVE)
    engine.execute(P, d.id, DAVE)
    assert statuses == [
        ("deployment.requested", "approved"),
        ("deployment.approved", "approved"),
        ("deployment.deploying", "deployed"),
        ("deployment.deployed", "deployed"),
        ("deployment.superseded", "superseded"),  # the first one, replaced
    ]


@pytest.mark.parametrize("exc", [ValueError("subscriber bug"), KeyboardInterrupt("stop"), SystemExit(3)])
def test_a_raising_subscriber_never_breaks_the_command(engine: Engine, monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    got: list[str] = []

    def broken(e: Event) -> None:
        raise exc

    engine.subscribe("broken", broken)
    engine.subscribe("sink", lambda e: got.append(e.kind))
    d = ship(engine)
    assert d.status is DeploymentStatus.DEPLOYED
    assert got == DEPLOY_KINDS, "later subscribers still receive every event"
    assert len(reported) == len(got)
    assert all(r.exc_type is type(exc) and r.exc_value is not None for r in reported)
    assert "'broken'" in repr(reported[0].object)


def test_a_raising_subscriber_is_reported_on_stderr_without_a_panic() -> None:
    # The default sys.unraisablehook prints "Exception ignored in: <subscriber>" and the
    # traceback; no Rust panic message, and the process goes on.
    script = """
import deploygov
with deploygov.Engine.in_memory() as e:
    def broken(event):
        raise ValueError("subscriber bug")
    e.subscribe("broken", broken)
    e.create_project("p", "t", "P", deploygov.Actor("root", ("admin",)))
    print(e.get_project("p").id, len(e.events_after()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "p 1"
    assert "Exception ignored in: <deploygov subscriber 'broken'" in done.stderr
    assert "ValueError: subscriber bug" in done.stderr
    assert "panic" not in done.stderr.lower()


def test_unsubscribe_and_replace(engine: Engine) -> None:
    got: list[str] = []
    engine.subscribe("s", lambda e: got.append("first"))
    engine.subscribe("s", lambda e: got.append("second"))  # replaces
    engine.set_health(P, "staging", "degraded", ROOT)
    assert got == ["second"]
    assert engine.unsubscribe("s") is True
    assert engine.unsubscribe("s") is False
    engine.set_health(P, "staging", "healthy", ROOT)
    assert got == ["second"], "no delivery after unsubscribe"
    assert all_events(engine)[-1].kind == "environment.health_changed"


def test_subscribe_bad_input(engine: Engine) -> None:
    with pytest.raises(InvalidInputError):
        engine.subscribe("", lambda e: None)
    with pytest.raises(TypeError):
        engine.subscribe("s", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.subscribe(None, lambda e: None)  # type: ignore[arg-type]
    engine.close()
    for call in (lambda: engine.subscribe("s", print), lambda: engine.unsubscribe("s"), lambda: engine.events_after()):
        with pytest.raises(ValueError, match="closed"):
            call()
