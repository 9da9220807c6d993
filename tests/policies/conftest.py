"""The policy pack as its own process, driven over the analyzer protocol as the engine drives it.

Resources travel as protobuf Structs, so the rules see them through pulumi_policy's own
deserialiser and unknown-checking proxies, exactly as during `pulumi preview`.
"""

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import pytest
from google.protobuf import struct_pb2
from hypothesis.configuration import set_hypothesis_home_dir
from pulumi.runtime.proto import analyzer_pb2

from offline.policy_engine import Finding, PolicyPackProcess, _finding, configure, parse_policy_config
from offline.stack_config import StackConfig, load_stack_config
from tests.conftest import MOTO_KEYS, PROJECT_DIR

STACK = load_stack_config(PROJECT_DIR, "dev")

# Hypothesis keeps its caches in ./.hypothesis, and fills them as soon as it collects a property-based test
# (test_unseen_programs.py): in the system's temporary folder instead, so that the tests write nothing into the
# project, as `-p no:cacheprovider` keeps pytest's own cache out.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "lambdakit-hypothesis")


class Pack:
    def __init__(self, analyzer):
        self.analyzer = analyzer
        self.info = configure(analyzer, STACK, {}, {})

    @contextlib.contextmanager
    def configured(self, policy_config: str = "", stack_tags: Optional[dict] = None) -> Iterator["Pack"]:
        """Reconfigure as `--policy-pack-config` and stack tags would, then restore the defaults."""
        configure(self.analyzer, STACK, stack_tags or {}, parse_policy_config(policy_config))
        try:
            yield self
        finally:
            configure(self.analyzer, STACK, {}, {})

    def request(self, typ: str, props: dict, name: str = "subject") -> analyzer_pb2.AnalyzeRequest:
        properties = struct_pb2.Struct()
        properties.update(props)
        return analyzer_pb2.AnalyzeRequest(
            type=typ, name=name, properties=properties, urn=f"urn:pulumi:dev::lambdakit::{typ}::{name}")

    def analyze(self, typ: str, props: dict, name: str = "subject") -> list[Finding]:
        request = self.request(typ, props, name)
        return [_finding(d, request.urn) for d in self.analyzer.Analyze(request).diagnostics]

    def analyze_stack(self, resources: list[tuple[str, str, dict]]) -> list[Finding]:
        request = analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(type=r.type, name=r.name, urn=r.urn, properties=r.properties)
            for r in (self.request(typ, props, name) for typ, name, props in resources)])
        return [_finding(d, "") for d in self.analyzer.AnalyzeStack(request).diagnostics]


def aws_environment(scratch: Path, **aws: str) -> dict[str, str]:
    """The pack's environment: this one without any AWS_* or proxy variable, so no real credentials,
    profile or endpoint; the instance metadata service off and credential files that do not exist, so
    botocore asks nothing of 169.254.169.254 or of AWS. `aws` adds variables: a loopback endpoint, fake keys."""
    missing = str(scratch / "no-aws-config-here")
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    return {**kept, "AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_CONFIG_FILE": missing, **aws}


@contextlib.contextmanager
def start_pack(environment: dict[str, str], stack: StackConfig = STACK) -> Iterator[Pack]:
    """The pack as its own process, with `stack`'s configuration in PULUMI_CONFIG as the CLI passes it."""
    with PolicyPackProcess(PROJECT_DIR / "policies", stack, environment=environment) as process:
        yield Pack(process.analyzer)


@pytest.fixture(scope="session")
def pack(tmp_path_factory) -> Iterator[Pack]:
    """The pack with no AWS credentials at all: whatever it would ask AWS fails at once, offline."""
    with start_pack(aws_environment(tmp_path_factory.mktemp("aws"))) as running:
        yield running


@pytest.fixture(scope="session")
def aws_pack(tmp_path_factory, moto_endpoint) -> Iterator[Pack]:
    """The pack with fake credentials for the local moto server, the only AWS it can reach."""
    environment = aws_environment(tmp_path_factory.mktemp("aws"), AWS_ENDPOINT_URL=moto_endpoint, **MOTO_KEYS)
    with start_pack(environment) as running:
        yield running


def foreign_function(image_uri: str) -> dict:
    """An image function as public programs write it: packageType and imageUri, no lambdakit tags."""
    return {"packageType": "Image", "imageUri": image_uri, "role": "arn:aws:iam::123456789012:role/lambda",
            "architectures": ["arm64"], "memorySize": 1024}


def by_policy(findings: list[Finding], policy: str) -> list[Finding]:
    return [f for f in findings if f.policy == policy]


SCAN_POLICIES = ("lambda-image-scan-findings", "lambda-image-scan-findings-unread")


def besides_scans(findings: list[Finding]) -> list[Finding]:
    """What the other rules found: every image function here also meets the scan rules (test_image_scan.py)."""
    return [f for f in findings if f.policy not in SCAN_POLICIES]
