"""What Lambda writes to a function's log group, and how to count cold starts from it: one place for
the function (which must log those records), its monitoring (metric filters, saved queries) and the
tests that run the patterns over real log lines.

There is no init-duration metric in the AWS/Lambda namespace (`Duration` excludes init), so cold starts
are read from Lambda's own records. In JSON format (Lambda's telemetry schema):
- `platform.initStart` opens every environment's init, with `record.initializationType`: "on-demand"
  (a request waits for it) or "provisioned-concurrency" (done ahead of any request);
- `platform.report` closes every invocation; `record.metrics.initDurationMs` is there only on the first
  invocation of an on-demand environment: the init that request waited for.
At system log level INFO, Lambda delivers both (and `platform.start`); `platform.initReport` and
`platform.runtimeDone` only at DEBUG, which would add a record to every invocation for nothing these
metrics need. In Text format the REPORT line carries `Init Duration` for the same invocations, and no
record says how an environment was initialised.

Known limit, from Lambda's troubleshooting guide: the first invocation on a provisioned environment may
also report a (small) init duration, so in a stack with provisioned concurrency the init-duration
metric can include those; the cold-start count from `platform.initStart` does not.
"""

from dataclasses import dataclass

LOG_FORMATS = ("JSON", "Text")
# The level at which Lambda delivers platform.initStart and platform.report (see above).
SYSTEM_LOG_LEVEL = "INFO"


@dataclass(frozen=True)
class LogMetric:
    """One metric filter: the records it counts or measures, and the value it publishes."""

    metric_name: str
    pattern: str
    value: str
    unit: str
    meaning: str


# The REPORT line's fields, tab-separated, in the order Lambda writes them; Init Duration follows Max
# Memory Used only after an on-demand init. X-Ray's trailer (the function traces) and a non-success
# Status come after it: the ellipsis takes them.
_TEXT_COLD_REPORT = (
    '[report="REPORT", request_label="RequestId:", request_id, duration_label="Duration:", duration_ms, '
    'duration_unit="ms", billed_label="Billed", billed_label2="Duration:", billed_ms, billed_unit="ms", '
    'memory_label="Memory", memory_label2="Size:", memory_mb, memory_unit="MB", used_label="Max", '
    'used_label2="Memory", used_label3="Used:", used_mb, used_unit="MB", init_label="Init", '
    'init_label2="Duration:", init_duration_ms, init_unit="ms", ...]')

COLD_STARTS = "ColdStarts"
INIT_DURATION = "InitDuration"
PROVISIONED_INITS = "ProvisionedInits"

_LOG_METRICS = {
    "JSON": (
        LogMetric(COLD_STARTS,
                  '{ $.type = "platform.initStart" && $.record.initializationType = "on-demand" }', "1", "Count",
                  "on-demand inits: environments started for requests (Lambda may start a few ahead of them)"),
        LogMetric(INIT_DURATION, '{ $.type = "platform.report" && $.record.metrics.initDurationMs > 0 }',
                  "$.record.metrics.initDurationMs", "Milliseconds", "how long a request waited for its environment"),
        LogMetric(PROVISIONED_INITS,
                  '{ $.type = "platform.initStart" && $.record.initializationType = "provisioned-concurrency" }',
                  "1", "Count", "environments initialised ahead of requests by provisioned concurrency"),
    ),
    "Text": (
        LogMetric(COLD_STARTS, _TEXT_COLD_REPORT, "1", "Count",
                  "invocations that waited for an init (Text logs do not say how it was initialised)"),
        LogMetric(INIT_DURATION, _TEXT_COLD_REPORT, "$init_duration_ms", "Milliseconds",
                  "how long a request waited for its environment"),
    ),
}

# Saved Logs Insights queries: cold starts with their init duration; errors with their request id.
_QUERIES = {
    "JSON": {
        "cold-starts": 'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n'
                       "| fields @timestamp, record.requestId as requestId, record.metrics.initDurationMs as initMs, "
                       "record.metrics.durationMs as durationMs, record.metrics.maxMemoryUsedMB as memoryMb\n"
                       "| sort initMs desc\n| limit 100",
        "errors": 'filter level in ["ERROR", "FATAL"] or (type = "platform.report" and record.status != "success")\n'
                  "| fields @timestamp, coalesce(requestId, record.requestId) as request, level, record.status as "
                  "status, message, exception\n| sort @timestamp desc\n| limit 100",
    },
    "Text": {
        "cold-starts": 'filter @type = "REPORT" and ispresent(@initDuration)\n'
                       "| fields @timestamp, @requestId, @initDuration, @duration, @maxMemoryUsed\n"
                       "| sort @initDuration desc\n| limit 100",
        "errors": 'filter @message like /"level": "(ERROR|FATAL)"|Task timed out|Runtime exited|Status: (error|timeout)/\n'
                  "| fields @timestamp, @requestId, @message\n| sort @timestamp desc\n| limit 100",
    },
}

def log_metrics(log_format: str) -> dict[str, LogMetric]:
    """The metric filters a function logging in `log_format` gets, by metric name."""
    return {metric.metric_name: metric for metric in _LOG_METRICS[log_format]}


def saved_queries(log_format: str) -> dict[str, str]:
    """Logs Insights queries by short name."""
    return dict(_QUERIES[log_format])
