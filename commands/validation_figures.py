"""What a validation run measures and how it is judged: each request's sample (with what the function's
`Server-Timing` header said of its init), the load, the figures, the verdicts against the thresholds, and the printed
table. commands/validate.py drives the requests."""

import argparse
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional

# The product's promises: the defaults of the thresholds.
MIN_SUCCESS_PERCENT, MAX_COLD_START_PERCENT = 95.0, 20.0
MAX_AVERAGE_MS, MAX_P95_MS, MAX_INIT_MS = 2000.0, 5000.0, 2000.0
# Server-Timing (W3C): `name;dur=1.2;desc="text", other;dur=3`. Read by hand: the grammar is this one line, and no
# kept library parses it.
_TIMING_VALUE = r'(?:"(?:[^"\\]|\\.)*"|[^\s;,]*)'
_TIMING_METRIC = re.compile(r'\s*([^\s;,=]+)((?:\s*;\s*[^\s;,=]+\s*(?:=\s*' + _TIMING_VALUE + r')?)*)\s*(?:,|$)')
_TIMING_PARAMETER = re.compile(r';\s*([^\s;,=]+)\s*(?:=\s*(' + _TIMING_VALUE + r'))?')
COLD_INIT_TYPE = "on-demand"  # the init a request waited for; a provisioned one ran ahead of any request


def server_timing(header: str) -> dict[str, dict[str, str]]:
    """{metric: {parameter: value}} of a Server-Timing header; quoted values unquoted."""
    metrics: dict[str, dict[str, str]] = {}
    for name, parameters in _TIMING_METRIC.findall(header or ""):
        metrics[name] = {key: value[1:-1].replace('\\"', '"') if value.startswith('"') else value
                         for key, value in _TIMING_PARAMETER.findall(parameters)}
    return metrics


@dataclass(frozen=True)
class Call:
    method: str
    path: str

    @classmethod
    def parse(cls, text: str) -> "Call":
        method, _, path = text.strip().rpartition(" ")
        method = (method or "GET").upper()
        if not path.startswith("/") or not method.isalpha():
            raise argparse.ArgumentTypeError(f"{text!r} must be a path, or a method and a path: \"GET /health\"")
        return cls(method, path)


@dataclass(frozen=True)
class Sample:
    """One request: its answer (status) or why there was none (error), and what the function said of its init."""

    call: Call
    status: Optional[int] = None
    error: Optional[str] = None
    latency_ms: Optional[float] = None
    timing_reported: bool = False
    init_ms: Optional[float] = None
    init_type: Optional[str] = None
    message: str = ""  # the body's Message, for an error the URL service gives

    @property
    def cold(self) -> bool:
        return self.init_ms is not None and self.init_type in (None, COLD_INIT_TYPE)


@dataclass
class Load:
    requests: int
    concurrency: int
    ramp_seconds: float
    time_limit_seconds: float
    calls: list[Call]


@dataclass(frozen=True)
class Thresholds:
    min_success_percent: float = MIN_SUCCESS_PERCENT
    max_average_ms: float = MAX_AVERAGE_MS
    max_p95_ms: float = MAX_P95_MS
    max_cold_start_percent: float = MAX_COLD_START_PERCENT
    max_init_ms: float = MAX_INIT_MS


@dataclass(frozen=True)
class Verdict:
    check: str
    threshold: str
    measured: str
    passed: bool
    note: str = ""


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) == 1:
        return {"p50": values[0], "p95": values[0], "p99": values[0]}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98]}


LATENCY_FIGURES = ("min", "avg", "p50", "p95", "p99", "max")


def _latency(samples: list[Sample]) -> dict[str, float]:
    values = [s.latency_ms for s in samples if s.latency_ms is not None]
    if not values:
        return {}
    return {"min": min(values), "avg": statistics.fmean(values), **_percentiles(values), "max": max(values)}


