"""The PostgreSQL store through the Python face: ``Engine.open`` takes a ``postgres://`` URL.
Runs when ``DEPLOYGOV_TEST_POSTGRES_URL`` is set (scripts/postgres.sh starts a throwaway server)."""

from __future__ import annotations

import os
import uuid

import pytest

from deploygov import Actor, DeploymentRequest, Engine, ItemSpec, StorageError, VersionSpec

PG_URL = os.environ.get("DEPLOYGOV_TEST_POSTGRES_URL", "")


@pytest.mark.skipif(not PG_URL, reason="DEPLOYGOV_TEST_POSTGRES_URL is not set (scripts/postgres.sh starts a server)")
def test_engine_open_takes_a_postgres_url() -> None:
    # A schema of its own (created on open), so no other test's project `japm` is seen.
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3Dpy_{uuid.uuid4().hex}"
    alice = Actor("alice", ("admin",))
    with Engine.open(url) as e:
        e.create_project("japm", "acme", "JAPM", alice)
        e.create_environment("japm", "development", alice)
        e.register_version("japm", VersionSpec("prompt_version", "chatbot", "1.0.0"), alice)
        items = (ItemSpec("prompt_version", "chatbot", "1.0.0"),)
        d = e.request_deployment("japm", DeploymentRequest("development", "pg", items), alice)
        assert e.execute("japm", d.id, alice).status == "deployed"
    # A second engine on the same URL (another instance of a service) sees the same state.
    with Engine.open(url) as again:
        live = again.active_version("japm", "development", "prompt_version", "chatbot")
        assert live is not None
        assert (live.version_tag, live.deployment_id) == ("1.0.0", d.id)
        assert again.verify_audit().entries > 5
    # An unreachable server is a storage error, not a SQLite file named like the URL.
    with pytest.raises(StorageError):
        Engine.open("postgres://nobody@127.0.0.1:1/none")
