"""The rehearsal of a stack with two functions (prod: the api, with a URL, and the worker, on a schedule): the tests
run once, the images are built and scanned side by side and an unchanged one is kept, one `pulumi up` deploys every
digest, each function's canary is its own, a new function is delivered by the pipeline, and the opt-in rollback of
the whole Deploy stage."""

import pytest

from offline.rehearsal.canary import calls_in_minute, shares
from offline.rehearsal.scenarios import SCENARIOS
from tests.offline.rehearsed import calls, events
from tests.offline.rehearsed import played  # noqa: F401 (the fixture)

PREFIX = "lambdakit-prod"
API, WORKER = f"{PREFIX}-api", f"{PREFIX}-worker"


def _alias(run, function_name: str) -> dict:
    return next(r.outputs for r in run.cloud._resources_of("aws:lambda/alias:Alias")
                if r.outputs["functionName"] == function_name)


def test_the_tests_run_once_and_the_images_side_by_side_after_them(played):
    run = played("clean-release")
    tested = events(run, "Build", "Test:")
    pushed = events(run, "Build", "Image-")
    assert len(tested) == 1 and tested[0].principal == f"role/{PREFIX}-test"
    assert sorted(e.what.split(":")[0] for e in pushed) == ["Image-api", "Image-worker"]
    assert {e.minute for e in pushed} == {tested[0].minute + 2}  # both as the Build stage ends
    assert run.executions[-1].pushed == ["api", "worker"]


def test_each_image_is_scanned_side_by_side_and_deployed_as_judged(played):
    run = played("clean-release")
    passed = events(run, "Scan", "Scan-")
    assert {e.what for e in passed if e.what.endswith("PASS")} == {"Scan-api: PASS", "Scan-worker: PASS"}
    assert len({e.minute for e in passed if e.what.endswith("PASS")}) == 1
    last = run.executions[-1]
    for name, function_name in (("api", API), ("worker", WORKER)):
        image = next(r.outputs["imageUri"] for r in run.cloud._resources_of("aws:lambda/function:Function")
                     if r.outputs["name"] == function_name)
        assert image.endswith("@" + last.digests[name])
    assert len(events(run, "Deploy", "pulumi up done")) == 1  # one `up` for both


def test_each_canary_runs_side_by_side_with_its_own_share_and_length(played):
    """prod's api: 10% for 10 minutes; its worker, at one run in five minutes: half of its runs for 30 minutes."""
    run = played("clean-release")
    started = {e.what.split(" version")[0]: (e.minute, e.what) for e in events(run, "Canary", PREFIX)
               if "% of live" in e.what}
    assert set(started) == {API, WORKER}
    assert started[API][0] == started[WORKER][0]
    for function in run.settings.functions:
        minute, what = started[function.function_name]
        assert f"takes {function.pipeline_canary_percent}% of live" in what
        canary = run.executions[-1].canaries[function.function_name]
        assert (canary.released, canary.canary_end) == (True, minute + function.pipeline_canary_minutes)
    assert {f.name: (f.pipeline_canary_percent, f.pipeline_canary_minutes) for f in run.settings.functions} == {
        "api": (10, 10), "worker": (50, 30)}


def test_one_functions_rollback_leaves_the_others_release_standing(played):
    """The api's alarms fire 4 minutes in and CodeDeploy rolls the api back; the worker's canary, which watches only
    the worker's alarms, runs to its end and releases; the execution fails, naming the api's action only."""
    run = played("one-of-two-fails")
    last = run.executions[-1]
    api, worker = last.canaries[API], last.canaries[WORKER]
    assert api.rolled_back and not worker.rolled_back and worker.released
    assert set(api.alarms_fired) == {f"{API}-error-rate", f"{API}-url-5xx-rate"} and worker.alarms_fired == {}
    assert min(api.alarms_fired.values()) < worker.canary_end
    assert (_alias(run, API)["functionVersion"], _alias(run, WORKER)["functionVersion"]) == ("1", "2")
    assert last.reason == "Canary: Canary-api: rolled back: an alarm fired"
    rolled_back_api = [e for e in calls(run, "Canary", "lambda:UpdateAlias") if API in e.what]
    assert {e.principal for e in rolled_back_api} == {f"role/{PREFIX}-api-codedeploy"}


