"""The worker's handler, called in-process with events shaped as EventBridge Scheduler delivers them."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from components.scheduled_trigger import SCHEDULER_INPUT
from tests.functions.worker.conftest import SCHEDULED_EVENT, in_an_hour, scheduled_event

# AWS's own example values of the context attributes (managing-schedule-context-attributes.html).
DOCUMENTED = {"<aws.scheduler.scheduled-time>": "2022-03-22T18:59:43Z",
              "<aws.scheduler.execution-id>": "d32c5kddcf5bb8c3", "<aws.scheduler.attempt-number>": "1",
              "<aws.scheduler.schedule-arn>": SCHEDULED_EVENT["scheduleArn"]}


def test_the_sample_is_the_schedules_input_as_scheduler_fills_it():
    # A Lambda target's input must be JSON before Scheduler fills it in; then every keyword is replaced by its value.
    text = json.dumps(SCHEDULER_INPUT)
    for keyword, value in DOCUMENTED.items():
        text = text.replace(keyword, value)
    assert json.loads(text) == SCHEDULED_EVENT


def test_a_run_closes_the_period_that_ended_at_its_scheduled_time(app, context, log_lines):
    result = app.handler(scheduled_event(), context)
    assert result["status"] == "done"
    assert (result["periodStart"], result["periodEnd"]) == ("2022-03-22T17:59:43+00:00", "2022-03-22T18:59:43+00:00")
    assert result["lateSeconds"] > 0  # that schedule ran in 2022
    [line] = log_lines
    assert (line["level"], line["outcome"], line["runKey"]) == ("INFO", "done", result["runKey"])
    assert (line["executionId"], line["attemptNumber"], line["coldStart"]) == ("d32c5kddcf5bb8c3", 1, True)
    assert line["requestId"] == context.aws_request_id and line["lateSeconds"] == result["lateSeconds"]
    assert json.loads(json.dumps(result)) == result  # what Lambda returns must be JSON


def test_the_period_is_the_functions_setting(load_app, context):
    result = load_app(PERIOD_MINUTES="15").handler(scheduled_event(), context)
    assert result["periodStart"] == "2022-03-22T18:44:43+00:00"


def test_every_delivery_of_a_run_has_its_key_and_no_other_run_does(app, context):
    first = app.handler(scheduled_event(), context)["runKey"]
    retried = app.handler(scheduled_event(executionId="a9f3e0c41b7d2e55", attemptNumber="2"), context)["runKey"]
    next_run = app.handler(scheduled_event(scheduledTime="2022-03-22T19:59:43Z"), context)["runKey"]
    other_schedule = app.handler(scheduled_event(scheduleArn=SCHEDULED_EVENT["scheduleArn"] + "-2"), context)["runKey"]
    assert first == retried and len({first, next_run, other_schedule}) == 3


def test_lateness_is_measured_from_the_scheduled_time(app, context):
    two_minutes_ago = (datetime.now(timezone.utc) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert 119 <= app.handler(scheduled_event(scheduledTime=two_minutes_ago), context)["lateSeconds"] < 125


@pytest.mark.parametrize("event, said", [
    (["not", "an", "object"], "got list"),
    ({"scheduledTime": "2022-03-22T18:59:43Z"}, "missing or not text: scheduleArn, executionId, attemptNumber"),
    (scheduled_event(attemptNumber=1), "missing or not text: attemptNumber"),
    (dict(SCHEDULER_INPUT), "were not filled in"),
    (scheduled_event(scheduledTime="2022-03-22 18:59:43"), "yyyy-mm-ddThh:mm:ssZ"),
    (scheduled_event(scheduledTime="2022-03-22T18:59:43+01:00"), "yyyy-mm-ddThh:mm:ssZ"),
    (scheduled_event(attemptNumber="0"), "attemptNumber is not a positive whole number"),
    (scheduled_event(scheduleArn="arn:aws:events:eu-west-1:123456789012:rule/x"), "not a schedule's ARN"),
])
def test_a_malformed_event_is_answered_not_raised(app, context, log_lines, event, said):
    """No retry can mend it: Lambda must not retry it (it would if the handler raised), and the log says why."""
    result = app.handler(event, context)
    assert result["status"] == "rejected" and said in result["error"]
    [line] = log_lines
    assert (line["level"], line["outcome"], line["retryable"]) == ("ERROR", "rejected", False)


def test_a_period_not_over_on_this_clock_is_raised_for_lambda_to_retry(app, context, log_lines):
    with pytest.raises(app.TransientJobError, match="from now on this clock"):
        app.handler(scheduled_event(scheduledTime=in_an_hour()), context)
    [line] = log_lines
    assert (line["level"], line["outcome"], line["retryable"], line["errorType"]) == (
        "ERROR", "failed", True, "TransientJobError")
    assert line["lateSeconds"] < -3500 and "TransientJobError" in line["exception"]


def test_an_unforeseen_failure_is_raised_too(app, context, log_lines, monkeypatch):
    def broken(*_args):
        raise KeyError("periods")
    monkeypatch.setattr(app, "close_period", broken)
    with pytest.raises(KeyError):
        app.handler(scheduled_event(), context)
    assert [line["errorType"] for line in log_lines] == ["KeyError"]


def test_a_few_seconds_of_clock_skew_are_no_failure(app, context):
    just_ahead = (datetime.now(timezone.utc) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert app.handler(scheduled_event(scheduledTime=just_ahead), context)["status"] == "done"
