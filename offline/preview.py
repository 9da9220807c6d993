"""`python -m offline preview`: what `pulumi preview --policy-pack policies` shows, with no cloud and no CLI.

The program runs on Pulumi's mock engine with simulated AWS answers; the policy pack runs as its
own process and is driven over the analyzer protocol as the engine drives it.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc

from aws_account.account import SimulatedCloud
from aws_account.refusals import AwsRefusal
from commands.arguments import positive, writable_file
from offline.cost_report import planned_resources, render_cost
from offline.engine import ProgramRun, run_program
from offline.judging import Judging
from offline.policy_engine import (PolicyPackError, PolicyPackProcess, PolicyReport, parse_policy_config,
                                   stack_findings, stack_request)
from offline.stack_config import StackConfig, StackConfigError, load_stack_config
from policies.cost.model import project
from policies.cost.stack import stack_inputs

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXIT_CLEAN, EXIT_BLOCKED, EXIT_ERROR = 0, 1, 2

# The properties worth a glance in the plan, per resource type.
KEY_PROPERTIES = {
    "aws:ecr/repository:Repository": ("imageScanningConfiguration.scanOnPush", "imageTagMutability", "forceDelete"),
    "docker:index/image:Image": ("imageName", "build.platform"),
    "aws:lambda/function:Function": ("architectures", "memorySize", "timeout", "imageUri",
                                     "reservedConcurrentExecutions"),
    "aws:lambda/alias:Alias": ("name", "functionVersion"),
    "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": (
        "qualifier", "provisionedConcurrentExecutions"),
    "aws:lambda/functionUrl:FunctionUrl": ("authorizationType", "qualifier"),
    "aws:lambda/permission:Permission": ("statementId", "action", "principal"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("metricTransformation.name", "metricTransformation.value"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("metricName", "extendedStatistic", "comparisonOperator", "threshold"),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName",),
    "aws:sns/topic:Topic": ("name", "kmsMasterKeyId"),
    "aws:sns/topicSubscription:TopicSubscription": ("protocol", "endpoint"),
    "aws:codepipeline/pipeline:Pipeline": ("name", "pipelineType", "executionMode"),
    "aws:codebuild/project:Project": ("name", "environment.type", "environment.privilegedMode"),
    "aws:codedeploy/deploymentConfig:DeploymentConfig": ("deploymentConfigName",),
    "aws:codedeploy/deploymentGroup:DeploymentGroup": ("deploymentGroupName", "alarmConfiguration.alarms"),
    "aws:codeconnections/connection:Connection": ("name", "providerType"),
    "aws:secretsmanager/secret:Secret": ("name",),
}


def _display(value: Any) -> Any:
    """Unknowns and secrets shown the way the CLI shows them."""
    if value == rpc.UNKNOWN:
        return "(unknown)"
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return "[secret]"
        return {k: _display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_display(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _lookup(properties: dict, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(properties, dict) or part not in properties:
            return None
        properties = properties[part]
    return properties


def plan_rows(run: ProgramRun, report: PolicyReport) -> list[dict]:
    """Each resource with its parent and the inputs it would be created with (after remediation)."""
    rows = []
    for resource in run.resources:
        inputs = _display(json_format.MessageToDict(report.analyzed_inputs[resource.urn]))
        rows.append({"urn": resource.urn, "type": resource.type, "name": resource.name,
                     "parent": resource.parent, "inputs": inputs})
    return rows


def _ancestry(row: dict, rows_by_urn: dict[str, dict]) -> tuple:
    parent = rows_by_urn.get(row["parent"])
    return (() if parent is None else _ancestry(parent, rows_by_urn) + (parent["urn"],))


def render_plan(config: StackConfig, rows: list[dict], report: PolicyReport, pack: str) -> str:
    rows_by_urn = {row["urn"]: row for row in rows}
    lines = [f"Previewing {config.project}/{config.stack} offline: mock engine, simulated AWS, policy pack {pack}", "",
             f" +  pulumi:pulumi:Stack  {config.project}-{config.stack}"]
    ordered = sorted(rows, key=lambda r: _ancestry(r, rows_by_urn) + (r["urn"],))  # each under its parent
    for row in ordered:
        details = "  ".join(f"{path}={json.dumps(value)}" for path in KEY_PROPERTIES.get(row["type"], ())
                            if (value := _lookup(row["inputs"], path)) is not None)
        indent = "   " * (len(_ancestry(row, rows_by_urn)) + 1)
        lines.append(f" + {indent}{row['type']}  {row['name']}  {details}".rstrip())
    if report.remediations:
        lines += ["", "Remediations:"]
        lines += [f"  {r.policy}  {r.urn.rsplit('::', 1)[-1]}: changed inputs before create" for r in report.remediations]
    lines += ["", "Policies:"]
    if not report.findings:
        lines.append("  no violations")
    for finding in report.findings:
        where = _type_and_name(finding.urn) if finding.urn else "(stack)"
        message = finding.message.replace("\n", "\n      ")
        lines.append(f"  [{finding.enforcement_level}] {finding.policy}  ({finding.severity or 'n/a'})  {where}\n"
                     f"      {message}")
    mandatory = sum(f.enforcement_level == "mandatory" for f in report.findings)
    lines += ["", f"Resources: {len(rows) + 1} to create. "
                  f"{mandatory} mandatory violation(s), {len(report.findings) - mandatory} advisory."]
    return "\n".join(lines)


def _type_and_name(urn: str) -> str:
    qualified_type, name = urn.split("::")[2:4]
    return f"{qualified_type.split('$')[-1]}  {name}"


def _key_values(pairs: list[str], option: str) -> dict[str, str]:
    """KEY=VALUE arguments of `option` as a mapping."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise StackConfigError(f"{option} {pair!r} must be KEY=VALUE")
        values[key] = value
    return values


