"""The `worker` function: a job that EventBridge Scheduler runs on the stack's schedule. No URL, no AWS API call.

Scheduler invokes it asynchronously ("When you set up EventBridge Scheduler with Lambda, EventBridge Scheduler invokes
your Lambda function asynchronously", docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html) with the
input its schedule holds (components/scheduled_trigger.py writes it): Scheduler's context attributes
(docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html), as JSON strings:
    {"scheduleArn": "arn:aws:scheduler:...:schedule/default/<name>", "scheduledTime": "2022-03-22T18:59:43Z",
     "executionId": "d32c5kddcf5bb8c3", "attemptNumber": "1"}

The unit of work: close the period that ended at the scheduled time (the PERIOD_MINUTES before it) and report it
under a run key made of the schedule and the scheduled time. Every delivery of one run, Scheduler's retries and
Lambda's alike, carries the same scheduled time, so the key is the same: whatever the job writes downstream, keyed
on it, is written once however often the run is delivered.

What fails how:
- A malformed event is answered {"status": "rejected", "error": ...} and logged at ERROR, without raising. Only the
  program writes the schedule's input, so a malformed event is a hand-made invoke or a template out of step with this
  handler: retrying cannot mend it. Raising would make Lambda run it twice more (asyncRetryAttempts) and then park
  it in the dead-letter queue, paging someone three minutes later for a message that says the same as this log line
  (the saved query `errors` lists it).
- A transient failure raises: the period has not ended on this clock yet (TransientJobError), or anything the job
  did not foresee. Lambda then retries the event (after about 1 and 2 minutes) and, when the retries are spent or
  the event is older than its maximum age, sends the invocation record to the on-failure destination, whose alarm
  pages.
"""

import hashlib
import json
import logging
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

PERIOD_MINUTES = int(os.environ.get("PERIOD_MINUTES", "60"))
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# Scheduler invokes "between 1:00:00 and 1:00:59" for 1:00 (schedule-types.html): a run that sees its scheduled time
# still ahead by more than this is on a clock that lags, and is retried rather than closing a period not yet over.
CLOCK_SKEW = timedelta(seconds=5)
_FIELDS = ("scheduleArn", "scheduledTime", "executionId", "attemptNumber")


class TransientJobError(Exception):
    """A run that may succeed if delivered again later: raised, so that Lambda's asynchronous retries apply."""


class MalformedEvent(ValueError):
    """An event no delivery can mend: answered, never raised."""


class _JsonLines(logging.Formatter):
    """One JSON object per line; Lambda's level filter knows WARN and FATAL, not WARNING and CRITICAL."""

    def format(self, record: logging.LogRecord) -> str:
        level = {"WARNING": "WARN", "CRITICAL": "FATAL"}.get(record.levelname, record.levelname)
        entry = {"timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(), "level": level,
                 "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


log = logging.getLogger("worker")
log.handlers[:] = [logging.StreamHandler(sys.stdout)]
log.handlers[0].setFormatter(_JsonLines())
log.setLevel(LOG_LEVEL if LOG_LEVEL in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR") else "INFO")
log.propagate = False  # the runtime client's root handler would print each line twice
_cold = True


def scheduled_run(event: Any) -> dict:
    """The four context attributes, checked: the schedule's ARN, the scheduled time (UTC, as Scheduler writes it:
    2022-03-22T18:59:43Z), the execution id and the attempt number (a string of digits, 1 and up)."""
    if not isinstance(event, dict):
        raise MalformedEvent(f"expected a JSON object with {', '.join(_FIELDS)}, got {type(event).__name__}")
    missing = [name for name in _FIELDS if not isinstance(event.get(name), str) or not event[name]]
    if missing:
        raise MalformedEvent(f"missing or not text: {', '.join(missing)}")
    if any(f"<aws.scheduler.{name}>" in event.values() for name in ("schedule-arn", "scheduled-time")):
        raise MalformedEvent("the context attributes were not filled in: the event did not come from Scheduler")
    if not event["scheduleArn"].startswith("arn:") or ":scheduler:" not in event["scheduleArn"]:
        raise MalformedEvent(f"scheduleArn is not a schedule's ARN: {event['scheduleArn']!r}")
    try:
        scheduled = datetime.strptime(event["scheduledTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise MalformedEvent(f"scheduledTime is not yyyy-mm-ddThh:mm:ssZ: {event['scheduledTime']!r}") from None
    if not event["attemptNumber"].isdigit() or int(event["attemptNumber"]) < 1:
        raise MalformedEvent(f"attemptNumber is not a positive whole number: {event['attemptNumber']!r}")
    return {"scheduleArn": event["scheduleArn"], "scheduledTime": scheduled, "executionId": event["executionId"],
            "attemptNumber": int(event["attemptNumber"])}


def run_key(schedule_arn: str, scheduled: datetime) -> str:
    """The same for every delivery of one scheduled run, different for every other run."""
    return hashlib.sha256(f"{schedule_arn}|{scheduled.isoformat()}".encode()).hexdigest()[:32]


def close_period(schedule_arn: str, scheduled: datetime, now: datetime) -> dict:
    """The unit of work: the period [scheduled - PERIOD_MINUTES, scheduled), once it is over on this clock."""
    if now + CLOCK_SKEW < scheduled:
        ahead = (scheduled - now).total_seconds()
        raise TransientJobError(f"the period ends at {scheduled.isoformat()}, {ahead:.0f} s from now on this clock")
    start = scheduled - timedelta(minutes=PERIOD_MINUTES)
    return {"runKey": run_key(schedule_arn, scheduled), "periodStart": start.isoformat(),
            "periodEnd": scheduled.isoformat()}


def handler(event: Any, context: Any) -> dict:
    global _cold
    started, cold, _cold = time.perf_counter(), _cold, False
    fields: dict = {"requestId": context.aws_request_id, "coldStart": cold}
    try:
        run = scheduled_run(event)
    except MalformedEvent as refused:
        keys = sorted(event)[:5] if isinstance(event, dict) else type(event).__name__
        log.error("rejected a malformed event", extra={"fields": {**fields, "outcome": "rejected", "retryable": False,
                                                                  "error": str(refused), "eventKeys": keys}})
        return {"status": "rejected", "error": str(refused), "requestId": context.aws_request_id}
    now = datetime.now(timezone.utc)
    fields.update(scheduleArn=run["scheduleArn"], scheduledTime=run["scheduledTime"].isoformat(),
                  executionId=run["executionId"], attemptNumber=run["attemptNumber"],
                  lateSeconds=round((now - run["scheduledTime"]).total_seconds(), 3))
    try:
        result = close_period(run["scheduleArn"], run["scheduledTime"], now)
    except Exception as failed:  # transient or unforeseen: logged, then raised for Lambda to retry
        log.error("run failed; Lambda retries it", exc_info=True, extra={"fields": {
            **fields, "outcome": "failed", "retryable": True, "errorType": type(failed).__name__,
            "durationMs": round((time.perf_counter() - started) * 1000, 3)}})
        raise
    log.info("run done", extra={"fields": {**fields, **result, "outcome": "done",
                                           "durationMs": round((time.perf_counter() - started) * 1000, 3)}})
    return {"status": "done", **result, "lateSeconds": fields["lateSeconds"]}
