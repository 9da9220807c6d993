"""Simulated providers for Pulumi's mock engine: one AWS account, and Docker pushing into it.

Each resource gets the outputs its real provider computes (ARNs, URLs, a pushed image's digest),
so everything downstream of them is known, as during a real update. The account keeps its state
from one run of the program to the next (each run is one `pulumi up`), and it refuses what AWS
and the providers refuse, with their messages: names AWS rejects, values outside its limits, a tag
pushed again into an IMMUTABLE repository, a function created before it may pull its image, a
statement id used twice. Where a provider acts on its own (the AWS provider adds public grants when
it creates a NONE function URL), the account does the same, so a program that relies on the
opposite fails here too. Sources: each service's API reference; for the providers, their code
(pulumi-docker provider/provider.go, terraform-provider-aws internal/service/lambda).
"""

import hashlib
import io
import itertools
import json
import os
import stat
import zipfile
from fnmatch import fnmatchcase
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi
from docker.utils.build import PatternMatcher
from pulumi.runtime import rpc

from aws_limits import (ECR_REPOSITORY_NAME, ECR_SCAN_FILTER, ECR_SCAN_MAX_FILTERS, ECR_SCAN_MAX_RULES, ECR_SCAN_TYPES,
                        IAM_ROLE_NAME, LAMBDA_ALIAS_NAME, LAMBDA_ARCHITECTURES, LAMBDA_EPHEMERAL_STORAGE_MB,
                        LAMBDA_FUNCTION_NAME, LAMBDA_MEMORY_MB, LAMBDA_PYTHON_RUNTIMES, LAMBDA_TIMEOUT_SECONDS,
                        LAMBDA_UNZIPPED_MAX_BYTES, LAMBDA_ZIP_MAX_BYTES, LOG_GROUP_NAME, LOG_RETENTION_DAYS,
                        URL_CORS_MAX_AGE_SECONDS, URL_CORS_MAX_HEADER_LENGTH, URL_CORS_MAX_ITEMS,
                        URL_CORS_MAX_ORIGIN_LENGTH, URL_CORS_METHODS)
from offline.refusals import AwsRefusal, as_list, check_name, check_range, known, policy_document
from offline.simulated_delivery import SimulatedDelivery
from offline.simulated_monitoring import SimulatedMonitoring

ACCOUNT_ID = "123456789012"
_TAG_MUTABILITIES = ("MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION")
# What the AWS provider adds when it creates a NONE function URL (and never removes): Sid, action, condition.
PROVIDER_PUBLIC_URL_GRANTS = (
    ("FunctionURLAllowPublicAccess", "lambda:InvokeFunctionUrl",
     {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}),
    ("FunctionURLAllowInvokeAction", "lambda:InvokeFunction", {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}),
)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"




def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]










def pulumi_docker_context_digest(context: Path, dockerfile: Path) -> str:
    """pulumi-docker's `hashContext` (provider/provider.go): the Dockerfile under the name
    "Dockerfile" with mode 0, then every file the raw .dockerignore patterns let through, each as
    its path, its mode and the hash of its content (of its resolved path, for a symlink).
    Written here, apart from the program's content tag, so that the two are checked against
    each other rather than sharing a mistake."""
    ignore = context / ".dockerignore"
    lines = [line.strip() for line in ignore.read_text().splitlines()] if ignore.is_file() else []
    matcher = PatternMatcher([line for line in lines if line and not line.startswith("#")])
    accumulated = bytearray()

    def add(path: Path, name: str, mode: int) -> None:
        content = os.path.realpath(path).encode() if path.is_symlink() else path.read_bytes()
        accumulated.extend(name.encode() + stat.filemode(mode).encode() + hashlib.sha256(content).digest() + b"\0")

    add(dockerfile, "Dockerfile", 0)
    for path in sorted(context.rglob("*")):
        relative = path.relative_to(context).as_posix()
        if path.is_dir() or matcher.matches(relative):
            continue
        add(path, relative, path.lstat().st_mode)
    return hashlib.sha256(bytes(accumulated)).hexdigest()


@dataclass
class _Repository:
    name: str
    mutability: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> image digest
    sizes: dict[str, int] = field(default_factory=dict)  # image digest -> size ECR reports
    lambda_pull_arns: list[str] = field(default_factory=list)  # aws:sourceArn patterns granted to Lambda


