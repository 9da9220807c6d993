"""ContainerImage: a scanned, encrypted ECR repository and the function's image built and pushed into it."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

# Files that never reach the image (.dockerignore keeps them out), so they must not change its tag.
_NOT_IN_CONTEXT = ("__pycache__", ".pytest_cache")


def content_tag(context_dir: Path, platform: str, build_args: dict[str, str]) -> str:
    """A tag that changes exactly when what goes into the build changes.

    A fixed tag such as `latest` would make every push look alike to ECR and an immutable
    repository would refuse the second one; a tag per run would push and diff on every `up`.
    """
    digest = hashlib.sha256(f"{platform}\n{json.dumps(build_args, sort_keys=True)}\n".encode())
    for path in sorted(p for p in context_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(context_dir)
        if any(part in _NOT_IN_CONTEXT for part in relative.parts) or path.suffix == ".pyc":
            continue
        digest.update(f"{relative.as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def lifecycle_rules(expire_untagged_days: int, keep_last_images: int) -> dict:
    """ECR lifecycle: untagged layers go after N days, and only the newest N images stay.

    ECR evaluates rules by priority and requires the `any` rule to have the highest number.
    """
    return {"rules": [
        {"rulePriority": 1, "description": f"Expire untagged images after {expire_untagged_days} days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": expire_untagged_days},
         "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"Keep only the last {keep_last_images} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_last_images},
         "action": {"type": "expire"}},
    ]}


def lambda_pull_policy(function_arn_pattern: str) -> str:
    """Only the named Lambda function may pull from the repository (Lambda checks this at create)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "LambdaPullForOneFunction",
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Condition": {"StringLike": {"aws:sourceArn": [function_arn_pattern, f"{function_arn_pattern}:*"]}},
    }]})


@dataclass(frozen=True)
class ContainerImageArgs:
    repository_name: str
    context_dir: Path
    platform: str
    scan_on_push: bool
    tag_mutability: str
    expire_untagged_days: int
    keep_last_images: int
    force_delete: bool
    puller_function_name: str
    build_args: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class ContainerImage(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    image_uri: pulumi.Output[str]
    image_size_bytes: pulumi.Output[int]

    def __init__(self, name: str, args: ContainerImageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("lambdakit:image:ContainerImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=args.scan_on_push),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
            image_tag_mutability=args.tag_mutability,
            force_delete=args.force_delete,
            tags=args.tags,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            name,
            repository=self.repository.name,
            policy=json.dumps(lifecycle_rules(args.expire_untagged_days, args.keep_last_images)),
            opts=child,
        )
        caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self))
        aws.ecr.RepositoryPolicy(
            name,
            repository=self.repository.name,
            policy=pulumi.Output.format("arn:aws:lambda:{0}:{1}:function:{2}", region.region, caller.account_id,
                                        args.puller_function_name).apply(lambda_pull_policy),
            opts=child,
        )

        # The token is fetched anew on every run; pulumi-docker leaves registry username and
        # password out of the Image's diff (pulumi-docker#952), so a fresh token plans no change.
        token = aws.ecr.get_authorization_token_output(registry_id=self.repository.registry_id,
                                                       opts=pulumi.InvokeOutputOptions(parent=self))
        tag = content_tag(args.context_dir, args.platform, args.build_args)
        self.image = docker.Image(
            name,
            image_name=pulumi.Output.concat(self.repository.repository_url, ":", tag),
            build=docker.DockerBuildArgs(
                context=str(args.context_dir),
                dockerfile=str(args.context_dir / "Dockerfile"),
                platform=args.platform,
                args=args.build_args,
            ),
            registry=docker.RegistryArgs(
                server=self.repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=child,
        )

        self.repository_url = self.repository.repository_url
        # repoDigest is `repository@sha256:...`: an immutable reference to exactly what was pushed.
        self.image_uri = self.image.repo_digest
        # The size ECR itself reports for the pushed manifest, so the policy pack judges the real
        # image; unknown during a preview that has not pushed yet.
        pushed = aws.ecr.get_image_output(
            repository_name=self.repository.name,
            image_digest=self.image.repo_digest.apply(lambda ref: ref.split("@", 1)[1]),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.image_size_bytes = pushed.image_size_in_bytes
        self.register_outputs({
            "repositoryUrl": self.repository_url,
            "imageUri": self.image_uri,
            "imageSizeBytes": self.image_size_bytes,
        })
