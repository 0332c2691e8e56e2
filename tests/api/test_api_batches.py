"""Batches on the local solver pool: priority ahead of single jobs, cancel, limits, tenants."""

from __future__ import annotations

from typing import Any

from api_server import new_key, wait_for

WALL_CLOCK = {"deterministic": False}


def _batch(client: Any, items: list[dict], **extra: Any) -> dict[str, Any]:
    answer = client.post("/v1/batches", json={"items": items, **extra})
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_high_priority_batch_item_starts_before_older_jobs(
    server_factory: Any, s_scenario: dict, m_scenario: dict
) -> None:
    """With the one solver busy, a priority-9 batch submitted after two ordinary jobs is
    claimed first when the solver frees."""
    server = server_factory(workers=1, env={"AFTERSALES_TENANT_MAX_RUNNING": "1"})
    small = {"scenario": s_scenario, "options": {"time_limit_seconds": 1, **WALL_CLOCK}}
    with server.client() as client:
        body = {"scenario": m_scenario, "options": {"time_limit_seconds": 60, **WALL_CLOCK}}
        blocker = client.post("/v1/jobs", json=body).json()["id"]
        wait_for(client, blocker, ("running",), timeout=60)
        older = [client.post("/v1/jobs", json=small).json()["id"] for _ in range(2)]
        batch = _batch(client, [small], priority=9)
        client.delete(f"/v1/jobs/{blocker}")
        jobs = {i: wait_for(client, i, timeout=120) for i in [*older, *batch["job_ids"]]}
        assert {j["status"] for j in jobs.values()} == {"succeeded"}
        first = jobs[batch["job_ids"][0]]["started_at"]
        assert all(first < jobs[i]["started_at"] for i in older), jobs


def test_cancel_batch_ends_every_item_and_is_tenant_scoped(
    server_factory: Any, m_scenario: dict
) -> None:
    """Cancel ends queued and running items (the running solve within 2 s); another tenant
    gets 404; a batch over the item limit is refused with 422."""
    server = server_factory(workers=1, env={"AFTERSALES_MAX_BATCH_ITEMS": "3"})
    item = {"scenario": m_scenario, "options": {"time_limit_seconds": 60, **WALL_CLOCK}}
    with server.client() as client:
        too_many = client.post("/v1/batches", json={"items": [item] * 4})
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["pointer"] == "/items"
        batch = _batch(client, [item] * 3)
        wait_for(client, batch["job_ids"][0], ("running",), timeout=60)
        with server.client(new_key(server.db_url, "outsider")) as other:
            assert other.get(f"/v1/batches/{batch['id']}").status_code == 404
            assert other.delete(f"/v1/batches/{batch['id']}").status_code == 404
        answer = client.delete(f"/v1/batches/{batch['id']}")
        assert answer.status_code == 200
        assert answer.json()["status"] == "ended", answer.json()["counts"]
        view = client.get(f"/v1/batches/{batch['id']}").json()
        assert view["counts"]["cancelled"] == 3
        assert [i["status"] for i in view["items"]] == ["cancelled"] * 3
        assert view["finished_at"] is not None
        again = client.delete(f"/v1/batches/{batch['id']}")
        assert again.status_code == 200
        assert again.json()["counts"]["cancelled"] == 3
