"""The few AWS calls the pack makes, with settings that keep a policy check from hanging or crashing.

The pack runs inside `pulumi preview`/`pulumi up` with the CLI's environment, so boto3 finds the same
credentials the stack deploys with. Answers are cached for the life of the pack process (one update):
two policies asking the same question must get the same answer.
"""

import functools
import re
import threading
from dataclasses import dataclass
from typing import Optional

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# A policy check waits seconds, not minutes: short timeouts and one retry, then the rule says why.
_CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
_lock = threading.Lock()  # boto3 sessions are not thread-safe, and the pack serves gRPC from a thread pool


@functools.cache
def client(service: str, region: Optional[str] = None):
    """Created on first use, so a pack that never needs AWS never touches credentials. With no region,
    the environment's (AWS_REGION, the profile), else us-east-1."""
    with _lock:
        session = boto3.session.Session()
        return session.client(service, region_name=region or session.region_name or "us-east-1",
                              config=_CLIENT_CONFIG)


def describe_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'error')}: {details.get('Message', '')}".rstrip(": ")
    return str(error)


AWS_ERRORS = (BotoCoreError, ClientError)


@functools.cache
def caller_account() -> Optional[str]:
    """The account whose credentials the pack has (STS GetCallerIdentity), or None when it cannot tell."""
    try:
        return client("sts").get_caller_identity()["Account"]
    except AWS_ERRORS:
        return None


# <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag][@sha256:<digest>]
_ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
                        r"/(?P<repository>[a-z0-9][a-z0-9._/-]*)(?::(?P<tag>[\w][\w.-]{0,127}))?"
                        r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str
    image_id: dict  # ECR's ImageIdentifier: the digest when the URI has one, else the tag


def ecr_image(image_uri: str) -> Optional[EcrImage]:
    """Where ECR keeps an image, from its URI; None when the URI is not an ECR image's."""
    match = _ECR_IMAGE.match(image_uri)
    if not match:
        return None
    image_id = {"imageDigest": match["digest"]} if match["digest"] else {"imageTag": match["tag"] or "latest"}
    return EcrImage(match["account"], match["region"], match["repository"], image_id)
