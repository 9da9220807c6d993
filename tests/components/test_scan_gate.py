"""The scan gate as the program deploys it on a stack with a pipeline (the only one that calls it): a zip of the
gate and the shared decision, on arm64, with a role that reads the stack's repositories' findings and ends pipeline
jobs, and its own alarms."""

import json

import pytest

from components.scan_gate import PACKAGE, RUNTIME
from policies.scan_findings import FAIL_ON, FAIL_ON_FIXABLE, IGNORED, MAX_WAIT
from tests.conftest import PROJECT_DIR

FUNCTION, POLICY = "aws:lambda/function:Function", "aws:iam/rolePolicy:RolePolicy"


def gate(run):
    return run.under("scan-gate")


def test_a_stack_without_a_pipeline_has_no_gate(dev_run):
    assert dev_run.under("scan-gate").resources == []
    assert not any("scan-gate" in f.inputs["name"] for f in dev_run.of_type(FUNCTION))
    assert "scanGateFunctionName" not in dev_run.exports


def test_the_gate_is_a_zip_on_arm64_named_after_the_stack(prod_run):
    function = gate(prod_run).one(FUNCTION).inputs
    stack = "lambdakit-prod"
    assert function["name"] == f"{stack}-scan-gate" == prod_run.exports["scanGateFunctionName"]
    assert (function["packageType"], function["runtime"], function["handler"]) == ("Zip", RUNTIME, "app.handler")
    assert function["architectures"] == ["arm64"]
    assert function["loggingConfig"]["logGroup"] == f"/aws/lambda/{stack}-scan-gate"


def test_the_package_holds_the_handler_and_the_packs_own_decision(prod_run):
    code = gate(prod_run).one(FUNCTION).inputs["code"]
    assert {name: asset.path for name, asset in code.assets.items()} == {
        "app.py": "functions/scan-gate/app.py", "scan_findings.py": "policies/scan_findings.py"}
    # The handler imports the decision as a sibling module, which the archive provides.
    assert "from scan_findings import" in (PROJECT_DIR / PACKAGE["app.py"]).read_text()


def test_the_gate_reads_only_its_stacks_repositories_and_ends_jobs(prod_run):
    """Each function's image is scanned in its own repository: the gate reads the api's and the worker's, no other."""
    statements = {s["Sid"]: s for s in json.loads(gate(prod_run).one(POLICY).inputs["policy"])["Statement"]}
    repositories = sorted(prod_run.under(name).one("aws:ecr/repository:Repository").state["arn"]
                          for name in ("api", "worker"))
    assert statements["ReadScanFindings"]["Action"] == ["ecr:DescribeImageScanFindings"]
    assert statements["ReadScanFindings"]["Resource"] == repositories
    assert len(set(repositories)) == 2
    assert statements["EndPipelineJobs"]["Action"] == ["codepipeline:PutJobSuccessResult",
                                                       "codepipeline:PutJobFailureResult"]
    assert set(statements) == {"WriteOwnLogs", "WriteTraces", "ReadScanFindings", "EndPipelineJobs"}


def test_reading_enhanced_findings_is_granted_only_with_enhanced_scanning(stack_runner, prod_run):
    run = stack_runner("prod", {"ecrEnhancedScanning": "SCAN_ON_PUSH"})
    statements = {s["Sid"]: s for s in json.loads(gate(run).one(POLICY).inputs["policy"])["Statement"]}
    # Whether Inspector has scanned the image (ListCoverage), then its findings (ListFindings): policies/scan_findings.py
    assert statements["ReadEnhancedFindings"]["Action"] == ["inspector2:ListCoverage", "inspector2:ListFindings"]
    without = {s["Sid"] for s in json.loads(gate(prod_run).one(POLICY).inputs["policy"])["Statement"]}
    assert "ReadEnhancedFindings" not in without


def test_the_stacks_thresholds_are_the_gates_defaults(stack_runner):
    run = stack_runner("prod", {"scanFailOnSeverities": ["CRITICAL", "HIGH"], "scanFailOnFixableSeverities": [],
                                "scanIgnoredVulnerabilities": ["CVE-2023-52425"], "scanMaxWaitMinutes": 45})
    defaults = json.loads(gate(run).one(FUNCTION).inputs["environment"]["variables"]["GATE_DEFAULTS"])
    # The thresholds only: no repository, since each pipeline action names the repository of the image it scans.
    assert defaults == {FAIL_ON: ["CRITICAL", "HIGH"], FAIL_ON_FIXABLE: [], IGNORED: ["CVE-2023-52425"], MAX_WAIT: 45}


def test_the_gate_has_the_alarms_a_machine_called_function_needs(prod_run):
    alarms = {a.inputs["name"].rsplit("-scan-gate-", 1)[1]: a.inputs
              for a in gate(prod_run).of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    # No cold-start rate (a rarely called gate is cold by design) and no URL: it has none.
    assert set(alarms) == {"init-duration", "error-rate", "throttles", "duration"}
    assert alarms["throttles"]["dimensions"] == {"FunctionName": gate(prod_run).one(FUNCTION).inputs["name"]}
    assert "the function" in alarms["duration"]["alarmDescription"] and "alias" not in alarms["duration"]["alarmDescription"]


@pytest.mark.parametrize("frequency", ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"])
def test_enhanced_scanning_covers_the_stacks_repositories_when_asked(stack_runner, frequency):
    """Every function's repository, and only those; a stack without a pipeline (no gate) may ask for it too."""
    run = stack_runner("dev", {"ecrEnhancedScanning": frequency})
    configuration = run.one("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration").inputs
    assert set(configuration) == {"scanType", "rules"} and configuration["scanType"] == "ENHANCED"
    [rule] = configuration["rules"]
    assert rule["scanFrequency"] == frequency
    assert sorted(rule["repositoryFilters"], key=lambda f: f["filter"]) == [
        {"filter": "lambdakit-dev-api", "filterType": "WILDCARD"},
        {"filter": "lambdakit-dev-worker", "filterType": "WILDCARD"}]


def test_the_registry_is_left_alone_by_default(any_stack_run):
    assert any_stack_run.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration") == []
