"""The Deploy stage's `pulumi up --refresh --policy-pack policies`, as the deploy role makes it: every resource of
the state read, the preview judged by the pack, then each create, update and delete the program causes made as
the calls the provider makes for it (aws_account/provider_calls.json), each authorized as IAM would."""

import asyncio
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from pulumi.runtime.sync_await import _ensure_event_loop

from aws_account import provider_calls
from aws_account.authority import Authority, Principal
from aws_account.refusals import AwsRefusal
from offline.engine import ProgramRun, run_program
from offline.policy_engine import PolicyPackProcess, analyze, configure, parse_policy_config
from offline.rehearsal.timeline import Timeline
from offline.stack_config import StackConfig

STAGE = "Deploy"
# What pulumi-docker's provider answers when no daemon is there (pulumi/pulumi-docker#1106).
NO_DAEMON = ("Docker native provider returned an unexpected error from Configure: failed to connect to any docker "
             "daemon (the build environment is not privileged, so CodeBuild started no Docker daemon)")
# Offline the pack is given no AWS credentials (policy_engine.offline_environment), so it cannot read the pushed
# image's findings; the Scan stage has judged the same digest with the same decision (policies/scan_findings.py).
_TAGS = ("tags", "tagsAll")
_PACK_CONFIG = '{"lambda-image-scan-findings": "advisory"}'


@dataclass
class DeployOutcome:
    run: Optional[ProgramRun]
    refused: str = ""  # why the update stopped: a refused call, the pack, a provider's error
    pipeline_changed: bool = False  # the update changed the pipeline's own definition


class DeployCaller:
    """The account's caller while the deploy role's `pulumi up` runs (SimulatedCloud.caller)."""

    def __init__(self, authority: Authority, principal: Principal, timeline: Timeline, has_daemon: bool):
        self.authority, self.principal, self.timeline, self.has_daemon = authority, principal, timeline, has_daemon
        self.changes: list[tuple[str, str, list[str]]] = []  # (operation, type, properties other than tags)

    def _authorize(self, calls: list) -> None:
        for call in (c for c in calls if c.needs_permission):
            verdict = self.timeline.call(STAGE, self.authority.decide(self.principal, call.action, call.resource,
                                                                      call.context))
            if not verdict.allowed:
                raise AwsRefusal(verdict.message())

    def _scope(self) -> dict:
        cloud = self.authority.cloud
        return {"partition": cloud.partition, "region": cloud.region, "account": cloud.account_id}

    def change(self, operation: str, typ: str, state: dict, previous: Optional[dict], changed: list[str]) -> None:
        if provider_calls.needs_docker_daemon(typ) and not self.has_daemon:
            raise AwsRefusal(NO_DAEMON)
        if operation == "update" and not provider_calls.updatable(typ, changed):
            # A replacement: the new resource is created, then the old one deleted.
            self._authorize(provider_calls.calls(typ, "create", state, **self._scope()))
            self._authorize(provider_calls.calls(typ, "delete", previous, **self._scope()))
        else:
            self._authorize(provider_calls.calls(typ, operation, state, changed=changed, previous_state=previous,
                                                 **self._scope()))
        self.changes.append((operation, typ, [name for name in changed if name not in _TAGS]))

    def invoke(self, token: str, args: dict) -> None:
        self._authorize(provider_calls.invoke_calls(token, args, **self._scope()))

    def refresh(self) -> None:
        """`--refresh`: every resource of the state read by its provider."""
        cloud = self.authority.cloud
        for provider in ("aws", "docker"):
            if provider == "docker" and not any(provider_calls.needs_docker_daemon(r.type)
                                                for r in cloud.resources.values()):
                continue
            self._authorize(provider_calls.provider_calls(f"pulumi:providers:{provider}", **self._scope()))
        for resource in list(cloud.resources.values()):
            if provider_calls.needs_docker_daemon(resource.type) and not self.has_daemon:
                raise AwsRefusal(NO_DAEMON)
            self._authorize(provider_calls.calls(resource.type, "read", resource.outputs, **self._scope()))


def _quiet_refusals(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """A refused call fails every registration waiting on it, and asyncio prints each of those futures' copy of the
    refusal when it is collected; the rehearsal reports the refusal once, on its timeline."""
    if not isinstance(context.get("exception"), AwsRefusal):
        loop.default_exception_handler(context)


def _preview_blocked(project_dir: Path, config: StackConfig, cloud) -> tuple[Optional[ProgramRun], str]:
    """The update's preview, on a copy of the account, judged by the pack: what stops `pulumi up` before any
    change (a mandatory violation, or the program's own refusal)."""
    with PolicyPackProcess(project_dir / "policies", config) as pack:
        run = run_program(project_dir, config, copy.deepcopy(cloud))
        configure(pack.analyzer, config, {}, parse_policy_config(_PACK_CONFIG))
        report = analyze(pack.analyzer, run, config)
    if report.blocked:
        found = [f"{f.policy}: {f.message}" for f in report.findings if f.enforcement_level == "mandatory"]
        return None, "the policy pack blocked the update: " + "; ".join(found)
    return run, ""


def pulumi_up(project_dir: Path, config: StackConfig, authority: Authority, principal: Principal,
              timeline: Timeline, has_daemon: bool, pipeline_type: str) -> DeployOutcome:
    """Refresh, preview with the pack, update: as the Deploy stage's build runs them."""
    cloud = authority.cloud
    caller = DeployCaller(authority, principal, timeline, has_daemon)
    _ensure_event_loop().set_exception_handler(_quiet_refusals)  # the loop the engine runs the program on
    try:
        caller.refresh()
        _, blocked = _preview_blocked(project_dir, config, cloud)
        if blocked:
            return DeployOutcome(None, blocked)
        cloud.caller = caller
        try:
            run = run_program(project_dir, config, cloud)
        finally:
            cloud.caller = None
    except AwsRefusal as refusal:
        return DeployOutcome(None, str(refusal))
    # Tags are not the pipeline's definition: TagResource leaves its executions alone.
    redefined = any(op == "update" and typ == pipeline_type and changed for op, typ, changed in caller.changes)
    return DeployOutcome(run, "", redefined)