@dataclass
class _Resource:
    type: str
    inputs: dict
    outputs: dict
    compared: dict  # what the provider's Diff compares, from the inputs


class SimulatedCloud(SimulatedMonitoring, SimulatedDelivery, pulumi.runtime.Mocks):
    """One AWS account in `region`, answering registrations and invokes as the providers would.

    `image_size_bytes` is what ECR reports for a pushed image. None means the image is not pushed,
    as in a preview before the first `up`: its digest is unknown, so the engine never asks ECR for
    its size, and everything built on either stays unknown.
    """

    def __init__(self, region: str = "eu-west-1", image_size_bytes: Optional[int] = None,
                 account_concurrency: int = 1000):
        self.region, self.partition = region, partition_of(region)
        self.account_id = ACCOUNT_ID
        self.deployer_arn = f"arn:{self.partition}:iam::{ACCOUNT_ID}:user/deployer"  # who runs `pulumi up`
        self.account_concurrency = account_concurrency  # the Region's concurrency quota (default 1000)
        self.image_size_bytes = image_size_bytes
        self.resources: dict[str, _Resource] = {}  # by URN: what the stack has created
        self.repositories: dict[str, _Repository] = {}
        self.function_policies: dict[tuple[str, str], dict[str, dict]] = {}  # (function, qualifier) -> Sid -> statement
        self.function_images: dict[tuple[str, str], Any] = {}  # (function, version) -> the image it runs
        self._builds = itertools.count(1)
        self._creators: dict[str, Callable[[Any, Optional[_Resource]], dict]] = {
            "aws:ecr/repository:Repository": self._repository,
            "aws:ecr/repositoryPolicy:RepositoryPolicy": self._repository_policy,
            "aws:ecr/lifecyclePolicy:LifecyclePolicy": self._lifecycle_policy,
            "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": self._registry_scanning,
            "docker:index/image:Image": self._image,
            "aws:iam/role:Role": self._role,
            "aws:iam/rolePolicy:RolePolicy": self._role_policy,
            "aws:cloudwatch/logGroup:LogGroup": self._log_group,
            "aws:lambda/function:Function": self._function,
            "aws:lambda/alias:Alias": self._alias,
            "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": self._provisioned_concurrency,
            "aws:lambda/functionUrl:FunctionUrl": self._function_url,
            "aws:lambda/permission:Permission": self._permission,
            **self.monitoring_creators(),
            **self.delivery_creators(),
        }

    def arn(self, service: str, resource: str, region: Optional[str] = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{ACCOUNT_ID}:{resource}"

    # The engine's side: create, update (only when the inputs changed), and delete what is gone.

    def new_resource(self, step):
        if not step.custom:
            return "", {}
        previous = self.resources.get(step.urn)
        inputs = _ignoring_changes(dict(step.inputs), previous, step.ignore_changes)
        compared = _compared_by_diff(step.typ, inputs)
        if previous is not None and previous.compared == compared:
            return previous.outputs.get("id", ""), previous.outputs  # no diff: the provider calls nothing
        name = inputs.get("name") or (previous.outputs["name"] if previous else f"{step.name}-{_short_hash(step.urn, 7)}")
        outputs = {"name": name, **self._creators.get(step.typ, self._generic)(step, previous, inputs, name)}
        state = {**inputs, **outputs, "id": outputs.get("id", name)}
        self.resources[step.urn] = _Resource(step.typ, inputs, state, compared)
        return state["id"], state

    def delete_all_but(self, kept_urns: set[str]) -> None:
        """The end of an update: what the program no longer declares is deleted."""
        for urn in [u for u in self.resources if u not in kept_urns]:
            gone = self.resources.pop(urn)
            if gone.type == "aws:lambda/permission:Permission":
                self._policy_of(gone.inputs).pop(gone.outputs["statementId"], None)
            elif gone.type == "aws:lambda/function:Function":
                for key in [k for k in self.function_policies if k[0] == gone.outputs["name"]]:
                    del self.function_policies[key]
            elif gone.type == "aws:ecr/repository:Repository":
                self.repositories.pop(gone.outputs["name"], None)
            elif gone.type == "aws:kms/alias:Alias":
                self.kms_aliases.discard(gone.outputs["name"])
            # A function URL's deletion leaves the grants its provider added: it never removes them.

    def public_statements(self, function_name: str) -> list[dict]:
        """Statements in any of the function's resource policies that let anyone call it."""
        return [s for (name, _), policy in self.function_policies.items() if name == function_name
                for s in policy.values() if s["Principal"] == "*"]

    # ECR and Docker.

    def _repository(self, step, previous, inputs, name) -> dict:
        check_name(ECR_REPOSITORY_NAME, name)
        mutability = inputs.get("imageTagMutability", "MUTABLE")
        if mutability not in _TAG_MUTABILITIES:
            raise AwsRefusal(f"InvalidParameterException: imageTagMutability {mutability!r}")
        repository = self.repositories.setdefault(name, _Repository(name, mutability))
        repository.mutability = mutability
        return {"arn": self.arn("ecr", f"repository/{name}"), "registryId": ACCOUNT_ID,
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{name}"}

    def _registry_scanning(self, step, previous, inputs, name) -> dict:
        """PutRegistryScanningConfiguration. One per account and Region: a second one in the account
        silently replaces the first, which the simulation refuses as the program's mistake."""
        others = [u for u, r in self.resources.items() if r.type == step.typ and u != step.urn]
        if others:
            raise AwsRefusal(f"the registry has one scanning configuration, already set by {others[0]}; a second "
                             "would silently replace it")
        scan_type, rules = inputs.get("scanType"), inputs.get("rules") or []
        if scan_type not in ECR_SCAN_TYPES:
            raise AwsRefusal(f"ValidationException: scanType {scan_type!r} must be one of {', '.join(ECR_SCAN_TYPES)}")
        if len(rules) > ECR_SCAN_MAX_RULES:
            raise AwsRefusal(f"ValidationException: rules has {len(rules)} members; at most {ECR_SCAN_MAX_RULES}")
        for rule in rules:
            if rule.get("scanFrequency") not in ECR_SCAN_TYPES[scan_type]:
                raise AwsRefusal(f"ValidationException: scanFrequency {rule.get('scanFrequency')!r} is not supported "
                                 f"with scanType {scan_type}; use {' or '.join(ECR_SCAN_TYPES[scan_type])}")
            filters = rule.get("repositoryFilters") or []
            if len(filters) > ECR_SCAN_MAX_FILTERS:
                raise AwsRefusal(f"ValidationException: a rule has {len(filters)} repositoryFilters; at most "
                                 f"{ECR_SCAN_MAX_FILTERS}")
            for entry in filters:
                check_name(ECR_SCAN_FILTER, entry.get("filter"))
                if entry.get("filterType") != "WILDCARD":
                    raise AwsRefusal(f"ValidationException: filterType {entry.get('filterType')!r} must be WILDCARD")
        return {"registryId": ACCOUNT_ID}

    def _existing_repository(self, name: Any) -> Optional[_Repository]:
        if not known(name):
            return None
        if name not in self.repositories:
            raise AwsRefusal(f"RepositoryNotFoundException: The repository with name '{name}' does not exist")
        return self.repositories[name]

    def _repository_policy(self, step, previous, inputs, name) -> dict:
        repository = self._existing_repository(inputs.get("repository"))
        if repository is not None and known(inputs.get("policy")):
            document = policy_document("the repository policy", inputs["policy"])
            repository.lambda_pull_arns = [
                arn for s in document["Statement"]
                if s.get("Effect") == "Allow" and (s.get("Principal") or {}).get("Service") == "lambda.amazonaws.com"
                and {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"} <= set(as_list(s.get("Action")))
                for arn in as_list(((s.get("Condition") or {}).get("StringLike") or {}).get("aws:sourceArn"))]
        return {"registryId": ACCOUNT_ID}

    def _lifecycle_policy(self, step, previous, inputs, name) -> dict:
        self._existing_repository(inputs.get("repository"))
        if known(inputs.get("policy")):
            rules = json.loads(inputs["policy"])["rules"]
            priorities = [r["rulePriority"] for r in rules]
            if len(set(priorities)) != len(priorities):
                raise AwsRefusal("InvalidParameterException: rulePriority must be unique")
            if any(r["selection"]["tagStatus"] == "any" and r["rulePriority"] != max(priorities) for r in rules):
                raise AwsRefusal("InvalidParameterException: the rule with tagStatus 'any' must have the highest "
                                 "rulePriority")
        return {"registryId": ACCOUNT_ID}

    def _image(self, step, previous, inputs, name) -> dict:
        """pulumi-docker's Image: any difference its Diff sees builds again (a new image digest) and
        pushes `imageName` as it is."""
        repository_url, tag = inputs["imageName"].rsplit(":", 1)
        outputs = {"baseImageName": inputs["imageName"],
                   "registryServer": repository_url.split("/", 1)[0], "platform": inputs["build"].get("platform")}
        if self.image_size_bytes is None:  # not pushed: a preview before the first `up`
            return {**outputs, "repoDigest": rpc.UNKNOWN}
        digest = "sha256:" + hashlib.sha256(f"{inputs['imageName']}#{next(self._builds)}".encode()).hexdigest()
        self.push_image(repository_url.split("/", 1)[1], tag, digest)
        return {**outputs, "id": digest, "repoDigest": f"{repository_url}@{digest}"}

    def push_image(self, repository_name: str, tag: str, digest: str) -> None:
        repository = self._existing_repository(repository_name)
        # An immutable repository refuses any push of a tag it holds, even of the same digest
        # (ImageTagAlreadyExistsException; aws/containers-roadmap#2179).
        if tag in repository.tags and repository.mutability.startswith("IMMUTABLE"):
            raise AwsRefusal(f"tag invalid: The image tag '{tag}' already exists in the '{repository_name}' repository "
                             "and cannot be overwritten because the repository is immutable.")
        repository.tags[tag] = digest
        repository.sizes[digest] = self.image_size_bytes

    # IAM and logs.

    def _role(self, step, previous, inputs, name) -> dict:
        check_name(IAM_ROLE_NAME, name)
        if known(inputs.get("assumeRolePolicy")):
            policy_document("the trust policy", inputs["assumeRolePolicy"])
        return {"arn": f"arn:{self.partition}:iam::{ACCOUNT_ID}:role/{name}"}

    def _role_policy(self, step, previous, inputs, name) -> dict:
        if known(inputs.get("policy")):
            policy_document("the role policy", inputs["policy"])
        self.check_inline_policies(step.urn, inputs)  # the role's quota on inline policies (SimulatedDelivery)
        return {}

    def _log_group(self, step, previous, inputs, name) -> dict:
        check_name(LOG_GROUP_NAME, name)
        retention = inputs.get("retentionInDays")
        if known(retention) and retention not in LOG_RETENTION_DAYS:
            raise AwsRefusal(f"InvalidParameterException: retentionInDays {retention} is not one CloudWatch Logs offers")
        return {"arn": self.arn("logs", f"log-group:{name}")}

    # Lambda.

    def _function(self, step, previous, inputs, name) -> dict:
        check_name(LAMBDA_FUNCTION_NAME, name)
        check_range("MemorySize", inputs.get("memorySize"), LAMBDA_MEMORY_MB)
        check_range("Timeout", inputs.get("timeout"), LAMBDA_TIMEOUT_SECONDS)
        check_range("EphemeralStorage", (inputs.get("ephemeralStorage") or {}).get("size"), LAMBDA_EPHEMERAL_STORAGE_MB)
        architectures = inputs.get("architectures")
        if known(architectures) and (len(architectures) != 1 or architectures[0] not in LAMBDA_ARCHITECTURES):
            raise AwsRefusal(f"ValidationException: Architectures {architectures} must be exactly one of arm64, x86_64")
        self._check_reservation(step.urn, inputs.get("reservedConcurrentExecutions"))
        _check_logging(inputs.get("loggingConfig"))
        arn = self.arn("lambda", f"function:{name}")
        if inputs.get("packageType") == "Image":
            _check_image_package(inputs)
            self._check_image_pull(inputs.get("imageUri"), arn, step.prerequisites)
        else:
            _check_zip_package(inputs)
        version = str(int(previous.outputs["version"]) + 1) if previous and inputs.get("publish") else "1"
        self.function_images[(name, version)] = inputs.get("imageUri")
        return {"arn": arn, "version": version, "qualifiedArn": f"{arn}:{version}",
                "invokeArn": f"arn:{self.partition}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
                             f"{arn}/invocations"}

    def _check_image_pull(self, image_uri: Any, function_arn: str, prerequisites: list) -> None:
        """Lambda resolves the image and checks that it may pull it when the function is created or
        its image changes. Finding no grant, it either refuses, or (when the caller may set the
        repository policy, as this deployer can) writes its own broader, unmanaged statement, which
        the program's RepositoryPolicy then races to overwrite. Either way the grant must come first;
        the simulation refuses both cases, so the ordering is enforced."""
        if not known(image_uri):
            return
        repository_url, digest = image_uri.split("@", 1) if "@" in image_uri else image_uri.rsplit(":", 1)
        repository = self._existing_repository(repository_url.split("/", 1)[1])
        if digest not in repository.sizes and digest not in repository.tags:
            raise AwsRefusal(f"InvalidParameterValueException: Source image {image_uri} does not exist. "
                             "Provide a valid source image.")
        waited_for_grant = any(p.type == "aws:ecr/repositoryPolicy:RepositoryPolicy"
                               and p.inputs.get("repository") == repository.name for p in prerequisites)
        granted = any(fnmatchcase(function_arn, pattern) for pattern in repository.lambda_pull_arns)
        if not (granted and waited_for_grant):
            raise AwsRefusal(f"AccessDeniedException (403): Lambda does not have permission to access the ECR "
                             f"image. Check the ECR permissions. (repository {repository.name}, function "
                             f"{function_arn}; the pull grant must exist before the function)")

    def _check_reservation(self, urn: str, reserved: Any) -> None:
        """PutFunctionConcurrency: reservations must leave at least 100 unreserved in the account."""
        if not known(reserved) or reserved < 0:
            return
        others = sum(max(r.inputs.get("reservedConcurrentExecutions") or -1, 0) for u, r in self.resources.items()
                     if r.type == "aws:lambda/function:Function" and u != urn)
        if others + reserved > self.account_concurrency - 100:
            raise AwsRefusal("InvalidParameterValueException: Specified ReservedConcurrentExecutions for function "
                             "decreases account's UnreservedConcurrentExecution below its minimum value of [100].")

    def _alias(self, step, previous, inputs, name) -> dict:
        check_name(LAMBDA_ALIAS_NAME, name)
        return {"arn": self.arn("lambda", f"function:{inputs['functionName']}:{name}")}

    def _aliases(self) -> dict[tuple[str, str], dict]:
        """Each alias's state by (function, alias): its version and weights as Lambda holds them now."""
        return {(r.outputs.get("functionName"), r.outputs["name"]): r.outputs
                for r in self.resources.values() if r.type == "aws:lambda/alias:Alias"}

    def shift_alias(self, function_name: str, alias: str, version: str, weights: Optional[dict] = None) -> None:
        """UpdateAlias from outside the program, as CodeDeploy makes it: the alias points at `version`, with
        `weights` ({version: share}) routed elsewhere while a canary runs."""
        state = self._aliases()[(function_name, alias)]
        state["functionVersion"] = version
        state["routingConfig"] = {"additionalVersionWeights": weights} if weights else None

    def _provisioned_concurrency(self, step, previous, inputs, name) -> dict:
        qualifier = inputs.get("qualifier")
        alias = self._aliases().get((inputs.get("functionName"), qualifier)) or {}
        if "$LATEST" in (qualifier, alias.get("functionVersion")):
            raise AwsRefusal("InvalidParameterValueException: Provisioned Concurrency Configs cannot be applied to "
                             "unpublished function versions.")
        if (alias.get("routingConfig") or {}).get("additionalVersionWeights"):
            raise AwsRefusal("InvalidParameterValueException: Alias with weights can not be used with Provisioned "
                             "Concurrency")
        check_range("ProvisionedConcurrentExecutions", inputs.get("provisionedConcurrentExecutions"), (1, 10**6))
        return {}

    def _function_url(self, step, previous, inputs, name) -> dict:
        auth = inputs.get("authorizationType")
        if auth not in ("NONE", "AWS_IAM"):
            raise AwsRefusal(f"ValidationException: AuthType {auth!r} must be NONE or AWS_IAM")
        _check_cors(inputs.get("cors"))
        if previous is None and auth == "NONE":
            self._provider_adds_public_grants(inputs, step.prerequisites)
        url_id = _short_hash(f"{inputs['functionName']}:{inputs.get('qualifier')}", 32)
        return {"functionUrl": f"https://{url_id}.lambda-url.{self.region}.on.aws/", "urlId": url_id,
                "functionArn": self.arn("lambda", f"function:{inputs['functionName']}")}

    def _provider_adds_public_grants(self, url_inputs: dict, prerequisites: list) -> None:
        """The AWS provider's Create of a NONE URL adds these itself, skips a statement id that
        exists, and never removes them. A permission with one of those ids that the URL did not wait
        for may come after it (the engine orders by dependencies only), and then AWS refuses it."""
        policy = self._policy_of(url_inputs)
        waited_for = {p.state.get("statementId") for p in prerequisites if p.type == "aws:lambda/permission:Permission"}
        for sid, action, condition in PROVIDER_PUBLIC_URL_GRANTS:
            if sid in policy and sid not in waited_for:
                raise AwsRefusal(f"ResourceConflictException: The statement id ({sid}) provided already exists "
                                 "(the permission holding it was not ordered before the function URL, whose "
                                 "provider adds the same id)")
            policy.setdefault(sid, {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": action,
                                    "Condition": condition})

    def _policy_of(self, inputs: dict) -> dict[str, dict]:
        function = inputs.get("functionName") or inputs.get("function")
        return self.function_policies.setdefault((function, inputs.get("qualifier") or ""), {})

    def _permission(self, step, previous, inputs, name) -> dict:
        """AddPermission: a statement id is unique within the function's (or alias's) policy.
        Every input of a permission forces a replacement, and the engine creates the new one before
        it deletes the old unless told to delete first."""
        if previous is not None and step.delete_before_replace:
            self._policy_of(previous.inputs).pop(previous.outputs["statementId"], None)
        sid = inputs.get("statementId") or f"terraform-{_short_hash(step.urn, 20)}"
        policy = self._policy_of(inputs)
        if sid in policy:
            raise AwsRefusal(f"ResourceConflictException: The statement id ({sid}) provided already exists. "
                             "Please provide a new statement id, or remove the existing statement.")
        condition = ({"StringEquals": {"lambda:FunctionUrlAuthType": inputs["functionUrlAuthType"]}}
                     if inputs.get("functionUrlAuthType") else
                     {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}} if inputs.get("invokedViaFunctionUrl") else {})
        policy[sid] = {"Sid": sid, "Effect": "Allow", "Principal": inputs.get("principal"),
                       "Action": inputs.get("action"), "Condition": condition}
        return {"statementId": sid}

    def _generic(self, step, previous, inputs, name) -> dict:
        return {"arn": self.arn(step.typ.split(":")[1].split("/")[0], name)}

    # Invokes.

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": self.deployer_arn,
                    "userId": "AIDAEXAMPLE", "id": ACCOUNT_ID}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}
        if args.token == "aws:index/getPartition:getPartition":
            suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
            return {"partition": self.partition, "dnsSuffix": suffix, "id": self.partition,
                    "reverseDnsPrefix": ".".join(reversed(suffix.split(".")))}
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            # A fresh password on every call, as ECR hands out: a diff that depends on it would show.
            return {"userName": "AWS", "password": os.urandom(18).hex(),
                    "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com"}
        if args.token == "aws:ecr/getImage:getImage":
            repository = self._existing_repository(args.args.get("repositoryName"))
            digest = args.args.get("imageDigest")
            if digest not in repository.sizes:
                raise AwsRefusal(f"ImageNotFoundException: no image {digest} in {repository.name}")
            return {"imageDigest": digest, "imageSizeInBytes": repository.sizes[digest],
                    "repositoryName": repository.name}
        if args.token == "aws:lambda/getFunctions:getFunctions":
            functions = [r.outputs for r in self.resources.values() if r.type == "aws:lambda/function:Function"]
            return {"functionNames": [f["name"] for f in functions], "functionArns": [f["arn"] for f in functions],
                    "id": self.region}
        if args.token == "aws:lambda/getFunction:getFunction":
            return self._get_function(args.args.get("functionName"), args.args.get("qualifier"))
        raise NotImplementedError(f"the simulated cloud does not answer {args.token}")

    def _get_function(self, function_name: str, qualifier: Optional[str]) -> dict:
        """GetFunction of a version or an alias (the version it points at; during a canary, the main one)."""
        alias = self._aliases().get((function_name, qualifier))
        version = alias["functionVersion"] if alias else qualifier
        if (function_name, version) not in self.function_images:
            raise AwsRefusal(f"ResourceNotFoundException: Function not found: {self.arn('lambda', 'function:')}"
                             f"{function_name}:{qualifier}")
        arn = self.arn("lambda", f"function:{function_name}")
        return {"functionName": function_name, "arn": arn, "qualifiedArn": f"{arn}:{qualifier}", "version": version,
                "imageUri": self.function_images[(function_name, version)], "qualifier": qualifier,
                "id": function_name}


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