def _policy_pack_config_file(text: str) -> Path:
    """--policy-pack-config: a readable file holding a JSON object, checked before anything runs (main() reads it
    again for the pack's config)."""
    try:
        parsed = json.loads(Path(text).read_text())
    except OSError as unreadable:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {unreadable.strerror}") from None
    except ValueError as not_json:  # JSONDecodeError, or bytes that are not UTF-8
        raise argparse.ArgumentTypeError(f"{text} is not JSON: {not_json}") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"{text} must hold a JSON object ({{\"policy-name\": \"mandatory\", ...}}), "
                                         f"not {type(parsed).__name__}")
    return Path(text)


def _policy_pack_folder(text: str) -> str:
    """--policy-pack: a folder with a PulumiPolicy.yaml, as the CLI requires; refused at parsing, not when the pack
    fails to start."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a folder")
    if not (Path(text) / "PulumiPolicy.yaml").is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a policy pack: it has no PulumiPolicy.yaml")
    return text


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", "-s", default="dev", help="stack whose Pulumi.<stack>.yaml is used")
    parser.add_argument("--config", "-c", action="append", default=[], metavar="KEY=VALUE",
                        help="override a stack setting, as pulumi preview -c does")
    parser.add_argument("--policy-pack", type=_policy_pack_folder, default=str(PROJECT_DIR / "policies"),
                        help="policy pack folder")
    parser.add_argument("--policy-pack-config", type=_policy_pack_config_file,
                        help="JSON file, as the CLI's --policy-pack-config")
    parser.add_argument("--stack-tag", action="append", default=[], metavar="KEY=VALUE",
                        help="a stack tag the pack sees (e.g. environment=production)")
    parser.add_argument("--image-size-mb", type=positive,
                        help="size ECR reports for the pushed image; without it the image counts as not yet "
                             "pushed, as in a first preview, and rules needing its digest or size cannot run")
    parser.add_argument("--json", type=writable_file, metavar="FILE",
                        help="also write the plan, the findings and the cost estimate as JSON")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    try:
        config = load_stack_config(PROJECT_DIR, args.stack)
        config.values.update({(k if ":" in k else f"{config.project}:{k}"): v
                              for k, v in _key_values(args.config, "--config").items()})
        stack_tags = _key_values(args.stack_tag, "--stack-tag")
        given = parse_policy_config(args.policy_pack_config.read_text() if args.policy_pack_config else "")
        size = None if args.image_size_mb is None else round(args.image_size_mb * 1_000_000)
        region = config.values.get("aws:region", "us-east-1")
        with PolicyPackProcess(Path(args.policy_pack).resolve(), config) as pack:
            judging = Judging(pack, config, stack_tags, given)  # each resource as the program registers it
            run = run_program(PROJECT_DIR, config, SimulatedCloud(region=region, image_size_bytes=size),
                              judging.registered)
            report = judging.report(run)
            info = judging.info
            # The pack judges the whole stack in its process while this one lays out the plan and the estimate
            # (bench/preview_scale.py: each took a few tenths of a second at 20 functions, one after the other).
            judging_stack = pack.analyzer.AnalyzeStack.future(stack_request(run, report, config))
            rows = plan_rows(run, report)
            usage, prices = stack_inputs(config.values.get, config.project, os.environ)
            cost = project(planned_resources(run, report), usage, prices)
            report.findings.extend(stack_findings(judging_stack.result()))
    except (StackConfigError, PolicyPackError, pulumi.RunError) as error:
        # RunError is how a program stops cleanly (a SettingsError is one): message, no traceback.
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except AwsRefusal as refusal:
        print(f"error: AWS would refuse this update: {refusal}", file=sys.stderr)
        return EXIT_ERROR
    print(render_plan(config, rows, report, f"{info.name}"))
    print("\n" + render_cost(cost))
    if args.json:
        args.json.write_text(json.dumps({"project": config.project, "stack": config.stack, "resources": rows,
                                         "blocked": report.blocked, **report.as_json(), "cost": cost.as_json()},
                                        indent=2))
    return EXIT_BLOCKED if report.blocked else EXIT_CLEAN
