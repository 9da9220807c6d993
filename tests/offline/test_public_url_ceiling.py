"""End to end: dev's public URL has a ceiling, and the pack refuses it without one (issue 22)."""

import json

from offline.preview import EXIT_BLOCKED, EXIT_CLEAN, main

NEEDS_RESERVATION = "function-url-public-needs-reservation"


def preview_dev(tmp_path, *args: str) -> tuple[int, dict]:
    """`python -m offline preview --stack dev`, as a developer runs it before the first push."""
    out = tmp_path / "plan.json"
    code = main(["--stack", "dev", *args, "--json", str(out)])
    return code, json.loads(out.read_text())


def planned(plan: dict, typ: str) -> dict:
    [resource] = [r for r in plan["resources"] if r["type"] == typ and r["name"] == "api"]
    return resource["inputs"]


def test_devs_public_url_serves_a_function_with_a_reservation(tmp_path):
    code, plan = preview_dev(tmp_path)
    assert code == EXIT_CLEAN
    assert planned(plan, "aws:lambda/functionUrl:FunctionUrl")["authorizationType"] == "NONE"
    assert planned(plan, "aws:lambda/function:Function")["reservedConcurrentExecutions"] == 10  # Pulumi.dev.yaml
    assert [f for f in plan["findings"] if f["policy"] == NEEDS_RESERVATION] == []
    # The api is the stack's one function with a URL: the worker (on a schedule) has none to open.
    assert [r["name"] for r in plan["resources"] if r["type"] == "aws:lambda/functionUrl:FunctionUrl"] == ["api"]


def test_without_its_reservation_dev_is_blocked(tmp_path, capsys):
    code, plan = preview_dev(tmp_path, "--config", "lambdakit:reservedConcurrency=-1")
    assert code == EXIT_BLOCKED
    [finding] = [f for f in plan["findings"] if f["enforcement_level"] == "mandatory"]
    assert finding["policy"] == NEEDS_RESERVATION
    assert finding["urn"].endswith("aws:lambda/functionUrl:FunctionUrl::api")
    # The worker lost its reservation too, but no URL reaches it: the rule is the URL's, not every function's.
    [worker] = [r for r in plan["resources"] if r["type"] == "aws:lambda/function:Function" and r["name"] == "worker"]
    assert worker["inputs"].get("reservedConcurrentExecutions", -1) == -1
    assert f"[mandatory] {NEEDS_RESERVATION}" in capsys.readouterr().out
