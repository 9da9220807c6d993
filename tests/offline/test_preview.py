"""End to end: the program on the mock engine, the pack as its own process, the verdict. Both stacks have two
functions, api (with a URL) and worker (on a schedule): what a rule says of a function it says of each."""

import json
import re
import subprocess
import sys

import pytest

from offline.preview import EXIT_BLOCKED, EXIT_CLEAN, EXIT_ERROR, main
from tests.conftest import PROJECT_DIR

POLICY_BUDGET = "stack-monthly-budget"
UNSAFE = ["-c", "architecture=x86_64", "-c", "memoryMb=512", "-c", "ecrScanOnPush=false", "--image-size-mb", "900"]


# Offline there is no ECR to read a pushed image's scan findings from: the scan rules say so (advisory),
# and block in production. Tests about other rules leave that aside with this config.
NO_SCAN_TO_READ = {"lambda-image-scan-findings": {"blockWhenUnreadable": "never"},
                   "lambda-image-scan-findings-unread": "disabled"}


def preview(tmp_path, *args: str, policy_config: dict | None = None) -> tuple[int, dict]:
    out = tmp_path / "plan.json"
    if policy_config is not None:
        (tmp_path / "policy-config.json").write_text(json.dumps(policy_config))
        args = (*args, "--policy-pack-config", str(tmp_path / "policy-config.json"))
    code = main([*args, "--json", str(out)])
    return code, (json.loads(out.read_text()) if out.exists() else {})


FUNCTION = "aws:lambda/function:Function"
FUNCTIONS = ("api", "worker")  # the stacks' own functions, each a folder under functions/, each with its image


def under(plan: dict, component: str) -> list[dict]:
    """The planned resources of the components named `component` (one function's LambdaService)."""
    rows = {row["urn"]: row for row in plan["resources"]}

    def ancestors(row: dict):
        while (row := rows.get(row["parent"])) is not None:
            yield row["urn"]

    return [row for row in plan["resources"] if any(urn.endswith(f"::{component}") for urn in ancestors(row))]


def image_functions(plan: dict) -> dict[str, dict]:
    """The functions that run an image (the scan gate runs a zip), by name."""
    return {r["name"]: r for r in plan["resources"]
            if r["type"] == FUNCTION and r["inputs"].get("packageType") == "Image"}


def pushed(tmp_path, *args: str, size_mb: str = "140", policy_config: dict | None = None) -> tuple[int, dict]:
    """A preview once the image is pushed, with the scan rules' offline verdict left aside."""
    return preview(tmp_path, *args, "--image-size-mb", size_mb, policy_config={**NO_SCAN_TO_READ, **(policy_config or {})})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_pass_clean_once_the_image_is_pushed(tmp_path, stack):
    code, plan = pushed(tmp_path, "--stack", stack)
    assert code == EXIT_CLEAN
    assert plan["findings"] == [] and plan["blocked"] is False
    functions = image_functions(plan)
    assert sorted(functions) == list(FUNCTIONS)
    for function in functions.values():
        assert function["inputs"]["architectures"] == ["arm64"]
        assert function["inputs"]["tags"]["lambdakit:image-size-bytes"] == "140000000"


@pytest.mark.parametrize("stack, code, mandatory", [("dev", EXIT_CLEAN, []), ("prod", EXIT_BLOCKED, ["lambda-image-scan-findings"])])
def test_offline_no_scan_vouches_for_a_pushed_image_which_blocks_production(tmp_path, stack, code, mandatory):
    """No ECR answers offline: every stack is told, of each function's image; production refuses to run an image
    no scan vouched for."""
    result, plan = preview(tmp_path, "--stack", stack, "--image-size-mb", "140")
    assert result == code
    functions = image_functions(plan)
    refused = {f["urn"]: f["policy"] for f in plan["findings"] if f["enforcement_level"] == "mandatory"}
    assert refused == {functions[name]["urn"]: policy for name in FUNCTIONS for policy in mandatory}
    unread = {f["urn"]: f for f in plan["findings"] if f["enforcement_level"] == "advisory"}
    assert set(unread) == {functions[name]["urn"] for name in FUNCTIONS}
    for finding in unread.values():
        assert finding["policy"] == "lambda-image-scan-findings-unread"
        assert "Unable to locate credentials" in finding["message"]