def _check_image_package(inputs: dict) -> None:
    if inputs.get("runtime") or inputs.get("handler") or inputs.get("layers"):
        raise AwsRefusal("InvalidParameterValueException: Please don't provide Handler or Runtime or Layer when the "
                         "intended function PackageType is Image.")


def _check_zip_package(inputs: dict) -> None:
    """A zip function names a runtime Lambda still supports and a handler, and its code fits Lambda's limits.
    (The simulation knows Lambda's Python runtimes only: the only ones this project uses.)"""
    runtime, code = inputs.get("runtime"), inputs.get("code")
    if not inputs.get("handler") or not runtime:
        raise AwsRefusal("InvalidParameterValueException: Runtime and Handler are required for a Zip function.")
    if known(runtime) and runtime not in LAMBDA_PYTHON_RUNTIMES:
        raise AwsRefusal(f"InvalidParameterValueException: The runtime parameter of {runtime} is no longer supported "
                         "for creating or updating AWS Lambda functions.")
    if not isinstance(code, pulumi.AssetArchive):
        raise AwsRefusal("InvalidParameterValueException: a Zip function needs its code (an archive, or S3)")
    missing = [a.path for a in code.assets.values() if not Path(a.path).is_file()]
    if missing:  # the provider fails to zip before it calls Lambda
        raise AwsRefusal(f"the AWS provider cannot read {', '.join(missing)} to build the function's .zip")
    unzipped = sum(Path(a.path).stat().st_size for a in code.assets.values())
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:  # as the provider zips it
        for name, asset in code.assets.items():
            archive.write(asset.path, name)
    if unzipped > LAMBDA_UNZIPPED_MAX_BYTES or zipped.tell() > LAMBDA_ZIP_MAX_BYTES:
        raise AwsRefusal(f"RequestEntityTooLargeException: the function's code is {zipped.tell()} bytes zipped, "
                         f"{unzipped} unzipped; Lambda takes {LAMBDA_ZIP_MAX_BYTES} and {LAMBDA_UNZIPPED_MAX_BYTES}")


