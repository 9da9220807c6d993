"""Simulated providers for Pulumi's mock engine: one AWS account, and Docker pushing into it.

Each resource gets the outputs its real provider computes (ARNs, URLs, a pushed image's digest),
so everything downstream of them is known, as during a real update. The account keeps its state
from one run of the program to the next (each run is one `pulumi up`), and it refuses what AWS
and the providers refuse, with their messages: names AWS rejects, values outside its limits, a tag
pushed again into an IMMUTABLE repository, a function created before it may pull its image, a
statement id used twice. Where a provider acts on its own (the AWS provider adds public grants when
it creates a NONE function URL), the account does the same, so a program that relies on the
opposite fails here too. Sources: each service's API reference; for the providers, their code
(pulumi-docker provider/provider.go, terraform-provider-aws internal/service/lambda). Limits and enums come
from botocore's service models and the services' user guides (aws_limits.py names them). Where no AWS text was
found for a refusal, the message is the simulation's own and the check's docstring says so.

This module is the engine's side of the account: registrations and invokes, dispatched to one mixin per
service family (ecr.py, iam.py, lambda_.py, ...). The engine calls it from its worker threads, so each of
those calls holds the account's lock from start to end: one step is atomic, as one provider call is.
"""

import copy
import functools
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

import botocore.loaders
import pulumi

from aws_account.codedeploy import SimulatedCodeDeploy
from aws_account.delivery import SimulatedDelivery
from aws_account.ecr import Repository, SimulatedEcr, pulumi_docker_context_digest
from aws_account.events import SimulatedEvents
from aws_account.iam import SimulatedIam
from aws_account.ids import short_hash
from aws_account.lambda_ import SimulatedLambda
from aws_account.logs import SimulatedLogs
from aws_account.monitoring import SimulatedMonitoring
from aws_account.notifications import SimulatedNotifications
from aws_account.refusals import AwsRefusal, known
from aws_account.scheduler import SimulatedScheduler
from aws_account.sqs import SimulatedSqs
from aws_account.storage import SimulatedStorage

ACCOUNT_ID = "123456789012"


@functools.cache
def known_regions() -> frozenset[str]:
    """Every Region botocore's endpoint data names, in every partition: what the AWS provider's Configure accepts
    (it refuses any other name unless told to skip the check)."""
    endpoints = botocore.loaders.Loader().load_data("endpoints")
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Caller(Protocol):
    """Whoever makes the provider's calls, asked before each step takes effect; raises AwsRefusal to refuse it."""

    def change(self, operation: str, typ: str, state: dict, previous: Optional[dict], changed: list[str]) -> None: ...

    def invoke(self, token: str, args: dict) -> None: ...


@dataclass
class _Resource:
    urn: str
    type: str
    inputs: dict
    outputs: dict
    compared: dict  # what the provider's Diff compares, from the inputs


