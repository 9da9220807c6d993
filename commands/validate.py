"""`make validate URL=...` / `make validate-local`: prove a function meets its promises (success rate, latency, cold
starts) by calling it, and fail when a threshold is missed.

Targets: a deployed function URL (`--url`, requests SigV4-signed by botocore with `--auth iam`), a deployed stack's
URL read from its outputs (`--stack`, needs the Pulumi CLI), or the function's image on this machine (`--local`,
served as its function URL by local_lambda/, as `make serve` does). Cold starts are known from the outside by the
function's `Server-Timing` header: an `init` metric on an environment's first response (functions/api/app.py).

HTTP client: urllib3 (botocore's own): one pool of keep-alive connections shared by the worker threads, each
request a plain blocking call, so latency is what a caller waits; no retries, so every failure counts.
"""

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict
from typing import Any, Optional
from urllib.parse import urlsplit

import botocore.session
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from tqdm import tqdm

from commands.arguments import non_negative, percent, positive, positive_int, writable_file
from commands.validation_figures import (MAX_AVERAGE_MS, MAX_COLD_START_PERCENT, MAX_INIT_MS, MAX_P95_MS,
                                        MIN_SUCCESS_PERCENT, Call, Load, Sample, Thresholds, judge, measure, render,
                                        server_timing)
from local_lambda.function_url import region_of_host
from commands.serve import (LOCAL_FAILURES, MISSING_PREREQUISITES, PROJECT_DIR, local_failure, local_function_url,
                            read_local_settings)

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_CALLS = ("GET /", "GET /health", "GET /info")


class UsageError(Exception):
    """Bad arguments or a target that cannot be asked: exit 2 with this message."""


class Unreachable(Exception):
    """The first request could not get an answer that lets the run go on: exit 1 with this message."""



