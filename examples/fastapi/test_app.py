"""The JAPM API example, tested for real: FastAPI's TestClient against the app on a SQLite file.
The whole JAPM workflow (including a refused self-approval and the event outbox), error statuses
with codes and findings, promotion, an executor failure, concurrent requests on the shared Engine, a
freeze override, an automatic rollback on a health report and the compliance report (JSON and CSV)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
from app import LiveVersions, create_app, seed
from fastapi.testclient import TestClient

import deploygov
from deploygov import Activation, Engine

P = "my-project"
BASE = f"/api/projects/{P}"


def who(actor: str, *roles: str) -> dict[str, str]:
    """The stand-in authentication headers."""
    return {"X-Actor-Id": actor, "X-Actor-Roles": ",".join(roles)}


ALICE, BOB, CAROL = who("alice", "admin"), who("bob", "admin"), who("carol", "tenant_admin")
DAVE = who("dave", "developer")


def item(entity_id: str, tag: str, kind: str = "PROMPT_VERSION", risk: str = "LOW") -> dict[str, Any]:
    return {"entityType": kind, "entityId": entity_id, "versionTag": tag, "changeMessage": f"{entity_id} {tag}", "riskLevel": risk}


def create(client: TestClient, headers: dict[str, str], env: str, *items: dict[str, Any], name: str = "release") -> Any:
    return client.post(f"{BASE}/deployments", headers=headers, json={"name": name, "environmentId": env, "items": list(items)})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "japm.db"
    with Engine.open(path) as engine:
        seed(engine)
        for n in range(8):
            engine.register_version(P, deploygov.VersionSpec("prompt_version", f"prompt-{n}", "1.0.0"), deploygov.Actor("ci", ("admin",)))
    return path


@pytest.fixture
def live() -> LiveVersions:
    return LiveVersions()


@pytest.fixture
def client(db: Path, live: LiveVersions) -> Iterator[TestClient]:
    with TestClient(create_app(Engine.open(db), live)) as c:
        yield c


def test_japm_flow(client: TestClient, live: LiveVersions, db: Path) -> None:
    r = create(
        client,
        ALICE,
        "production",
        item("chatbot-main-prompt", "2.0.0", risk="MEDIUM"),
        item("response-templates", "2.1.0", kind="PROMPT_ASSET_VERSION"),
        name="deploy-chatbot-v2",
    )
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["status"], first["risk"], first["requested_by"]) == ("pending", "medium", "alice")
    url = f"{BASE}/deployments/{first['id']}"

    # 4-eyes: the requester cannot approve; a developer may not approve production at all.
    r = client.put(f"{url}/approve", headers=ALICE)
    assert r.status_code == 403 and r.json()["error"]["code"] == "self_approval"
    assert "4-eyes" in r.json()["error"]["message"]
    r = client.put(f"{url}/approve", headers=DAVE)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = client.post(f"{url}/deploy", headers=BOB)
    assert r.status_code == 409 and r.json()["error"]["code"] == "policy_violation"

    r = client.put(f"{url}/approve", headers=BOB, json={"comment": "looks good"})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    r = client.put(f"{url}/approve", headers=CAROL)
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert [a["actor_id"] for a in r.json()["approvals"]] == ["bob", "carol"]

    r = client.post(f"{url}/deploy", headers=BOB)
    assert r.status_code == 200 and r.json()["status"] == "deployed"
    assert live.live == {
        ("production", "prompt_version", "chatbot-main-prompt"): "2.0.0",
        ("production", "prompt_asset_version", "response-templates"): "2.1.0",
    }
    r = client.post(f"{url}/deploy", headers=BOB)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"

    r = client.get(f"{BASE}/environments/production/active")
    assert r.status_code == 200
    live_now = sorted((a["entity_id"], a["version_tag"]) for a in r.json())
    assert live_now == [("chatbot-main-prompt", "2.0.0"), ("response-templates", "2.1.0")]

    # A second release replaces the prompt; then it is rolled back to the first.
    second = create(client, ALICE, "production", item("chatbot-main-prompt", "2.1.0"), name="deploy-chatbot-v2.1").json()
    for approver in (BOB, CAROL):
        assert client.put(f"{BASE}/deployments/{second['id']}/approve", headers=approver).status_code == 200
    assert client.post(f"{BASE}/deployments/{second['id']}/deploy", headers=CAROL).json()["status"] == "deployed"
    assert live.live[("production", "prompt_version", "chatbot-main-prompt")] == "2.1.0"

    r = client.get(f"{BASE}/deployments", params={"environmentId": "production", "status": "DEPLOYED"})
    assert r.status_code == 200 and [d["id"] for d in r.json()["items"]] == [second["id"], first["id"]]

    r = client.post(f"{BASE}/deployments/{second['id']}/rollback", headers=BOB, json={"rollbackToDeploymentId": first["id"]})
    assert r.status_code == 200, r.text
    rollback = r.json()
    assert (rollback["kind"], rollback["status"], rollback["rollback_of"], rollback["rollback_to"]) == (
        "rollback",
        "deployed",
        second["id"],
        first["id"],
    )
    assert rollback["description"] == "rollback requested through the API by bob"
    assert live.live[("production", "prompt_version", "chatbot-main-prompt")] == "2.0.0"
    assert client.get(f"{BASE}/deployments/{second['id']}").json()["status"] == "rolled_back"
    r = client.get(f"{BASE}/deployments", params={"status": "ROLLED_BACK"})
    assert [d["id"] for d in r.json()["items"]] == [second["id"]]

    # The outbox lists every change in order; the cursor pages through it.
    r = client.get(f"{BASE}/events", params={"limit": 1000})
    assert r.status_code == 200
    everything = r.json()["items"]
    # The refused self-approval, forbidden approval and early deploy wrote nothing.
    assert [e["kind"] for e in everything if e["object_id"] == first["id"]] == [
        "deployment.requested",
        "deployment.approval_granted",
        "deployment.approval_granted",
        "deployment.approved",
        "deployment.deploying",
        "deployment.deployed",
    ]
    assert [(e["kind"], e["object_id"]) for e in everything[-2:]] == [
        ("deployment.deployed", rollback["id"]),
        ("deployment.rolled_back", second["id"]),
    ]
    paged, cursor = [], 0
    while True:
        page = client.get(f"{BASE}/events", params={"afterSeq": cursor, "limit": 7}).json()
        if not page["items"]:
            assert page["next_cursor"] == cursor
            break
        paged += page["items"]
        cursor = page["next_cursor"]
    assert paged == everything
    assert client.get(f"{BASE}/events", params={"limit": 0}).status_code == 422  # the core's bounds, in the API schema
    assert client.get(f"{BASE}/events", params={"afterSeq": -1}).status_code == 422
    assert client.get("/api/projects/elsewhere/events").json() == {"items": [], "next_cursor": 0}

    # The data is in the SQLite file, and the audit chain verifies.
    with Engine.open(db) as other:
        assert other.get_deployment(P, first["id"]).status == "deployed"
        assert other.verify_audit().entries > 10
        actions = [e.action for e in other.audit_log(P, object_id=second["id"])]
        assert "deployment.rolled_back" in actions


def test_error_statuses_and_bodies(client: TestClient) -> None:
    r = client.get(f"{BASE}/deployments/does-not-exist")
    assert r.status_code == 404 and r.json() == {
        "error": {"code": "not_found", "message": "deployment `does-not-exist` does not exist in project `my-project`"}
    }
    r = create(client, ALICE, "production", item("chatbot-main-prompt", "9.9.9"), item("chatbot-main-prompt", "2.0.0"))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert sorted(f["code"] for f in error["findings"]) == ["duplicate_item", "unknown_version"]
    assert error["findings"][0]["severity"] == "error"
    r = create(client, DAVE, "production", item("chatbot-main-prompt", "2.0.0"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = create(client, ALICE, "nowhere", item("chatbot-main-prompt", "2.0.0"))
    assert r.status_code == 404
    r = create(client, ALICE, "production", item("chatbot-main-prompt", "2.0.0", risk="EXTREME"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    r = client.get(f"{BASE}/deployments", params={"status": "DONE"})
    assert r.status_code == 400 and "unknown" in r.json()["error"]["message"]
    r = client.get(f"{BASE}/deployments", params={"limit": 0})
    assert r.status_code == 400
    r = client.post(f"{BASE}/deployments", json={"name": "x", "environmentId": "production", "items": []})
    assert r.status_code == 401 and r.json()["detail"]["code"] == "unauthenticated"
    r = client.post(f"{BASE}/deployments", headers=ALICE, json={"name": "x"})
    assert r.status_code == 422  # FastAPI's own body validation
    d = create(client, DAVE, "development", item("chatbot-main-prompt", "2.0.0")).json()
    assert d["status"] == "approved"  # development needs no approval
    r = client.put(f"{BASE}/deployments/{d['id']}/approve", headers=BOB)
    assert r.status_code == 409 and r.json()["error"]["code"] == "policy_violation"
    client.post(f"{BASE}/deployments/{d['id']}/deploy", headers=DAVE)
    r = client.post(f"{BASE}/deployments/{d['id']}/rollback", headers=DAVE)
    assert r.status_code == 404 and "no earlier deployment" in r.json()["error"]["message"]
    r = client.get(f"{BASE}/environments/nowhere/active")
    assert r.status_code == 404


def test_promotion(client: TestClient, live: LiveVersions) -> None:
    staged = create(client, DAVE, "staging", item("chatbot-main-prompt", "2.1.0"), name="chatbot-2.1").json()
    url = f"{BASE}/deployments/{staged['id']}"
    r = client.post(f"{url}/promote", headers=ALICE, json={"environmentId": "production"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"  # not live yet
    assert client.put(f"{url}/approve", headers=BOB).json()["status"] == "approved"
    assert client.post(f"{url}/deploy", headers=DAVE).json()["status"] == "deployed"
    r = client.post(f"{url}/promote", headers=DAVE, json={"environmentId": "production"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"  # production's request roles
    r = client.post(f"{url}/promote", headers=ALICE, json={"environmentId": "staging"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_input"
    assert client.post(f"{url}/promote", headers=ALICE, json={"environmentId": "nowhere"}).status_code == 404
    assert client.post(f"{url}/promote", headers=ALICE, json={}).status_code == 422  # FastAPI's body validation

    r = client.post(f"{url}/promote", headers=ALICE, json={"environmentId": "production"})
    assert r.status_code == 201, r.text
    promoted = r.json()
    assert (promoted["kind"], promoted["status"], promoted["promoted_from"], promoted["environment"]) == (
        "promotion",
        "pending",
        staged["id"],
        "production",
    )
    assert [(i["entity_id"], i["version_tag"]) for i in promoted["items"]] == [("chatbot-main-prompt", "2.1.0")]
    purl = f"{BASE}/deployments/{promoted['id']}"
    assert client.put(f"{purl}/approve", headers=ALICE).json()["error"]["code"] == "self_approval"
    for approver in (BOB, CAROL):
        assert client.put(f"{purl}/approve", headers=approver).status_code == 200
    assert client.post(f"{purl}/deploy", headers=BOB).json()["status"] == "deployed"
    assert live.live[("production", "prompt_version", "chatbot-main-prompt")] == "2.1.0"


def test_executor_failure_is_a_failed_deployment(db: Path) -> None:
    def flaky(a: Activation) -> None:
        if a.entity_id == "response-templates" and not a.revert:
            raise RuntimeError("asset cache unreachable")

    with TestClient(create_app(Engine.open(db), flaky)) as client:
        items = (item("chatbot-main-prompt", "2.0.0"), item("response-templates", "2.1.0", kind="PROMPT_ASSET_VERSION"))
        d = create(client, DAVE, "development", *items).json()
        r = client.post(f"{BASE}/deployments/{d['id']}/deploy", headers=DAVE)
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "failed"
        assert [(i["status"], i["error_message"]) for i in body["items"]] == [("reverted", None), ("failed", "asset cache unreachable")]
        assert client.get(f"{BASE}/environments/development/active").json() == []


def test_concurrent_requests(client: TestClient, live: LiveVersions) -> None:
    def release(n: int) -> tuple[int, int, str]:
        created = create(client, who(f"dev-{n}", "developer"), "staging", item(f"prompt-{n}", "1.0.0"), name=f"release-{n}")
        approved = client.put(f"{BASE}/deployments/{created.json()['id']}/approve", headers=who(f"lead-{n}", "lead"))
        listed = client.get(f"{BASE}/deployments", params={"environmentId": "staging"})
        assert listed.status_code == 200
        return created.status_code, approved.status_code, approved.json()["status"]

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(release, range(8))) == [(201, 200, "approved")] * 8

    # Eight identical approvals at once: one wins, the others are conflicts.
    d = create(client, ALICE, "production", item("chatbot-main-prompt", "2.0.0")).json()
    url = f"{BASE}/deployments/{d['id']}"
    barrier = Barrier(8)

    def approve_as_bob(_: int) -> int:
        barrier.wait()
        return int(client.put(f"{url}/approve", headers=BOB).status_code)

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(approve_as_bob, range(8))) == [200] + [409] * 7
    assert client.put(f"{url}/approve", headers=CAROL).json()["status"] == "approved"

    # Eight deploys of the same deployment at once: it goes live exactly once.
    def deploy(_: int) -> int:
        barrier.wait()
        return int(client.post(f"{url}/deploy", headers=BOB).status_code)

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(deploy, range(8))) == [200] + [409] * 7
    assert live.live[("production", "prompt_version", "chatbot-main-prompt")] == "2.0.0"

    with ThreadPoolExecutor(8) as pool:
        reads = list(pool.map(lambda _: client.get(f"{BASE}/environments/production/active").json(), range(32)))
    assert all(r == reads[0] and len(r) == 1 for r in reads)
    page = client.get(f"{BASE}/deployments", params={"environmentId": "staging", "status": "APPROVED"}).json()
    assert len(page["items"]) == 8


def test_freeze_override_health_rollback_and_compliance_report(client: TestClient, live: LiveVersions, db: Path) -> None:
    with Engine.open(db) as engine:
        now = datetime.now(timezone.utc)
        window = deploygov.OneOffSchedule(now - timedelta(hours=1), now + timedelta(hours=1))
        engine.add_freeze(P, deploygov.FreezeSpec("launch", window, environment="staging"), deploygov.Actor("ops", ("admin",)))
    first = create(client, DAVE, "staging", item("chatbot-main-prompt", "2.0.0"), name="v2.0").json()
    url = f"{BASE}/deployments/{first['id']}"
    r = client.put(f"{url}/approve", headers=BOB)
    assert r.status_code == 422 and [f["code"] for f in r.json()["error"]["findings"]] == ["environment_frozen"]
    assert client.put(f"{url}/approve", headers=BOB, json={"freezeOverrideReason": "hotfix"}).json()["status"] == "approved"
    assert client.post(f"{url}/deploy", headers=DAVE).status_code == 422  # still frozen
    assert client.post(f"{url}/deploy", headers=ALICE, json={"freezeOverrideReason": "hotfix"}).json()["status"] == "deployed"

    second = create(client, DAVE, "staging", item("chatbot-main-prompt", "2.1.0"), name="v2.1").json()
    surl = f"{BASE}/deployments/{second['id']}"
    client.put(f"{surl}/approve", headers=BOB, json={"freezeOverrideReason": "hotfix"})
    client.post(f"{surl}/deploy", headers=ALICE, json={"freezeOverrideReason": "hotfix"})
    r = client.post(f"{surl}/health", headers=who("monitor"), json={"ok": True, "errorRate": 0.5})
    assert r.status_code == 200, r.text
    assert r.json()["health"] == "down" and r.json()["rollback"]["status"] == "deployed"
    assert live.live[("staging", "prompt_version", "chatbot-main-prompt")] == "2.0.0"
    assert client.post(f"{surl}/health", headers=who("monitor"), json={"ok": True, "errorRate": 2}).status_code == 400

    span = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(days=1)).isoformat(), "environmentId": "staging"}
    report = client.get(f"{BASE}/reports/compliance", params=span).json()
    assert [e["deployment_id"] for e in report["entries"]][:2] == [first["id"], second["id"]]
    r = client.get(f"{BASE}/reports/compliance", params=span | {"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("deployment_id,environment,")
    assert client.get(f"{BASE}/reports/compliance", params=span | {"from": "2026-01-01T00:00:00"}).status_code == 422  # naive