def test_the_tree_shows_the_monitoring_under_its_components(tmp_path, capsys):
    code, plan = pushed(tmp_path, "--stack", "prod", size_mb="57")
    tree = capsys.readouterr().out
    assert code == EXIT_CLEAN
    # The stack's own components at the top; each function's monitoring inside its LambdaService, after it.
    for component in ("lambdakit:service:LambdaService  api", "lambdakit:service:LambdaService  worker",
                      "lambdakit:monitoring:FunctionMonitoring  scan-gate",
                      "lambdakit:notifications:AlarmTopic  alarms", "lambdakit:dashboard:StackDashboard  dashboard"):
        assert f"\n +    {component}\n" in tree, component
    for name in FUNCTIONS:
        service = tree.index(f" +    lambdakit:service:LambdaService  {name}\n")
        assert tree.index(f" +       lambdakit:monitoring:FunctionMonitoring  {name}\n") > service
    assert ('aws:cloudwatch/metricAlarm:MetricAlarm  api-init-duration  metricName="InitDuration"  '
            'extendedStatistic="p95"  comparisonOperator="GreaterThanThreshold"  threshold=2000') in tree
    types = [r["type"] for r in plan["resources"]]
    # the api's 8 (its URL's and provisioned environments' among them), the worker's 6 (its dead-letter queue's
    # among them), the scan gate's 4; 3 metric filters each
    alarms = {name: [r["name"] for r in under(plan, name) if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm"]
              for name in FUNCTIONS}
    assert (len(alarms["api"]), len(alarms["worker"])) == (8, 6) and "worker-dead-letters" in alarms["worker"]
    assert types.count("aws:cloudwatch/metricAlarm:MetricAlarm") == 8 + 6 + 4
    assert types.count("aws:cloudwatch/logMetricFilter:LogMetricFilter") == 3 + 3 + 3
    for name in FUNCTIONS:
        assert [r["type"] for r in under(plan, name)].count("aws:cloudwatch/logMetricFilter:LogMetricFilter") == 3
    assert {"aws:cloudwatch/dashboard:Dashboard", "aws:sns/topic:Topic", "aws:kms/key:Key",
            "aws:cloudwatch/queryDefinition:QueryDefinition"} <= set(types)


def test_before_the_first_push_the_image_rules_say_they_could_not_run(tmp_path):
    code, plan = preview(tmp_path, "--stack", "prod")
    assert code == EXIT_CLEAN
    assert {(f["policy"], f["enforcement_level"]) for f in plan["findings"]} == {
        ("lambda-image-size", "advisory"), ("lambda-image-by-digest", "advisory"),
        ("lambda-image-scan-findings", "advisory")}
    assert all("can't run policy" in f["message"] for f in plan["findings"])


def test_an_unsafe_stack_is_blocked_and_every_violation_named(tmp_path, capsys):
    """The stack-wide settings are every function's (dev's worker sets none of them): each rule names each."""
    code, plan = preview(tmp_path, "--stack", "dev", *UNSAFE)
    assert code == EXIT_BLOCKED and plan["blocked"] is True
    mandatory: dict[str, list[str]] = {}
    for finding in plan["findings"]:
        if finding["enforcement_level"] == "mandatory":
            mandatory.setdefault(finding["policy"], []).append(finding["urn"].rsplit("$", 1)[-1])
    function_urns = sorted(f"aws:lambda/function:Function::{name}" for name in FUNCTIONS)
    assert {policy: sorted(urns) for policy, urns in mandatory.items()} == {
        "lambda-architecture": function_urns, "lambda-memory": function_urns, "lambda-image-size": function_urns,
        "ecr-scan-on-push": sorted(f"aws:ecr/repository:Repository::{name}" for name in FUNCTIONS)}
    printed = capsys.readouterr().out
    for policy in mandatory:
        assert f"[mandatory] {policy}" in printed
    assert "8 mandatory violation(s)" in printed


@pytest.mark.parametrize("size_mb, blocked", [("500", False), ("500.000001", True)])
def test_the_image_size_limit_holds_to_the_byte_through_the_whole_preview(tmp_path, size_mb, blocked):
    """500 MB is 500,000,000 bytes as ECR reports them: allowed; one byte more is refused, for each function's
    image (both are pushed at that size here)."""
    code, plan = pushed(tmp_path, "--stack", "prod", size_mb=size_mb)
    functions = image_functions(plan)
    for function in functions.values():
        assert function["inputs"]["tags"]["lambdakit:image-size-bytes"] == str(round(float(size_mb) * 1_000_000))
    assert code == (EXIT_BLOCKED if blocked else EXIT_CLEAN)
    assert sorted((f["policy"], f["urn"]) for f in plan["findings"]) == (
        sorted(("lambda-image-size", functions[name]["urn"]) for name in FUNCTIONS) if blocked else [])


def test_remediation_is_applied_to_the_plan_as_the_engine_would(tmp_path):
    code, plan = pushed(tmp_path, "--stack", "dev", "-c", "ecrScanOnPush=false",
                        policy_config={"ecr-scan-on-push-fix": "remediate"})
    assert code == EXIT_CLEAN
    repositories = {r["urn"]: r for r in plan["resources"] if r["type"] == "aws:ecr/repository:Repository"}
    assert sorted(r["name"] for r in repositories.values()) == list(FUNCTIONS)  # each function's
    assert sorted(r["urn"] for r in plan["remediations"]) == sorted(repositories)  # one each
    assert {r["policy"] for r in plan["remediations"]} == {"ecr-scan-on-push-fix"}
    for repository in repositories.values():
        assert repository["inputs"]["imageScanningConfiguration"] == {"scanOnPush": True}


def test_production_by_stack_tag_refuses_a_public_url(tmp_path):
    code, plan = pushed(tmp_path, "--stack", "dev", "--stack-tag", "environment=production")
    assert code == EXIT_BLOCKED
    assert [f["policy"] for f in plan["findings"]] == ["function-url-auth-in-production"]


def test_a_wrong_setting_stops_before_the_policies_with_its_message(tmp_path, capsys):
    code, plan = preview(tmp_path, "--stack", "prod", "-c", "memoryMb=100")
    assert code == EXIT_ERROR and plan == {}
    assert "lambdakit:memoryMb = 100: must be 128..10240 MB" in capsys.readouterr().err


def test_an_unknown_stack_is_named(tmp_path, capsys):
    assert preview(tmp_path, "--stack", "staging")[0] == EXIT_ERROR
    # A user's own stacks (Pulumi.alice.yaml) are listed too: only the project's two are certain to be there.
    listed = capsys.readouterr().err.split("no stack file Pulumi.staging.yaml; stacks here: ", 1)[1].split()[0:]
    assert {"dev", "prod"} <= {name.strip(",") for name in listed}


def test_the_command_line_exits_non_zero_when_blocked():
    finished = subprocess.run([sys.executable, "-m", "offline", "preview", "--stack", "dev", *UNSAFE],
                              cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert finished.returncode == EXIT_BLOCKED, finished.stderr
    assert "[mandatory] lambda-architecture" in finished.stdout


def test_what_aws_would_refuse_stops_the_preview_with_its_message(tmp_path, capsys, monkeypatch):
    from aws_account.account import SimulatedCloud
    from aws_account.refusals import AwsRefusal

    def refuse(self, *args):
        raise AwsRefusal("ResourceConflictException: The statement id (X) provided already exists.")
    monkeypatch.setattr(SimulatedCloud, "_permission", refuse)
    assert preview(tmp_path, "--stack", "dev")[0] == EXIT_ERROR
    assert capsys.readouterr().err.strip().endswith(
        "error: AWS would refuse this update: ResourceConflictException: The statement id (X) provided already exists.")


# The monthly cost estimate under the plan, and the pack's budget on the same figure.

def test_the_estimate_is_printed_under_the_plan_with_its_total_x86_64_and_traffic_multiples(tmp_path, capsys):
    code, plan = pushed(tmp_path, "--stack", "prod")
    printed = capsys.readouterr().out
    cost = plan["cost"]
    assert code == EXIT_CLEAN and cost["region"] == "eu-west-1" and cost["partial"] is False
    assert printed.index("Resources: ") < printed.index("Monthly cost estimate: eu-west-1")
    items = {(i["type"], i["name"]): i for i in cost["items"]}
    provisioned = items["aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "api"]
    assert provisioned["basis"].startswith("2 × 2048 MB × 730 h provisioned, arm64")  # Pulumi.prod.yaml
    # The worker is called by its schedule, every 5 minutes (730 h × 12), and its schedule bills each invocation.
    assert items["aws:lambda/function:Function", "worker"]["basis"].startswith(
        "8,760 requests (rate(5 minutes): 8,760 a month)")
    assert items["aws:scheduler/schedule:Schedule", "worker"]["basis"].startswith("8,760 invocations")
    assert re.search(rf" {provisioned['monthlyUsd']:.2f}  lambda/provisionedConcurrencyConfig api +2 × 2048 MB", printed)
    # Every cloud resource of the plan has a line, free ones included; components have none.
    planned = {(r["type"], r["name"]) for r in plan["resources"] if r["type"].startswith(("aws:", "docker:"))}
    assert set(items) == planned
    assert items["aws:iam/role:Role", "api"]["free"] is True
    assert cost["monthlyUsd"] == pytest.approx(sum(i["monthlyUsd"] for i in cost["items"]), abs=1e-3)
    assert cost["x86_64MonthlyUsd"] > cost["monthlyUsd"]  # arm64 is the cheaper architecture
    assert cost["monthlyUsd"] < cost["byTraffic"]["10x"]["monthlyUsd"] < cost["byTraffic"]["100x"]["monthlyUsd"]
    assert f"{cost['monthlyUsd']:,.2f}  total" in printed
    assert "the same stack on x86_64: arm64 saves" in printed and "at 100× the traffic" in printed


def test_before_the_first_push_the_estimate_is_partial_and_says_what_is_unknown(tmp_path, capsys):
    code, plan = preview(tmp_path, "--stack", "dev")
    assert code == EXIT_CLEAN and plan["cost"]["partial"] is True
    unknown = {i["name"]: i for i in plan["cost"]["items"] if i["monthlyUsd"] is None}
    # Each function's repository, its image's size known once it is pushed: each from its own function's image.
    assert sorted(unknown) == list(FUNCTIONS)
    for name, item in unknown.items():
        assert item["type"] == "aws:ecr/repository:Repository"
        assert item["basis"] == f"unknown: tags.lambdakit:image-size-bytes of {name} is not known until the update"
    assert "(partial: 2 items not known until the update)" in capsys.readouterr().out


def test_a_budget_below_the_estimate_blocks_with_exit_1_and_the_same_figure(tmp_path, capsys):
    code, plan = pushed(tmp_path, "--stack", "prod", policy_config={POLICY_BUDGET: {"maxMonthlyUsd": 50}})
    assert code == EXIT_BLOCKED
    [finding] = [f for f in plan["findings"] if f["policy"] == POLICY_BUDGET]
    assert finding["enforcement_level"] == "mandatory"
    assert f"estimate is {plan['cost']['monthlyUsd']:.2f} USD a month" in finding["message"]
    assert "over its budget of 50.00 USD (maxMonthlyUsd)" in finding["message"]


def test_the_stacks_own_budget_setting_holds_the_estimate_too(tmp_path):
    code, plan = pushed(tmp_path, "--stack", "prod", "-c", "budgetMonthlyUsd=40")
    assert code == EXIT_BLOCKED
    assert [f["policy"] for f in plan["findings"]] == [POLICY_BUDGET]
    assert "(the limit of the stack's AWS budget lambdakit-prod-monthly)" in plan["findings"][0]["message"]


def test_a_bad_usage_setting_stops_the_preview_before_anything_is_priced(tmp_path, capsys):
    code, plan = preview(tmp_path, "--stack", "dev", "-c", "usagePipelineRunsPerMonth=-3")
    assert code == EXIT_ERROR and plan == {}
    assert "lambdakit:usagePipelineRunsPerMonth = -3: must be 0..100000" in capsys.readouterr().err


# A wrong argument is one argparse line and exit 2, found before anything runs (issue 22): as a user runs it.

def preview_command(*args: str) -> subprocess.CompletedProcess:
    """`python -m offline preview`, as `make preview` runs it."""
    return subprocess.run([sys.executable, "-m", "offline", "preview", *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=120)


def assert_refused_before_the_run(finished: subprocess.CompletedProcess, message: str) -> None:
    assert finished.returncode == EXIT_ERROR, finished.stderr
    assert "Traceback" not in finished.stderr
    assert message in finished.stderr
    assert finished.stdout == ""  # no plan: the program never ran


@pytest.mark.parametrize("content, problem", [
    (None, "cannot read {path}: No such file or directory"),
    ('{"lambda-architecture": mandatory}', "{path} is not JSON: Expecting value: line 1 column 25"),
    ('["lambda-architecture"]', "{path} must hold a JSON object"),
], ids=["missing", "not JSON", "not an object"])
def test_a_policy_pack_config_that_cannot_be_used_is_named_with_its_problem(tmp_path, content, problem):
    path = tmp_path / "policy-config.json"
    if content is not None:
        path.write_text(content)
    assert_refused_before_the_run(preview_command("--policy-pack-config", str(path)),
                                  f"argument --policy-pack-config: {problem.format(path=path)}")


@pytest.mark.parametrize("size_mb", ["nan", "-5", "0", "inf", "57MB"])
def test_an_image_size_must_be_a_positive_finite_number(size_mb):
    assert_refused_before_the_run(preview_command("--image-size-mb", size_mb),
                                  f"argument --image-size-mb: must be a positive finite number, not '{size_mb}'")


def test_a_json_file_in_a_missing_folder_is_refused_before_the_run(tmp_path):
    target = tmp_path / "missing" / "plan.json"
    assert_refused_before_the_run(preview_command("--json", str(target)),
                                  f"argument --json: cannot write {target}: the folder {target.parent} does not exist")


@pytest.mark.parametrize("folder, problem", [("missing", "is not a folder"),
                                             ("empty", "is not a policy pack: it has no PulumiPolicy.yaml")])
def test_a_policy_pack_folder_must_be_a_pack(tmp_path, folder, problem):
    (tmp_path / "empty").mkdir()
    assert_refused_before_the_run(preview_command("--policy-pack", str(tmp_path / folder)),
                                  f"argument --policy-pack: {tmp_path / folder} {problem}")
