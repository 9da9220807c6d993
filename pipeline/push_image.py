"""`python -m pipeline.push_image`: the Build stage's image. Builds functions/<app>/Dockerfile for the platform,
pushes it to the function's repository under the content tag the program computes for the same inputs
(components/container_image.py: `image_build`, `content_tag`), and prints the pushed digest, as ECR reports it.

An image whose tag the repository already holds is not built again: the tag is made from everything that
goes into the image, so the content is the same, and an IMMUTABLE repository refuses a second push of a tag
(the stack's first `pulumi up`, or an earlier run of the same commit, may have pushed it).
"""

import argparse
import base64
import subprocess
import sys
from pathlib import Path
from typing import Optional

import boto3

from components.container_image import content_tag, image_build


def existing_digest(ecr, repository: str, tag: str) -> str:
    """The digest of `repository:tag`, "" when the repository does not hold the tag."""
    try:
        details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ecr.exceptions.ImageNotFoundException:
        return ""
    return details[0]["imageDigest"]


def build_command(build: dict, image: str) -> list[str]:
    """`docker build` with exactly the inputs the tag is made from."""
    command = ["docker", "build", "--platform", build["platform"], "--file", build["dockerfile"], "--tag", image]
    for name, value in sorted(build["args"].items()):
        command += ["--build-arg", f"{name}={value}"]
    return [*command, build["context"]]


def log_in(ecr, registry: str) -> None:
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    subprocess.run(["docker", "login", "--username", user, "--password-stdin", registry], input=password.encode(),
                   check=True, stdout=sys.stderr)


def push(ecr, repository_url: str, app: str, platform: str) -> str:
    """Build and push unless the tag is there; the digest either way."""
    registry, repository = repository_url.split("/", 1)
    build = image_build(Path("functions", app), platform, {})
    tag = content_tag(Path("functions", app), build)
    if digest := existing_digest(ecr, repository, tag):
        print(f"{repository}:{tag} is already pushed ({digest}); not building it again", file=sys.stderr)
        return digest
    log_in(ecr, registry)
    image = f"{repository_url}:{tag}"
    subprocess.run(build_command(build, image), check=True, stdout=sys.stderr)
    subprocess.run(["docker", "push", image], check=True, stdout=sys.stderr)
    return existing_digest(ecr, repository, tag)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.push_image", description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True, help="the folder under functions/")
    parser.add_argument("--platform", required=True, help="linux/arm64 or linux/amd64")
    parser.add_argument("--repository-url", required=True, help="<registry>/<repository>")
    args = parser.parse_args(argv)
    print(push(boto3.client("ecr"), args.repository_url, args.app, args.platform))
    return 0


if __name__ == "__main__":
    sys.exit(main())
