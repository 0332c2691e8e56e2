"""The nightly re-plan over HTTP: warm start from a previous job or an inline plan, and the
plan diff of two jobs (same tenant only), against a real server."""

from __future__ import annotations

from typing import Any

import httpx
from api_server import Server, new_key, wait_for

from aftersales.optimizer.diff import COUNT_KEYS, PlanDiff
from aftersales.optimizer.nightly.roll import roll_scenario
from aftersales.optimizer.schema import Plan, Scenario
from aftersales.optimizer.validate import validate

OPTIONS = {"time_limit_seconds": 5}


def _post(client: httpx.Client, scenario: dict[str, Any], **extra: Any) -> httpx.Response:
    return client.post("/v1/jobs", json={"scenario": scenario, "options": OPTIONS, **extra})


def _succeeded(client: httpx.Client, job_id: str) -> dict[str, Any]:
    job = wait_for(client, job_id, timeout=120)
    assert job["status"] == "succeeded", job["error"]
    return job


def _routing_message(plan: Plan) -> str:
    return next(layer.message for layer in plan.layers if layer.layer == "routing")


def test_next_night_warm_from_previous_job_and_diff(
    server: Server, client: httpx.Client, s_scenario: dict[str, Any]
) -> None:
    """Last night's job → roll → tonight's job with previous_job_id (and one with the plan
    inline): both warm-started, valid plans of the new horizon; the diff compares them."""
    first = _succeeded(client, _post(client, s_scenario).json()["id"])
    assert first["previous"] == {"id": None, "inline": False}  # a cold solve
    assert "assignments moved" not in _routing_message(Plan.model_validate(first["plan"]))
    rolled = roll_scenario(
        Scenario.model_validate(s_scenario), Plan.model_validate(first["plan"]), 1
    )
    tonight = rolled.model_dump(mode="json")
    by_id = _post(client, tonight, previous_job_id=first["id"])
    inline = _post(client, tonight, previous_plan=first["plan"])
    assert by_id.status_code == inline.status_code == 202, (by_id.text, inline.text)
    for response, previous in ((by_id, (first["id"], False)), (inline, (None, True))):
        job = _succeeded(client, response.json()["id"])
        assert (job["previous"]["id"], job["previous"]["inline"]) == previous
        plan = Plan.model_validate(job["plan"])
        assert plan.horizon_start_day == 1
        assert "assignments moved" in _routing_message(plan)  # the routing layer used it
        report = validate(rolled, plan)
        assert report.ok, report.violations[:5]

    diff = client.get(f"/v1/jobs/{by_id.json()['id']}/diff", params={"against": first["id"]})
    assert diff.status_code == 200, diff.text
    found = PlanDiff.model_validate(diff.json())
    assert (found.old_horizon_start_day, found.new_horizon_start_day) == (0, 1)
    assert list(found.counts()) == list(COUNT_KEYS)
    same = client.get(f"/v1/jobs/{first['id']}/diff", params={"against": first["id"]}).json()
    assert set(PlanDiff.model_validate(same).counts().values()) == {0}


def test_previous_plan_errors(client: httpx.Client, s_scenario: dict[str, Any]) -> None:
    """Both a job id and an inline plan: 422; an unknown job: 422; a job without a plan yet:
    409 (as is a diff against it), with the ErrorPublic body."""
    both = _post(client, s_scenario, previous_job_id="x", previous_plan={"status": "feasible"})
    assert both.status_code == 422
    assert [e["pointer"] for e in both.json()["errors"]] == ["/previous_plan"]
    unknown = _post(client, s_scenario, previous_job_id="no-such-job")
    assert unknown.status_code == 422
    assert [e["pointer"] for e in unknown.json()["errors"]] == ["/previous_job_id"]
    running = _post(client, s_scenario).json()["id"]
    early = _post(client, s_scenario, previous_job_id=running)
    assert early.status_code == 409, early.text
    assert "no plan" in early.json()["detail"]
    no_plan = client.get(f"/v1/jobs/{running}/diff", params={"against": running})
    assert no_plan.status_code == 409
    assert "no plan" in no_plan.json()["detail"]
    wait_for(client, running, timeout=120)


def test_freeze_without_a_previous_plan_is_refused_at_submit(
    client: httpx.Client, s_scenario: dict[str, Any]
) -> None:
    """Options that keep parts of a previous plan, with none named: 422 at submission (not a
    job that fails in the worker), pointing at the option."""
    frozen = {"scenario": s_scenario, "options": OPTIONS | {"freeze": ["network"]}}
    refused = client.post("/v1/jobs", json=frozen)
    assert refused.status_code == 422, refused.text
    assert [e["pointer"] for e in refused.json()["errors"]] == ["/options/freeze"]
    assert "previous_job_id" in refused.json()["errors"][0]["message"]
    pinned = {"scenario": s_scenario, "options": OPTIONS | {"freeze_before_minute": 600}}
    refused = client.post("/v1/jobs", json=pinned)
    assert [e["pointer"] for e in refused.json()["errors"]] == ["/options/freeze_before_minute"]


def test_diff_and_previous_job_stay_inside_the_tenant(
    server: Server, client: httpx.Client, scenario_data: dict[str, Any]
) -> None:
    """Another tenant gets 404 for a diff naming our job on either side and 422 (as for an
    unknown id) when it names our job as its previous one (the minimal scenario: quick jobs)."""
    ours = _succeeded(client, _post(client, scenario_data).json()["id"])["id"]
    with server.client(new_key(server.db_url, "outsider")) as other:
        theirs = _succeeded(other, _post(other, scenario_data).json()["id"])["id"]
        for job_id, against in ((ours, ours), (theirs, ours), (ours, theirs)):
            answer = other.get(f"/v1/jobs/{job_id}/diff", params={"against": against})
            assert answer.status_code == 404, (job_id, against)
        assert other.get(f"/v1/jobs/{theirs}/diff", params={"against": theirs}).status_code == 200
        stolen = _post(other, scenario_data, previous_job_id=ours)
        unknown = _post(other, scenario_data, previous_job_id="no-such-job")
        assert stolen.status_code == unknown.status_code == 422
        assert stolen.json()["errors"][0]["message"].replace(ours, "ID") == unknown.json()[
            "errors"
        ][0]["message"].replace("no-such-job", "ID")