class SimulatedCloud(SimulatedEcr, SimulatedIam, SimulatedLogs, SimulatedLambda, SimulatedMonitoring,
                     SimulatedNotifications, SimulatedStorage, SimulatedDelivery, SimulatedCodeDeploy, SimulatedEvents,
                     SimulatedScheduler, SimulatedSqs, pulumi.runtime.Mocks):
    """One AWS account in `region`, answering registrations and invokes as the providers would.

    `image_size_bytes` is what ECR reports for a pushed image. None means the image is not pushed,
    as in a preview before the first `up`: its digest is unknown, so the engine never asks ECR for
    its size, and everything built on either stays unknown.
    """

    def __init__(self, region: str = "eu-west-1", image_size_bytes: Optional[int] = None,
                 account_concurrency: int = 1000):
        if region not in known_regions():
            raise AwsRefusal(f"invalid AWS Region: {region!r} (aws:region must name a Region, e.g. eu-west-1)")
        self.region, self.partition = region, partition_of(region)
        self.account_id = ACCOUNT_ID
        self.deployer_arn = f"arn:{self.partition}:iam::{ACCOUNT_ID}:user/deployer"  # who runs `pulumi up`
        self.account_concurrency = account_concurrency  # the Region's concurrency quota (default 1000)
        self.image_size_bytes = image_size_bytes
        # Held for the whole of each engine call (new_resource, delete_all_but, call) and each public method, as
        # the engine registers from worker threads; re-entrant, as a step may call one (an image's push_image).
        self._lock = threading.RLock()
        self.resources: dict[str, _Resource] = {}  # by URN: what the stack has created
        self.repositories: dict[str, Repository] = {}
        self.function_policies: dict[tuple[str, str], dict[str, dict]] = {}  # (function, qualifier) -> Sid -> statement
        self.function_images: dict[tuple[str, str], Any] = {}  # (function, version) -> the image it runs
        self.kms_aliases: set[str] = set()
        # Who makes the provider's calls: None for a person's administrator credentials; the release rehearsal
        # puts the pipeline's deploy role here, which authorizes each step's calls (and may refuse them).
        self.caller: Optional[Caller] = None
        self._builds = itertools.count(1)
        self._creators: dict[str, Callable[[Any, Optional[_Resource], dict, str], dict]] = {
            **self.ecr_creators(), **self.iam_creators(), **self.logs_creators(), **self.lambda_creators(),
            **self.monitoring_creators(), **self.notification_creators(), **self.storage_creators(),
            **self.delivery_creators(), **self.codedeploy_creators(), **self.events_creators(),
            **self.scheduler_creators(), **self.sqs_creators(),
        }
        # What a deletion undoes in the account beyond the resource itself.
        self._deleters: dict[str, Callable[[_Resource], None]] = {
            **self.ecr_deleters(), **self.lambda_deleters(), **self.storage_deleters(),
        }
        self._invokes: dict[str, Callable[[dict], dict]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": self._caller_identity,
            "aws:index/getRegion:getRegion": self._region,
            "aws:index/getPartition:getPartition": self._partition,
            **self.ecr_invokes(), **self.lambda_invokes(),
        }

    def __deepcopy__(self, memo: dict) -> "SimulatedCloud":
        """The account as it is now, to preview an update on (a preview changes nothing); with its own lock."""
        copied = self.__class__.__new__(self.__class__)
        memo[id(self)] = copied
        for key, value in vars(self).items():
            setattr(copied, key, threading.RLock() if key == "_lock" else copy.deepcopy(value, memo))
        return copied

    def arn(self, service: str, resource: str, region: Optional[str] = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{ACCOUNT_ID}:{resource}"

    # The engine's side: create, update (only when the inputs changed), and delete what is gone.

    def new_resource(self, step):
        if not step.custom:
            return "", {}
        with self._lock:
            previous = self.resources.get(step.urn)
            inputs = _ignoring_changes(dict(step.inputs), previous, step.ignore_changes)
            compared = _compared_by_diff(step.typ, inputs)
            if previous is not None and previous.compared == compared:
                return previous.outputs.get("id", ""), previous.outputs  # no diff: the provider calls nothing
            name = inputs.get("name") or (previous.outputs["name"] if previous else f"{step.name}-{short_hash(step.urn, 7)}")
            outputs = {"name": name, **self._creators.get(step.typ, self._generic)(step, previous, inputs, name)}
            state = {**inputs, **outputs, "id": outputs.get("id", name)}
            if self.caller is not None:
                changed = sorted(k for k in {*compared, *(previous.compared if previous else {})}
                                 if previous is not None and previous.compared.get(k) != compared.get(k))
                self.caller.change("update" if previous else "create", step.typ, state,
                                   previous.outputs if previous else None, changed)
            self.resources[step.urn] = _Resource(step.urn, step.typ, inputs, state, compared)
            return state["id"], state

    def delete_all_but(self, kept_urns: set[str]) -> None:
        """The end of an update: what the program no longer declares is deleted."""
        with self._lock:
            for urn in [u for u in list(self.resources) if u not in kept_urns]:
                if self.caller is not None:
                    self.caller.change("delete", self.resources[urn].type, self.resources[urn].outputs, None, [])
                gone = self.resources.pop(urn)
                undo = self._deleters.get(gone.type)
                if undo is not None:
                    undo(gone)

    def call(self, args: pulumi.runtime.MockCallArgs):
        with self._lock:
            answer = self._invokes.get(args.token)
            if answer is None:
                raise NotImplementedError(f"the simulated cloud does not answer {args.token}")
            if self.caller is not None:
                self.caller.invoke(args.token, dict(args.args))
            return answer(args.args)

    # What the service families share: the account's resources, read on a snapshot (another thread may be
    # adding to them), and the refusal of a reference to one that does not exist.

    def _resources_of(self, typ: str, besides: str = "") -> list[_Resource]:
        """The account's resources of type `typ`, but the one at URN `besides`."""
        return [r for r in list(self.resources.values()) if r.type == typ and r.urn != besides]

    def _state(self, typ: str, key: str, value: Any) -> Optional[dict]:
        return next((r.outputs for r in self._resources_of(typ) if r.outputs.get(key) == value), None)

    def _existing(self, typ: str, key: str, value: Any, what: str, error: str) -> None:
        if known(value) and self._state(typ, key, value) is None:
            raise AwsRefusal(f"{error} ({what} {value!r})")

    def _generic(self, step, previous, inputs, name) -> dict:
        return {"arn": self.arn(step.typ.split(":")[1].split("/")[0], name)}

    # The account's own invokes.

    def _caller_identity(self, args: dict) -> dict:
        return {"accountId": ACCOUNT_ID, "arn": self.deployer_arn, "userId": "AIDAEXAMPLE", "id": ACCOUNT_ID}

    def _region(self, args: dict) -> dict:
        return {"region": self.region, "name": self.region, "id": self.region}

    def _partition(self, args: dict) -> dict:
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        return {"partition": self.partition, "dnsSuffix": suffix, "id": self.partition,
                "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}


def _ignoring_changes(inputs: dict, previous: Optional[_Resource], ignored: list[str]) -> dict:
    """The engine's ignoreChanges: an existing resource keeps the old value of each ignored property (a new one
    takes the program's). Top-level properties only, all this program ignores."""
    if any("." in key or "[" in key for key in ignored):
        raise NotImplementedError(f"the simulated engine ignores top-level properties only, not {ignored}")
    if previous is None:
        return inputs
    kept = {key: previous.inputs[key] for key in ignored if key in previous.inputs}
    return {**{k: v for k, v in inputs.items() if k not in ignored}, **kept}


def _compared_by_diff(typ: str, inputs: dict) -> dict:
    """What a provider's Diff compares: every input, except that pulumi-docker's Check adds its context
    digest and its Diff leaves the registry's username and password out (provider/provider.go)."""
    if typ != "docker:index/image:Image":
        return inputs
    build = {**inputs["build"], "contextDigest": pulumi_docker_context_digest(Path(inputs["build"]["context"]),
                                                                              Path(inputs["build"]["dockerfile"]))}
    return {**inputs, "build": build, "registry": {"server": (inputs.get("registry") or {}).get("server")}}
