"""The few AWS calls the pack makes, with settings that keep a policy check from hanging or crashing.

The pack runs inside `pulumi preview`/`pulumi up` with the CLI's environment, so boto3 finds the same
credentials the stack deploys with. Answers are cached for the life of the pack process (one update):
two policies asking the same question must get the same answer.
"""

import functools
import os
import re
import threading
from dataclasses import dataclass
from typing import Optional

import boto3
from botocore import exceptions as boto_errors
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

# lambdakit's offline tools (offline/policy_engine.py) set this when they start the pack without AWS credentials on
# purpose, so that a rule can say so instead of asking for credentials that offline can never have.
OFFLINE_VARIABLE = "LAMBDAKIT_PACK_OFFLINE"

# Why a call failed, by what botocore raised, for the rules to say what to do about it.
NO_CREDENTIALS, CREDENTIALS_REFUSED, ACCESS_DENIED, UNREACHABLE, AWS_ANSWERED = (
    "no credentials", "credentials refused", "access denied", "unreachable", "answered")
_CREDENTIALS_NOT_FOUND = (boto_errors.NoCredentialsError, boto_errors.PartialCredentialsError,
                          boto_errors.ProfileNotFound, boto_errors.CredentialRetrievalError,
                          boto_errors.TokenRetrievalError, boto_errors.SSOError)
_REFUSED_CREDENTIALS = {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
                        "InvalidSignatureException", "SignatureDoesNotMatch"}
_DENIED = {"AccessDenied", "AccessDeniedException"}
_NO_ANSWER = (boto_errors.ConnectionError, boto_errors.HTTPClientError)  # no connection, or no reply in time


def offline() -> bool:
    return os.environ.get(OFFLINE_VARIABLE) == "true"


@dataclass(frozen=True)
class AwsFailure:
    """Why a call to AWS failed: `kind` for choosing what to do, `cause` in the pack's words, `detail` in botocore's."""

    kind: str
    cause: str
    detail: str

    def __str__(self) -> str:
        return f"{self.cause} ({self.detail})"


def explain(error: Exception) -> AwsFailure:
    detail = describe_error(error)
    if isinstance(error, _CREDENTIALS_NOT_FOUND):
        cause = ("offline, the pack is given no AWS credentials, so that it never asks a real account" if offline()
                 else "no usable AWS credentials were found")
        return AwsFailure(NO_CREDENTIALS, cause, detail)
    if isinstance(error, _NO_ANSWER):
        return AwsFailure(UNREACHABLE, "its endpoint could not be reached", detail)
    code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
    if code in _REFUSED_CREDENTIALS:
        return AwsFailure(CREDENTIALS_REFUSED, "AWS refused the credentials", detail)
    if code in _DENIED:
        return AwsFailure(ACCESS_DENIED, "access denied", detail)
    return AwsFailure(AWS_ANSWERED, "AWS answered with an error", detail)


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
