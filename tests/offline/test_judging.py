"""The pack asked of each resource as the program registers it (offline/judging.py): the same verdicts as asking it
of each resource after the program, one call after another, remediations included; every resource handed over as
it is registered; a pack that cannot start named, as before."""

import json
from pathlib import Path

import pytest
from google.protobuf import json_format

from aws_account.account import SimulatedCloud
from offline.engine import run_program
from offline.judging import Judging
from offline.policy_engine import PolicyPackError, PolicyPackProcess, configure, judge_resources, parse_policy_config
from offline.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR

REMEDIATE = '{"ecr-scan-on-push-fix": "remediate"}'


def _unscanned_dev():
    config = load_stack_config(PROJECT_DIR, "dev")
    config.values["lambdakit:ecrScanOnPush"] = "false"  # what the remediation turns on
    return config


def _as_data(report) -> dict:
    return {"findings": [(f.urn, f.policy, f.enforcement_level, f.message) for f in report.findings],
            "remediations": [(r.policy, r.urn, r.before, r.after) for r in report.remediations],
            "analyzed": {urn: json_format.MessageToDict(inputs) for urn, inputs in report.analyzed_inputs.items()}}


def test_verdicts_asked_as_resources_register_are_those_asked_after_the_program():
    config = _unscanned_dev()
    with PolicyPackProcess(PROJECT_DIR / "policies", config) as pack:
        judging = Judging(pack, config, {}, parse_policy_config(REMEDIATE))
        run = run_program(PROJECT_DIR, config, SimulatedCloud(region="eu-west-1", image_size_bytes=57_000_000),
                          judging.registered)
        asked_while_running = _as_data(judging.report(run))
        configure(pack.analyzer, config, {}, parse_policy_config(REMEDIATE))
        asked_after = _as_data(judge_resources(pack.analyzer, run, config))
    assert asked_while_running == asked_after
    repositories = [r.urn for r in run.of_type("aws:ecr/repository:Repository")]
    assert sorted(urn for _, urn, _, _ in asked_while_running["remediations"]) == sorted(repositories)
    for urn in repositories:  # Analyze judged the remediated inputs, not the ones registered
        assert asked_while_running["analyzed"][urn]["imageScanningConfiguration"] == {"scanOnPush": True}
    assert judging.info.name == "lambdakit-guardrails"


def test_each_resource_is_handed_over_as_it_is_registered():
    handed: list[tuple[str, int]] = []
    cloud = SimulatedCloud(region="eu-west-1")
    run = run_program(PROJECT_DIR, load_stack_config(PROJECT_DIR, "dev"), cloud,
                      lambda resource: handed.append((resource.urn, resource.custom and any(
                          r.urn == resource.urn for r in cloud._resources_of(resource.type)))))
    assert [urn for urn, _ in handed] == [r.urn for r in run.resources]
    # Each AWS resource exists in the account when it is handed over: the program is still running.
    assert all(in_account for (urn, in_account), r in zip(handed, run.resources) if r.custom)


def test_a_pack_that_cannot_start_is_named_once_the_program_has_run(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('no pack here')\n")
    config = load_stack_config(PROJECT_DIR, "dev")
    with PolicyPackProcess(tmp_path, config) as pack:
        judging = Judging(pack, config, {}, {})
        run = run_program(PROJECT_DIR, config, SimulatedCloud(region="eu-west-1"), judging.registered)
        with pytest.raises(PolicyPackError, match="(?s)did not start:.*no pack here"):
            judging.report(run)