def _check_logging(logging_config: Optional[dict]) -> None:
    """Log levels filter JSON records only."""
    config = logging_config or {}
    if config.get("logFormat", "Text") == "Text" and (config.get("applicationLogLevel") or config.get("systemLogLevel")):
        raise AwsRefusal('InvalidParameterValueException: LogLevel is not supported when LogFormat is set to "Text". '
                         'Remove LogLevel from your request or change the LogFormat to "Json" and try again.')


def _check_cors(cors: Optional[dict]) -> None:
    """CreateFunctionUrlConfig's limits on Cors."""
    if not cors:
        return
    for key in ("allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders"):
        if len(cors.get(key) or []) > URL_CORS_MAX_ITEMS:
            raise AwsRefusal(f"ValidationException: Cors.{key} has more than {URL_CORS_MAX_ITEMS} items")
    if any(not 1 <= len(o) <= URL_CORS_MAX_ORIGIN_LENGTH for o in cors.get("allowOrigins") or []):
        raise AwsRefusal(f"ValidationException: each of Cors.AllowOrigins must be 1..{URL_CORS_MAX_ORIGIN_LENGTH} long")
    if len(cors.get("allowMethods") or []) > 6 or set(cors.get("allowMethods") or []) - URL_CORS_METHODS:
        raise AwsRefusal(f"ValidationException: Cors.AllowMethods {cors.get('allowMethods')} must be at most 6 of "
                         f"{', '.join(sorted(URL_CORS_METHODS))}")
    if any(len(h) > URL_CORS_MAX_HEADER_LENGTH for key in ("allowHeaders", "exposeHeaders") for h in cors.get(key) or []):
        raise AwsRefusal(f"ValidationException: a Cors header is longer than {URL_CORS_MAX_HEADER_LENGTH}")
    check_range("Cors.MaxAge", cors.get("maxAge"), (0, URL_CORS_MAX_AGE_SECONDS))
