"""The policy pack as its own process, driven over the analyzer protocol as the engine drives it.

Resources travel as protobuf Structs, so the rules see them through pulumi_policy's own
deserialiser and unknown-checking proxies, exactly as during `pulumi preview`.
"""

import contextlib
from typing import Iterator, Optional

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from offline.policy_engine import Finding, PolicyPackProcess, _finding, configure, parse_policy_config
from offline.stack_config import load_stack_config
from tests.conftest import PROJECT_DIR

STACK = load_stack_config(PROJECT_DIR, "dev")


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


@pytest.fixture(scope="session")
def pack() -> Iterator[Pack]:
    with PolicyPackProcess(PROJECT_DIR / "policies", STACK) as process:
        yield Pack(process.analyzer)


def by_policy(findings: list[Finding], policy: str) -> list[Finding]:
    return [f for f in findings if f.policy == policy]