def measure(samples: list[Sample]) -> dict[str, Any]:
    """What the run shows: counts, success rate, latency, cold starts and inits."""
    answered = [s for s in samples if s.status is not None]
    succeeded = sum(1 for s in answered if 200 <= s.status < 300)
    inits = [s.init_ms for s in answered if s.init_ms is not None]
    cold = sum(1 for s in answered if s.cold)
    return {
        "requests": len(samples), "answered": len(answered),
        "successRatePercent": 100 * succeeded / len(samples) if samples else 0.0,
        "statusCounts": dict(sorted(Counter(str(s.status) if s.status is not None else s.error
                                            for s in samples).items())),
        "latencyMs": _latency(answered),
        "timingReported": any(s.timing_reported for s in answered),
        "coldStarts": cold, "coldStartPercent": 100 * cold / len(answered) if answered else 0.0,
        "initMs": {"count": len(inits), **({"min": min(inits), "avg": statistics.fmean(inits), "max": max(inits)}
                                           if inits else {})},
        "initTypes": dict(Counter(s.init_type or "unstated" for s in answered if s.init_ms is not None)),
    }


def judge(measured: dict[str, Any], limits: Thresholds) -> list[Verdict]:
    latency, inits = measured["latencyMs"], measured["initMs"]
    unreported = "" if measured["timingReported"] else "the function sends no Server-Timing header: cold starts unknown"
    verdicts = [
        Verdict("success rate", f">= {limits.min_success_percent:g} %", f"{measured['successRatePercent']:.1f} %",
                measured["successRatePercent"] >= limits.min_success_percent),
        _latency_verdict("average latency", "avg", latency, limits.max_average_ms),
        _latency_verdict("p95 latency", "p95", latency, limits.max_p95_ms),
        Verdict("cold-start rate", f"<= {limits.max_cold_start_percent:g} %", f"{measured['coldStartPercent']:.1f} %",
                not unreported and measured["coldStartPercent"] <= limits.max_cold_start_percent, unreported),
    ]
    if inits["count"]:
        verdicts.append(Verdict("init duration (max)", f"<= {limits.max_init_ms:g} ms", f"{inits['max']:.0f} ms",
                                inits["max"] <= limits.max_init_ms))
    else:
        verdicts.append(Verdict("init duration (max)", f"<= {limits.max_init_ms:g} ms", "none seen",
                                not unreported, unreported or "no environment started during the run"))
    return verdicts


def _latency_verdict(check: str, key: str, latency: dict[str, float], limit: float) -> Verdict:
    if not latency:
        return Verdict(check, f"<= {limit:g} ms", "no answers", False)
    return Verdict(check, f"<= {limit:g} ms", f"{latency[key]:.1f} ms", latency[key] <= limit)


def render(target: str, load: Load, seconds: float, stopped_early: bool, measured: dict,
           verdicts: list[Verdict]) -> str:
    latency, inits = measured["latencyMs"], measured["initMs"]
    calls = ", ".join(f"{c.method} {c.path}" for c in load.calls)
    cut = f"; stopped at the time limit ({load.time_limit_seconds:g} s) before {load.requests}" if stopped_early else ""
    lines = [f"validated {target}: {measured['requests']} requests ({calls}), concurrency {load.concurrency}, "
             f"{seconds:.1f} s{cut}",
             f"  answered      {measured['answered']} of {measured['requests']}; "
             f"success {measured['successRatePercent']:.1f} %",
             "  status codes  " + ", ".join(f"{code}: {count}" for code, count in measured["statusCounts"].items())]
    if latency:
        lines.append("  latency ms    " + "  ".join(f"{k} {latency[k]:.1f}" for k in LATENCY_FIGURES))
    lines.append(f"  cold starts   {measured['coldStarts']} of {measured['answered']} "
                 f"({measured['coldStartPercent']:.1f} %)"
                 + ("" if measured["timingReported"] else ": not reported by the function (no Server-Timing header)"))
    if inits["count"]:
        types = ", ".join(f"{t} {n}" for t, n in measured["initTypes"].items())
        lines.append(f"  init ms       min {inits['min']:.0f}  avg {inits['avg']:.0f}  max {inits['max']:.0f}  "
                     f"({types})")
    width = max(len(v.check) for v in verdicts)
    lines.append("")
    lines += [f"  {'PASS' if v.passed else 'FAIL'}  {v.check:<{width}}  {v.measured:>10}  (threshold {v.threshold})"
              + (f"  {v.note}" if v.note else "") for v in verdicts]
    return "\n".join(lines)
