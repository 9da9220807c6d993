"""ContainerImage: a scanned, encrypted ECR repository and the function's image: built and pushed into it, or
one it already holds (a digest the delivery pipeline built and scanned), named by its digest either way."""

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker
from docker.utils.build import exclude_paths

# pulumi-docker's plugin is the SDK's own version; a new one may hash the context differently.
_PULUMI_DOCKER_VERSION = metadata.version("pulumi-docker")


def _dockerignore(context_dir: Path) -> list[str]:
    """The patterns of the context's .dockerignore, read as Docker reads them."""
    ignore_file = context_dir / ".dockerignore"
    if not ignore_file.is_file():
        return []
    lines = (line.strip() for line in ignore_file.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def content_tag(context_dir: Path, build: dict) -> str:
    """A tag that changes whenever pulumi-docker would build and push again, and only then.

    pulumi-docker rebuilds and pushes the same image name when any build input changes, or its
    digest of the context does: the Dockerfile, and every file .dockerignore lets through, by path,
    mode and content. An IMMUTABLE repository refuses any push of a tag it already holds, so every
    one of those goes into the tag (modes included: a checkout under another umask is a rebuild),
    with the provider's version.
    """
    digest = hashlib.sha256(f"{_PULUMI_DOCKER_VERSION}\n{json.dumps(build, sort_keys=True)}\n".encode())
    digest.update(Path(build["dockerfile"]).read_bytes())
    # The same matcher `docker build` uses (docker-py's port of moby's .dockerignore rules).
    for relative in sorted(exclude_paths(str(context_dir), _dockerignore(context_dir))):
        path = context_dir / relative
        status = path.lstat()
        if path.is_dir() and not path.is_symlink():
            continue
        content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        digest.update(f"{Path(relative).as_posix()}\n{status.st_mode:o}\n".encode())
        digest.update(hashlib.sha256(content).digest())
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
    image_digest: str = ""  # an image the repository holds, deployed as it is: nothing is built
    # A pipeline's stack: with no digest given, keep the image this alias of the function runs, if any.
    keep_image_of_alias: Optional[str] = None


def image_build(context_dir: Path, platform: str, build_args: dict[str, str]) -> dict:
    """What `docker build` is given; the content tag is made from it, by the program and by the pipeline."""
    return {"context": context_dir.as_posix(), "dockerfile": (context_dir / "Dockerfile").as_posix(),
            "platform": platform, "args": build_args}


def live_image_digest(function_name: str, alias: str) -> str:
    """The digest the function's alias runs now; "" when the function does not exist yet (a stack's first
    `up`). Synchronous invokes, because the answer decides whether an image is built at all."""
    if function_name not in (aws.lambda_.get_functions().function_names or []):
        return ""
    image_uri = aws.lambda_.get_function(function_name=function_name, qualifier=alias).image_uri or ""
    return image_uri.partition("@")[2]


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
        invoke = pulumi.InvokeOutputOptions(parent=self)
        caller = aws.get_caller_identity_output(opts=invoke)
        region = aws.get_region_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)  # aws, aws-cn or aws-us-gov, as the provider reports
        pull_grant = aws.ecr.RepositoryPolicy(
            name,
            repository=self.repository.name,
            policy=pulumi.Output.format("arn:{0}:lambda:{1}:{2}:function:{3}", partition.partition, region.region,
                                        caller.account_id, args.puller_function_name).apply(lambda_pull_policy),
            opts=child,
        )

        digest = args.image_digest or (
            live_image_digest(args.puller_function_name, args.keep_image_of_alias) if args.keep_image_of_alias else "")
        # repoDigest is `repository@sha256:...`: an immutable reference to exactly what was pushed.
        repo_digest = (pulumi.Output.concat(self.repository.repository_url, "@", digest) if digest
                       else self._build_and_push(name, args))
        self.repository_url = self.repository.repository_url
        self.repository_name = self.repository.name
        self.repository_arn = self.repository.arn
        # Lambda checks at create time that it may pull the image and, finding no grant, refuses or
        # writes a broader statement of its own into the repository policy. The reference is handed
        # out only once the pull grant exists: whatever runs the image waits for both.
        self.image_uri = pulumi.Output.all(repo_digest, pull_grant.id).apply(lambda ready: ready[0])
        # The size ECR itself reports for the manifest, so the policy pack judges the real
        # image; unknown during a preview that has not pushed yet.
        pushed = aws.ecr.get_image_output(
            repository_name=self.repository.name,
            image_digest=repo_digest.apply(lambda ref: ref.split("@", 1)[1]),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.image_size_bytes = pushed.image_size_in_bytes
        self.register_outputs({
            "repositoryUrl": self.repository_url,
            "imageUri": self.image_uri,
            "imageSizeBytes": self.image_size_bytes,
        })

    def _build_and_push(self, name: str, args: ContainerImageArgs) -> pulumi.Output[str]:
        # The token is fetched anew on every run; pulumi-docker leaves registry username and
        # password out of the Image's diff (pulumi-docker#952), so a fresh token plans no change.
        token = aws.ecr.get_authorization_token_output(registry_id=self.repository.registry_id,
                                                       opts=pulumi.InvokeOutputOptions(parent=self))
        build = image_build(args.context_dir, args.platform, args.build_args)
        image = docker.Image(
            name,
            image_name=pulumi.Output.concat(self.repository.repository_url, ":", content_tag(args.context_dir, build)),
            build=docker.DockerBuildArgs(**build),
            registry=docker.RegistryArgs(
                server=self.repository.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return image.repo_digest