def test_a_scheduled_functions_failed_run_rolls_it_back_alone(played):
    """At one run in five minutes no rate can judge the worker: its failed-runs alarm fires on the first failed run
    of the new version, well inside its 30-minute canary, and only the worker is rolled back."""
    run = played("failing-scheduled-version")
    last = run.executions[-1]
    worker, api = last.canaries[WORKER], last.canaries[API]
    assert list(worker.alarms_fired) == [f"{WORKER}-failed-runs"] and worker.rolled_back
    assert worker.alarms_fired[f"{WORKER}-failed-runs"] < worker.canary_end - 20
    assert api.released and api.alarms_fired == {}
    assert (_alias(run, API)["functionVersion"], _alias(run, WORKER)["functionVersion"]) == ("2", "1")


def test_an_unchanged_image_is_kept_with_its_digest_and_nothing_of_it_is_released(played):
    run = played("one-function-changes")
    last = run.executions[-1]
    assert last.pushed == ["worker"]
    [kept] = events(run, "Build", "Image-api")
    assert "already pushed; not built again" in kept.what and kept.by == last.digests["api"]
    assert run.images_before[API].endswith("@" + last.digests["api"])
    assert last.unchanged == [API] and set(last.canaries) == {WORKER}
    assert calls(run, "Canary", "codedeploy:CreateDeployment")[0].what.endswith(f"deploymentgroup:{WORKER}/live")


@pytest.mark.parametrize("action, resource", [
    ("scheduler:CreateSchedule", f"schedule/default/{PREFIX}-reports"),
    ("iam:PassRole", f"role/{PREFIX}-reports-scheduler"),
    ("sqs:CreateQueue", f"{PREFIX}-reports-dlq"),
    ("iam:CreateRole", f"role/{PREFIX}-reports-scheduler"),
    ("lambda:PutFunctionEventInvokeConfig", f"function:{PREFIX}-reports:live"),
    ("ecr:PutImage", f"repository/{PREFIX}-reports"),  # its first image, pushed inside the deploy role's `up`
    ("codedeploy:CreateDeploymentGroup", f"deploymentgroup:{PREFIX}-reports/live"),
])
def test_the_deploy_role_creates_a_new_scheduled_function_whole(played, action, resource):
    run = played("new-function")
    made = [e for e in calls(run, "Deploy", action) if e.what.endswith(resource)]
    assert made and {(e.principal, e.outcome) for e in made} == {(f"role/{PREFIX}-deploy", "allowed")}


def test_a_new_function_joins_the_pipeline_on_the_run_its_definition_restarts(played):
    run = played("new-function")
    first, second = run.executions
    assert (first.status, second.status) == ("Cancelled", "Succeeded")
    assert sorted(first.digests) == ["api", "worker"] and sorted(second.digests) == ["api", "reports", "worker"]
    assert [e.what.split(":")[0] for e in events(run, "Build", "Image-reports")] == ["Image-reports"]
    assert second.pushed == []  # the first run's `up` pushed the new image; its tag is kept
    assert f"{PREFIX}-reports" in second.unchanged  # its first version went live with its alias


def test_opted_in_a_failed_deploy_stage_rolls_every_function_back(played):
    run = played("rollback-together")
    assert [(e.kind, e.status) for e in run.executions] == [
        ("STANDARD", "Succeeded"), ("STANDARD", "Failed"), ("ROLLBACK", "Succeeded")]
    first, failed, rollback = run.executions
    assert failed.canaries[WORKER].released  # the worker's release stood, until the rollback
    assert rollback.digests == {} and rollback.versions == {API: "4", WORKER: "4"}
    assert {name: c.released for name, c in rollback.canaries.items()} == {API: True, WORKER: True}
    [told] = events(run, "Deploy", "the Deploy stage rolls back to an earlier execution")
    assert told.by == f"its source and its variables: api={first.digests['api']} worker={first.digests['worker']}"


def test_without_the_opt_in_a_failed_deploy_stage_is_not_rolled_back(played):
    assert [e.kind for e in played("one-of-two-fails").executions] == ["STANDARD"]
    assert SCENARIOS["rollback-together"].standing and not SCENARIOS["one-of-two-fails"].standing


def test_a_schedule_every_five_minutes_calls_once_in_every_fifth_minute():
    assert [calls_in_minute(0.2, minute) for minute in range(10)] == [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert [calls_in_minute(23, minute) for minute in range(3)] == [23, 23, 23]
    # The one call of a quiet minute goes to the new version at a 50% canary; 2.3 of 23 calls at 10% are 2.
    assert shares(1, 50, 100) == (1, 1) and shares(23, 10, 50) == (2, 1) and shares(1, 10, 0) == (0, 0)