class Signer:
    """SigV4 with botocore's own signer, for a function URL whose auth type is AWS_IAM (service `lambda`)."""

    def __init__(self, credentials: Any, region: str):
        self._auth = SigV4Auth(credentials, "lambda", region)

    def headers(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        self._auth.add_auth(request)
        return dict(request.headers.items())


def _caller_signer(url: str, region: Optional[str]) -> Signer:
    credentials = botocore.session.Session().get_credentials()
    if credentials is None:
        raise UsageError("--auth iam signs with the caller's AWS credentials, and none were found (AWS_PROFILE, "
                         "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, or an instance role)")
    if region is None:
        host = urlsplit(url).hostname or ""
        region = region_of_host(host)
        if region is None:
            raise UsageError(f"cannot tell the region from {host!r} (not <id>.lambda-url.<region>.on.aws): "
                             "pass --region")
    return Signer(credentials, region)


def _error_label(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS failed: {error.__context__ or error}"
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "host name does not resolve"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "connection refused" if "refused" in str(error).lower() else f"cannot connect: {error}"
    if isinstance(error, (urllib3.exceptions.TimeoutError,)):
        return "timed out"
    return f"connection failed: {type(error).__name__}"


class Client:
    """Requests to one URL over pooled connections (as many as workers), signed when a signer is given."""

    def __init__(self, url: str, concurrency: int, request_timeout: float, signer: Optional[Signer], body: bytes):
        self.base, self.signer, self.body = url.rstrip("/"), signer, body
        self._http = urllib3.PoolManager(maxsize=concurrency, block=True, retries=False,
                                         timeout=urllib3.Timeout(connect=min(10.0, request_timeout),
                                                                 read=request_timeout))

    def send(self, call: Call) -> Sample:
        url = self.base + call.path
        body = self.body if call.method in ("POST", "PUT", "PATCH") else b""
        headers = {"content-type": "application/json"} if body else {}
        if self.signer:
            headers = self.signer.headers(call.method, url, body, headers)
        started = time.perf_counter()
        try:
            response = self._http.request(call.method, url, body=body or None, headers=headers, redirect=False)
        except urllib3.exceptions.HTTPError as failed:
            reason = failed.reason if isinstance(failed, urllib3.exceptions.MaxRetryError) else failed
            return Sample(call, error=_error_label(reason))
        latency_ms = (time.perf_counter() - started) * 1000
        timing = response.headers.get("server-timing")
        init = server_timing(timing).get("init", {})
        return Sample(call, response.status, latency_ms=latency_ms, timing_reported=timing is not None,
                      init_ms=_milliseconds(init.get("dur")), init_type=init.get("desc"),
                      message=_message(response.data) if response.status >= 400 else "")

    def send_safely(self, call: Call) -> Sample:
        """`send`, with anything else that goes wrong (a signer whose credentials fail to refresh) a failed
        sample: a worker never dies and takes its share of the requests with it."""
        try:
            return self.send(call)
        except Exception as failed:  # noqa: BLE001 - counted and shown, never hidden
            return Sample(call, error=f"{type(failed).__name__}: {failed}")


def _milliseconds(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _message(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    if not isinstance(answer, dict):
        return ""
    return str(answer.get("Message") or answer.get("message") or answer.get("error") or "")


def _check_first(sample: Sample, url: str) -> None:
    """A first request that cannot be answered, or is refused entry, ends the run with the reason."""
    if sample.error:
        raise Unreachable(f"no answer from {url}: {sample.error}")
    if sample.status == 403:
        raise Unreachable(f"403 Forbidden from {url} ({sample.message or 'no message'}): the function URL refused the "
                          "request. With auth type AWS_IAM pass --auth iam and credentials allowed "
                          "lambda:InvokeFunctionUrl for this function; a signature mismatch means wrong credentials "
                          "or --region.")


def run_load(client: Client, load: Load, url: str, progress: bool) -> tuple[list[Sample], bool]:
    """Every request's sample, in order, and whether the time limit stopped the run early. The first request goes
    alone (a dead target stops the run there); then `concurrency` workers, started across the ramp."""
    deadline = time.monotonic() + load.time_limit_seconds
    first = client.send_safely(load.calls[0])
    _check_first(first, url)
    samples: list[Optional[Sample]] = [first] + [None] * (load.requests - 1)
    next_index, taking = iter(range(1, load.requests)), threading.Lock()
    bar = tqdm(total=load.requests, initial=1, unit="req", disable=not progress, file=sys.stderr, leave=False)

    def work(worker: int) -> None:
        start_at = time.monotonic() + load.ramp_seconds * worker / load.concurrency
        time.sleep(max(0.0, min(start_at, deadline) - time.monotonic()))  # a worker due after the limit never starts
        while time.monotonic() < deadline:
            with taking:
                index = next(next_index, None)
            if index is None:
                return
            samples[index] = client.send_safely(load.calls[index % len(load.calls)])
            bar.update(1)

    workers = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(load.concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    bar.close()
    done = [s for s in samples if s is not None]
    return done, len(done) < load.requests


def _json_destination(text: str) -> str:
    """--json: '-' for stdout, or a file whose folder is checked before the run (a run can take minutes)."""
    if text != "-":
        writable_file(text)
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m commands.validate", description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--url", help="a deployed function URL")
    target.add_argument("--local", action="store_true", help="the function's image on this machine "
                        "(--stack picks the settings; default dev)")
    parser.add_argument("--stack", help="without --local: the deployed stack whose function URL to call, from its "
                        "outputs (needs the Pulumi CLI); with --local: the stack whose settings apply")
    parser.add_argument("--function", help="with --stack or --local: the function to call, by its folder under "
                        "functions/ (default: the stack's only function with a URL)")
    parser.add_argument("--auth", choices=("none", "iam"), help="sign requests for an AWS_IAM URL (iam) or not; "
                        "default: the stack's functionUrlAuthType output with --stack, else none")
    parser.add_argument("--region", help="region to sign for (default: read from the URL)")
    parser.add_argument("--requests", type=positive_int, default=100, help="requests to send (default 100)")
    parser.add_argument("--concurrency", type=positive_int, default=4, help="requests in flight at once (default 4)")
    parser.add_argument("--ramp", type=non_negative, default=0.0, metavar="SECONDS",
                        help="start the workers evenly across this time (default 0: all at once)")
    parser.add_argument("--call", type=Call.parse, action="append", dest="calls", metavar="'METHOD /PATH'",
                        help="a request to make, in turn with the others; repeatable "
                             f"(default: {', '.join(DEFAULT_CALLS)})")
    parser.add_argument("--body", default="{}", help="the JSON body of POST, PUT and PATCH calls (default {})")
    parser.add_argument("--time-limit", type=non_negative, default=300.0, metavar="SECONDS",
                        help="stop sending after this long and judge what was measured (default 300)")
    parser.add_argument("--request-timeout", type=positive, default=30.0, metavar="SECONDS",
                        help="give up on one request after this long; it counts as failed (default 30)")
    parser.add_argument("--min-success-rate", type=percent, default=MIN_SUCCESS_PERCENT, metavar="PERCENT",
                        help=f"fail below this share of 2xx answers (default {MIN_SUCCESS_PERCENT:g})")
    parser.add_argument("--max-average-ms", type=non_negative, default=MAX_AVERAGE_MS, metavar="MS",
                        help=f"fail above this average latency (default {MAX_AVERAGE_MS:g})")
    parser.add_argument("--max-p95-ms", type=non_negative, default=MAX_P95_MS, metavar="MS",
                        help=f"fail above this 95th percentile latency (default {MAX_P95_MS:g})")
    parser.add_argument("--max-cold-start-rate", type=percent, default=MAX_COLD_START_PERCENT, metavar="PERCENT",
                        help=f"fail above this share of answers that waited for a cold start "
                             f"(default {MAX_COLD_START_PERCENT:g})")
    parser.add_argument("--max-init-ms", type=non_negative, default=MAX_INIT_MS, metavar="MS",
                        help=f"fail when an environment's init took longer (default {MAX_INIT_MS:g})")
    parser.add_argument("--json", type=_json_destination, metavar="PATH",
                        help="also write the figures and verdicts as JSON ('-': stdout)")
    parser.add_argument("--pinned-bases", action="store_true", help="with --local: build on the Dockerfile's pinned "
                        "bases instead of bases made here (see make serve)")
    return parser


def _stack_outputs(stack: str) -> dict[str, Any]:
    """The deployed stack's outputs, from the Pulumi CLI."""
    if shutil.which("pulumi") is None:
        raise UsageError(f"--stack {stack} reads the stack's outputs with the Pulumi CLI, which is not on PATH; "
                         "pass --url (and --auth) instead")
    done = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", stack], cwd=PROJECT_DIR,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise UsageError(f"pulumi stack output --stack {stack} failed: {done.stderr.strip()}")
    return json.loads(done.stdout or "{}")


def deployed_function(outputs: dict[str, Any], stack: str, name: Optional[str]) -> dict[str, Any]:
    """The outputs of the function --function names, or of the stack's only function with a URL."""
    with_url = {key: value for key, value in (outputs.get("functions") or {}).items() if value.get("functionUrl")}
    if not with_url and outputs.get("functionUrl"):
        raise UsageError(f"stack {stack}'s outputs are of a program before several functions per stack (a single "
                         "functionUrl): run `pulumi up` for it once, or pass --url")
    if not with_url:
        raise UsageError(f"stack {stack} has no function with a URL in its outputs: has it been deployed (pulumi up)?")
    if name is None and len(with_url) == 1:
        return next(iter(with_url.values()))
    if name in with_url:
        return with_url[name]
    choice = f"--function {name} is not one of them" if name else "pick one with --function"
    raise UsageError(f"stack {stack} has these functions with a URL: {', '.join(sorted(with_url))}; {choice}")


def _deployed_target(args: argparse.Namespace) -> tuple[str, str]:
    """(url, auth type) of --url or of --stack's outputs."""
    if args.url:
        if urlsplit(args.url).scheme not in ("http", "https") or not urlsplit(args.url).hostname:
            raise UsageError(f"--url {args.url!r} must be an http(s) URL")
        return args.url, args.auth or "none"
    outputs = deployed_function(_stack_outputs(args.stack), args.stack, args.function)
    auth = args.auth or {"AWS_IAM": "iam", "NONE": "none"}.get(outputs.get("functionUrlAuthType"), "none")
    return outputs["functionUrl"], auth


def _quiet(*_args) -> None:
    pass


def prepare(args: argparse.Namespace, stack: ExitStack) -> tuple[str, Client, Load]:
    """The target's name, a client for it and the load to send; a local target is started on `stack`."""
    calls = args.calls or [Call.parse(c) for c in DEFAULT_CALLS]
    load = Load(args.requests, args.concurrency, args.ramp, args.time_limit, calls)
    try:
        body = json.dumps(json.loads(args.body)).encode()
    except ValueError as bad:
        raise UsageError(f"--body is not JSON: {bad}") from None
    if args.local:
        if args.auth == "iam":
            raise UsageError("--auth iam has no meaning with --local: the local function URL checks no signature")
        settings, function, region = read_local_settings(args.stack or "dev", args.function)
        url, _pool = stack.enter_context(local_function_url(settings, function, region, 0, args.concurrency,
                                                            args.pinned_bases, report=_quiet, on_log_line=_quiet))
        client = Client(url, args.concurrency, args.request_timeout, None, body)
        return f"{url} (local image, stack {args.stack or 'dev'})", client, load
    if bool(args.url) == bool(args.stack):
        raise UsageError("give one target: --url URL, --stack NAME (a deployed stack) or --local [--stack NAME]")
    url, auth = _deployed_target(args)
    signer = _caller_signer(url, args.region) if auth == "iam" else None
    client = Client(url, args.concurrency, args.request_timeout, signer, body)
    return f"{url} ({'signed, AWS_IAM' if signer else 'unsigned'})", client, load


def _write_json(path: str, report: dict) -> None:
    text = json.dumps(report, indent=2)
    if path == "-":
        print(text)
    else:
        with open(path, "w") as out:
            out.write(text + "\n")


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    limits = Thresholds(args.min_success_rate, args.max_average_ms, args.max_p95_ms, args.max_cold_start_rate,
                        args.max_init_ms)
    with ExitStack() as resources:
        try:
            target, client, load = prepare(args, resources)
            started = time.perf_counter()
            samples, stopped_early = run_load(client, load, target, progress=sys.stderr.isatty())
        except UsageError as wrong:
            print(f"error: {wrong}", file=sys.stderr)
            return EXIT_USAGE
        except MISSING_PREREQUISITES as missing:
            print(f"error: {local_failure(missing)}", file=sys.stderr)
            return EXIT_USAGE
        except Unreachable as dead:
            print(f"error: {dead}", file=sys.stderr)
            return EXIT_FAILED
        except LOCAL_FAILURES as failed:
            print(f"error: {local_failure(failed)}", file=sys.stderr)
            return EXIT_FAILED
        seconds = time.perf_counter() - started
    measured = measure(samples)
    verdicts = judge(measured, limits)
    table = render(target, load, seconds, stopped_early, measured, verdicts)
    print(table, file=sys.stderr if args.json == "-" else sys.stdout)  # stdout is the JSON's then
    if args.json:
        _write_json(args.json, {"target": target, "seconds": seconds, "stoppedEarly": stopped_early, **measured,
                                "thresholds": asdict(limits), "verdicts": [asdict(v) for v in verdicts],
                                "passed": all(v.passed for v in verdicts)})
    return EXIT_PASSED if all(v.passed for v in verdicts) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
