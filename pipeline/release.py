"""`python -m pipeline.release`: one of the Deploy stage's Canary actions, for one function. A CodeDeploy deployment
moves the function's alias from the version it points at to the version the PulumiUp action left the function with
(its entry in FUNCTION_VERSIONS, which holds every function's), as the deployment group's configuration says (a
canary, then all traffic), and this command waits for it to end: a deployment that outlasts its wait is stopped
and rolled back. Each function has its own deployment group and alarms, so one function's rollback leaves the
others' releases alone.

Nothing is started when the alias already points at that version (`pulumi up` published nothing new for the
function: its image and settings did not change):
CodeDeploy fails a canary from a version to itself. A deployment that fails or is rolled back (an alarm
fired) fails the stage, with CodeDeploy's reason.
"""

import argparse
import hashlib
import json
import math
import os
import sys
from typing import Optional

import boto3
from botocore.exceptions import WaiterError

from pipeline.deploy_stage import PUBLISHED_VERSION

POLL_SECONDS = 15
# Beyond the canary's own wait: CodeDeploy's checks before and after each shift.
MARGIN_MINUTES = 10
UNFINISHED = ("Created", "Queued", "InProgress", "Baking", "Ready")


def target_version(versions: str, function_name: str) -> str:
    """The function's version in FUNCTION_VERSIONS ({function name: version}, JSON); ValueError saying what is
    wrong."""
    try:
        given = json.loads(versions)
    except json.JSONDecodeError:
        raise ValueError(f"FUNCTION_VERSIONS {versions[:80]!r} is not JSON (was it resolved by CodePipeline?)") from None
    if not isinstance(given, dict) or function_name not in given:
        known = ", ".join(sorted(given)) if isinstance(given, dict) else "nothing"
        raise ValueError(f"FUNCTION_VERSIONS has no version of {function_name} (it has {known})")
    version = str(given[function_name])
    if not PUBLISHED_VERSION.match(version):
        raise ValueError(f"FUNCTION_VERSIONS gives {function_name} {version!r}, not a published version number")
    return version


def appspec(function_name: str, alias: str, current: str, target: str) -> str:
    """The AppSpec of a Lambda deployment (version 0.0): one function, the alias, from `current` to `target`."""
    return json.dumps({"version": 0.0, "Resources": [{function_name: {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Name": function_name, "Alias": alias, "CurrentVersion": current, "TargetVersion": target}}}]})


def deployment_config_name(codedeploy, deployment_id: str) -> str:
    """The configuration the deployment runs with (the group's, as CodeDeploy resolved it). Read from the
    deployment, not the group: the release project's role may get deployments, not deployment groups."""
    return codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["deploymentConfigName"]


def canary_minutes(codedeploy, config_name: str) -> int:
    """How long the configuration waits between its shifts (0 for all at once)."""
    routing = codedeploy.get_deployment_config(deploymentConfigName=config_name)["deploymentConfigInfo"].get(
        "trafficRoutingConfig") or {}
    timing = routing.get("timeBasedCanary") or routing.get("timeBasedLinear") or {}
    interval = timing.get("canaryInterval") or timing.get("linearInterval") or 0
    steps = math.ceil(100 / timing["linearPercentage"]) if "linearPercentage" in timing else 1
    return interval * steps


def start(codedeploy, application: str, group: str, function_name: str, alias: str, current: str, target: str) -> str:
    content = appspec(function_name, alias, current, target)
    return codedeploy.create_deployment(
        applicationName=application, deploymentGroupName=group,
        description=f"{function_name}:{alias} from version {current} to {target}",
        revision={"revisionType": "AppSpecContent",
                  "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()}},
    )["deploymentId"]


def outcome(codedeploy, deployment_id: str) -> str:
    """Why a deployment did not succeed, in CodeDeploy's words."""
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    error = info.get("errorInformation") or {}
    rolled_back = " and was rolled back" if (info.get("rollbackInfo") or {}).get("rollbackDeploymentId") else ""
    return (f"deployment {deployment_id} ended {info['status']}{rolled_back}: "
            f"{error.get('code', 'no error code')}: {error.get('message', 'no message')}")


def release(lambda_client, codedeploy, function_name: str, alias: str, target: str, application: str,
            group: str) -> tuple[bool, str]:
    """Move the alias to `target` through CodeDeploy; whether it succeeded, and what happened."""
    current = lambda_client.get_alias(FunctionName=function_name, Name=alias)["FunctionVersion"]
    if current == target:
        return True, f"{function_name}:{alias} already runs version {target}; nothing to release"
    deployment_id = start(codedeploy, application, group, function_name, alias, current, target)
    print(f"deployment {deployment_id}: {function_name}:{alias} from version {current} to {target}", flush=True)
    minutes = canary_minutes(codedeploy, deployment_config_name(codedeploy, deployment_id))
    attempts = math.ceil((minutes + MARGIN_MINUTES) * 60 / POLL_SECONDS)
    try:
        codedeploy.get_waiter("deployment_successful").wait(
            deploymentId=deployment_id, WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": attempts})
    except WaiterError as ended:
        if (ended.last_response or {}).get("deploymentInfo", {}).get("status") in UNFINISHED:
            # Out of patience, not failed: stop it, and roll back, rather than leave a canary running unwatched.
            codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
        return False, outcome(codedeploy, deployment_id)
    return True, f"{function_name}:{alias} now runs version {target} (deployment {deployment_id})"


def main(argv: Optional[list[str]] = None) -> int:
    environ = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m pipeline.release", description=__doc__.splitlines()[0])
    parser.add_argument("--function", default=environ("FUNCTION_NAME"), help="function name (FUNCTION_NAME)")
    parser.add_argument("--alias", default=environ("ALIAS"), help="alias (ALIAS)")
    parser.add_argument("--versions", default=environ("FUNCTION_VERSIONS"),
                        help="every function's version after PulumiUp, JSON {function name: version} "
                             "(FUNCTION_VERSIONS)")
    parser.add_argument("--application", default=environ("APPLICATION"), help="CodeDeploy application (APPLICATION)")
    parser.add_argument("--deployment-group", default=environ("DEPLOYMENT_GROUP"),
                        help="CodeDeploy deployment group (DEPLOYMENT_GROUP)")
    args = parser.parse_args(argv)
    missing = [name for name, value in vars(args).items() if not value]
    if missing:
        parser.error(f"missing: {', '.join(missing)}")
    try:
        target = target_version(args.versions, args.function)
    except ValueError as bad:
        parser.error(str(bad))
    succeeded, message = release(boto3.client("lambda"), boto3.client("codedeploy"), args.function, args.alias,
                                 target, args.application, args.deployment_group)
    print(message, file=sys.stdout if succeeded else sys.stderr)
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
