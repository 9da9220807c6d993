"""ECR and Docker in the simulated account: repositories, their policies and lifecycle rules, the registry's
scanning configuration, and pulumi-docker's Image, which builds and pushes into them. Sources: ECR's API
reference; pulumi-docker provider/provider.go.
"""

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from docker.utils.build import PatternMatcher
from pulumi.runtime import rpc

from aws_account.refusals import AwsRefusal, as_list, check_name, known, policy_document
from aws_limits import ECR_REPOSITORY_NAME, ECR_SCAN_FILTER, ECR_SCAN_MAX_FILTERS, ECR_SCAN_MAX_RULES, ECR_SCAN_TYPES

REPOSITORY = "aws:ecr/repository:Repository"
_TAG_MUTABILITIES = ("MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION")


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
class Repository:
    name: str
    mutability: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> image digest
    sizes: dict[str, int] = field(default_factory=dict)  # image digest -> size ECR reports
    lambda_pull_arns: list[str] = field(default_factory=list)  # aws:sourceArn patterns granted to Lambda


class SimulatedEcr:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `region`, `account_id`, `image_size_bytes`,
    `repositories`, `_builds`, `_lock` and `_resources_of()`."""

    def ecr_creators(self) -> dict:
        return {
            REPOSITORY: self._repository,
            "aws:ecr/repositoryPolicy:RepositoryPolicy": self._repository_policy,
            "aws:ecr/lifecyclePolicy:LifecyclePolicy": self._lifecycle_policy,
            "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": self._registry_scanning,
            "docker:index/image:Image": self._image,
        }

    def ecr_deleters(self) -> dict:
        return {REPOSITORY: lambda gone: self.repositories.pop(gone.outputs["name"], None)}

    def ecr_invokes(self) -> dict:
        return {
            "aws:ecr/getAuthorizationToken:getAuthorizationToken": self._authorization_token,
            "aws:ecr/getImage:getImage": self._get_image,
        }

    def _repository(self, step, previous, inputs, name) -> dict:
        check_name(ECR_REPOSITORY_NAME, name)
        mutability = inputs.get("imageTagMutability", "MUTABLE")
        if mutability not in _TAG_MUTABILITIES:
            raise AwsRefusal(f"InvalidParameterException: imageTagMutability {mutability!r}")
        repository = self.repositories.setdefault(name, Repository(name, mutability))
        repository.mutability = mutability
        return {"arn": self.arn("ecr", f"repository/{name}"), "registryId": self.account_id,
                "repositoryUrl": f"{self.account_id}.dkr.ecr.{self.region}.amazonaws.com/{name}"}

    def _registry_scanning(self, step, previous, inputs, name) -> dict:
        """PutRegistryScanningConfiguration. One per account and Region: a second one in the account
        silently replaces the first, which the simulation refuses as the program's mistake."""
        others = self._resources_of(step.typ, besides=step.urn)
        if others:
            raise AwsRefusal(f"the registry has one scanning configuration, already set by {others[0].urn}; a second "
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
        return {"registryId": self.account_id}

    def _existing_repository(self, name: Any) -> Optional[Repository]:
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
        return {"registryId": self.account_id}

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
        return {"registryId": self.account_id}

    def _image(self, step, previous, inputs, name) -> dict:
        """pulumi-docker's Image: any difference its Diff sees builds again (a new image digest) and
        pushes `imageName` as it is."""
        repository_url, tag = inputs["imageName"].rsplit(":", 1)
        outputs = {"baseImageName": inputs["imageName"],
                   "registryServer": repository_url.split("/", 1)[0], "platform": inputs["build"].get("platform")}
        if self.image_size_bytes is None:  # not pushed: a preview before the first `up`
            return {**outputs, "repoDigest": rpc.UNKNOWN}
        digest = self.push_built_image(repository_url.split("/", 1)[1], tag)
        return {**outputs, "id": digest, "repoDigest": f"{repository_url}@{digest}"}

    def push_built_image(self, repository_name: str, tag: str) -> str:
        """A new build pushed under `tag` (each build has its own digest); its digest."""
        with self._lock:
            digest = "sha256:" + hashlib.sha256(f"{repository_name}:{tag}#{next(self._builds)}".encode()).hexdigest()
            self.push_image(repository_name, tag, digest)
            return digest

    def push_image(self, repository_name: str, tag: str, digest: str) -> None:
        with self._lock:
            repository = self._existing_repository(repository_name)
            # An immutable repository refuses any push of a tag it holds, even of the same digest
            # (ImageTagAlreadyExistsException; aws/containers-roadmap#2179).
            if tag in repository.tags and repository.mutability.startswith("IMMUTABLE"):
                raise AwsRefusal(f"tag invalid: The image tag '{tag}' already exists in the '{repository_name}' "
                                 "repository and cannot be overwritten because the repository is immutable.")
            repository.tags[tag] = digest
            repository.sizes[digest] = self.image_size_bytes

    # Invokes.

    def _authorization_token(self, args: dict) -> dict:
        # A fresh password on every call, as ECR hands out: a diff that depends on it would show.
        return {"userName": "AWS", "password": os.urandom(18).hex(),
                "proxyEndpoint": f"https://{self.account_id}.dkr.ecr.{self.region}.amazonaws.com"}

    def _get_image(self, args: dict) -> dict:
        repository = self._existing_repository(args.get("repositoryName"))
        digest = args.get("imageDigest")
        if digest not in repository.sizes:
            raise AwsRefusal(f"ImageNotFoundException: no image {digest} in {repository.name}")
        return {"imageDigest": digest, "imageSizeInBytes": repository.sizes[digest],
                "repositoryName": repository.name}
