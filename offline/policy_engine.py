"""The engine's side of the analyzer protocol, for running a policy pack with no Pulumi CLI.

The pack runs as its own process, started as the CLI starts a Python pack
(`python -u -m pulumi.policy <engine address> .` in the pack's folder, with the stack in
PULUMI_* variables). It prints its port; everything after that is gRPC with the classes in
`pulumi.runtime.proto`: Handshake, ConfigureStack, GetAnalyzerInfo, Configure, then per resource
Remediate and Analyze, and AnalyzeStack at the end. Written by hand because no library speaks
the engine's half of this protocol outside the Go CLI.
"""

import json
import os
import subprocess
import sys
import threading
from concurrent import futures
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional

import grpc
import jsonschema
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from offline.engine import ProgramRun, Registration
from offline.stack_config import StackConfig
from policies.rules.aws import OFFLINE_VARIABLE

LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
          analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}
_LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
_SEVERITIES = {analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "", analyzer_pb2.POLICY_SEVERITY_LOW: "low",
               analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium", analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
               analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}
_PACK_START_SECONDS = 60


class PolicyPackError(Exception):
    """The pack would not start, or its configuration is invalid."""


@dataclass(frozen=True)
class Finding:
    policy: str
    policy_pack: str
    urn: str
    message: str
    enforcement_level: str
    severity: str = ""


@dataclass(frozen=True)
class Remediation:
    policy: str
    urn: str
    before: dict
    after: dict


@dataclass
class PolicyReport:
    findings: list[Finding] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    analyzed_inputs: dict[str, struct_pb2.Struct] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return any(f.enforcement_level == "mandatory" for f in self.findings)

    def as_json(self) -> dict:
        return {"findings": [asdict(f) for f in self.findings],
                "remediations": [asdict(r) for r in self.remediations]}


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine endpoint the pack is given: what the pack logs is shown, as the CLI shows it."""

    def Log(self, request, context):
        print(f"policy pack: {request.message}", file=sys.stderr)
        return empty_pb2.Empty()


def offline_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` with no way to reach AWS, for a pack driven offline.

    The pack is the code `pulumi up` runs: it asks ECR and STS with whatever credentials botocore finds. Offline
    the image exists only in the simulated account, which scans nothing, so a real account's answer would be about
    some other image (or none) and would change with the machine's credentials; serving ECR's API from the
    simulation would only invent findings. So the pack gets no credentials: every AWS_* variable removed (keys,
    token, profile, roles, web identity, container credentials, endpoints), the shared files and boto2's config
    empty, the instance metadata service off. botocore signs every request before sending it, so without
    credentials it sends none, and this holds for any pack, not only the calls lambdakit's rules make.
    OFFLINE_VARIABLE lets the rules say why they could not ask."""
    kept = {name: value for name, value in environment.items() if not name.upper().startswith("AWS_")}
    return {**kept, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull, "BOTO_CONFIG": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true", OFFLINE_VARIABLE: "true"}


class PolicyPackProcess:
    """A running policy pack and a client for it; use as a context manager."""

    def __init__(self, pack_dir: Path, stack: StackConfig, python: str = sys.executable,
                 environment: Optional[Mapping[str, str]] = None):
        """`environment` replaces the pack's environment (the PULUMI_* variables are added to it either way); by
        default it is this process's with no way to reach AWS (offline_environment), whatever this one holds."""
        self.pack_dir, self.stack, self.python = pack_dir, stack, python
        self.environment = offline_environment(os.environ) if environment is None else environment
        self.engine = _Engine()
        self._output: list[str] = []
        self._port_line: list[str] = []
        self._port_announced = threading.Event()
        self._analyzer: Optional[analyzer_pb2_grpc.AnalyzerStub] = None
        self._channel: Optional[grpc.Channel] = None

    def __enter__(self) -> "PolicyPackProcess":
        """Start the pack and return at once: it loads while the program runs, as under the CLI."""
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._server)
        engine_port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()
        environment = {**self.environment, "PULUMI_PROJECT": self.stack.project, "PULUMI_STACK": self.stack.stack,
                       "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": json.dumps(self.stack.values)}
        self._process = subprocess.Popen(
            [self.python, "-u", "-m", "pulumi.policy", f"127.0.0.1:{engine_port}", "."],
            cwd=self.pack_dir, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Both pipes are drained from the start, so a chatty pack can never block on a full pipe.
        self._drains = [threading.Thread(target=self._watch_stdout, daemon=True),
                        threading.Thread(target=lambda: self._output.extend(self._process.stderr), daemon=True)]
        for drain in self._drains:
            drain.start()
        return self

    def _watch_stdout(self) -> None:
        self._port_line.append(self._process.stdout.readline())  # the pack's first line is its port
        self._port_announced.set()
        self._output.extend(self._process.stdout)

    @property
    def analyzer(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """A client for the pack, once it has announced its port."""
        if self._analyzer is None:
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self._read_port()}")
            self._analyzer = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._analyzer

    def _read_port(self) -> int:
        self._port_announced.wait(_PACK_START_SECONDS)
        line = self._port_line[0].strip() if self._port_line else ""
        if not line.isdigit():
            self._process.kill()
            self._process.wait()
            for drain in self._drains:
                drain.join(5)
            raise PolicyPackError(f"policy pack in {self.pack_dir} did not start:\n{line}{''.join(self._output)}")
        return int(line)

    def __exit__(self, *_exc) -> None:
        if self._channel is not None:
            self._channel.close()
        self._process.kill()
        self._process.wait()
        self._server.stop(None)


def parse_policy_config(text: str) -> dict[str, tuple[Optional[str], dict]]:
    """--policy-pack-config as the CLI reads it: a level, or an object with enforcementLevel and properties."""
    parsed: dict[str, tuple[Optional[str], dict]] = {}
    for policy, value in (json.loads(text) if text.strip() else {}).items():
        if not isinstance(value, (str, dict)):
            raise PolicyPackError(f"parsing {policy!r}: {value!r} is not a valid value; must be a string or object")
        properties = dict(value) if isinstance(value, dict) else {}
        level = value if isinstance(value, str) else properties.pop("enforcementLevel", None)
        if level is not None and level not in _LEVEL_VALUES:
            raise PolicyPackError(f"parsing enforcement level for {policy!r}: {level!r} is not a valid enforcement level")
        parsed[policy] = (level, properties)
    return parsed


def reconcile_config(info: analyzer_pb2.AnalyzerInfo,
                     given: dict[str, tuple[Optional[str], dict]]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """The engine's ReconcilePolicyPackConfig: schema defaults and each policy's own level, then the
    pack's initial config, then the user's (`all` first), then validation against each schema."""
    result: dict[str, tuple[str, dict]] = {}
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        result[policy.name] = (LEVELS[policy.enforcementLevel],
                               {key: spec["default"] for key, spec in schema.items() if "default" in spec})
    initial = {name: (LEVELS[c.enforcementLevel] if c.enforcementLevel else None,
                      json_format.MessageToDict(c.properties)) for name, c in info.initialConfig.items()}
    for layer in (initial, given):
        if "all" in layer and layer["all"][0]:
            result = {name: (layer["all"][0], props) for name, (_, props) in result.items()}
        for name, (level, properties) in layer.items():
            current_level, current_props = result.get(name, ("advisory", {}))
            result[name] = (level or current_level, {**current_props, **properties})
    errors = []
    for policy in info.policies:
        schema = {"type": "object", "properties": json_format.MessageToDict(policy.configSchema.properties)}
        if policy.configSchema.required:
            schema["required"] = list(policy.configSchema.required)
        for error in jsonschema.Draft7Validator(schema).iter_errors(result[policy.name][1]):
            where = ".".join(str(p) for p in error.absolute_path) or "(root)"
            errors.append(f"{policy.name}: {where}: {error.message}")
    if errors:
        raise PolicyPackError("invalid policy pack configuration:\n  " + "\n  ".join(errors))
    return {name: _policy_config(level, props) for name, (level, props) in result.items() if name != "all"}


def _policy_config(level: str, properties: dict) -> analyzer_pb2.PolicyConfig:
    config = analyzer_pb2.PolicyConfig(enforcementLevel=_LEVEL_VALUES[level])
    config.properties.update(properties)
    return config


def _without_internal_keys(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    """The engine marshals analyzer properties with SkipInternalKeys: no `__`-prefixed keys."""
    cleaned = struct_pb2.Struct()
    for key, value in struct.fields.items():
        if not key.startswith("__"):
            cleaned.fields[key].CopyFrom(value)
    return cleaned


def default_providers(config: StackConfig) -> dict[str, analyzer_pb2.AnalyzerProviderResource]:
    """The default provider the engine would create per package, with that package's stack config."""
    providers = {}
    for package, distribution in (("aws", "pulumi_aws"), ("docker", "pulumi_docker")):
        version = metadata.version(distribution)
        name = f"default_{version.replace('.', '_')}"
        properties = struct_pb2.Struct()
        properties.update({key.split(":", 1)[1]: value for key, value in config.values.items()
                           if key.startswith(f"{package}:")} | {"version": version})
        providers[package] = analyzer_pb2.AnalyzerProviderResource(
            type=f"pulumi:providers:{package}", name=name, properties=properties,
            urn=f"urn:pulumi:{config.stack}::{config.project}::pulumi:providers:{package}::{name}")
    return providers


def _options(resource: Registration) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, ignoreChanges=resource.ignore_changes, parent=resource.parent)


def _finding(diagnostic: analyzer_pb2.AnalyzeDiagnostic, urn: str) -> Finding:
    level = LEVELS[diagnostic.enforcementLevel]
    return Finding(policy=diagnostic.policyName, policy_pack=diagnostic.policyPackName,
                   urn=diagnostic.urn or urn, message=diagnostic.message,
                   # The engine reports a violation that survived remediation as mandatory.
                   enforcement_level="mandatory" if level == "remediate" else level,
                   severity=_SEVERITIES[diagnostic.severity])


def configure(analyzer: analyzer_pb2_grpc.AnalyzerStub, stack: StackConfig, stack_tags: dict[str, str],
              given_config: dict[str, tuple[Optional[str], dict]]) -> analyzer_pb2.AnalyzerInfo:
    try:
        analyzer.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(root_directory=".", program_directory="."))
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNIMPLEMENTED:  # the CLI, too, carries on without it
            raise
    analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
        stack=stack.stack, project=stack.project, organization="organization", dry_run=True,
        config=stack.values, tags=stack_tags))
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=reconcile_config(info, given_config)))
    return info


def stack_properties(resource: Registration, report: "PolicyReport") -> struct_pb2.Struct:
    """What AnalyzeStack shows of a resource: the state its provider would answer once the engine sent the
    remediated inputs."""
    state = _without_internal_keys(resource.wire_state)
    if any(r.urn == resource.urn for r in report.remediations):
        state.update(json_format.MessageToDict(report.analyzed_inputs[resource.urn]))
    return state


@dataclass
class Verdict:
    """What the pack answered of one resource: its findings (remediations' diagnostics, then Analyze's), the
    remediations applied, and the inputs Analyze was given after them."""

    findings: list[Finding]
    remediations: list[Remediation]
    analyzed_inputs: struct_pb2.Struct


def analyze_request(resource: Registration,
                    providers: dict[str, analyzer_pb2.AnalyzerProviderResource]) -> analyzer_pb2.AnalyzeRequest:
    """What Remediate and Analyze are asked of one resource: its inputs as registered, its options, its provider."""
    request = analyzer_pb2.AnalyzeRequest(
        urn=resource.urn, type=resource.type, name=resource.name,
        properties=_without_internal_keys(resource.wire_inputs), options=_options(resource))
    if resource.custom:
        request.provider.CopyFrom(providers[resource.type.split(":", 1)[0]])
    return request


def verdict_of(analyzer: analyzer_pb2_grpc.AnalyzerStub, resource: Registration, request: analyzer_pb2.AnalyzeRequest,
               remediated: analyzer_pb2.RemediateResponse,
               analyzed: Callable[[], analyzer_pb2.AnalyzeResponse]) -> Verdict:
    """The verdict from Remediate's answer and Analyze's: `analyzed` answers for the inputs as registered, which are
    what Analyze is given unless a remediation changed them; then Analyze is asked again, of the remediated ones."""
    verdict, remediated_request = Verdict([], [], request.properties), None
    for remediation in remediated.remediations:
        if remediation.diagnostic:
            verdict.findings.append(Finding(remediation.policyName, remediation.policyPackName, resource.urn,
                                            remediation.diagnostic, "advisory"))
        elif remediation.HasField("properties"):
            if remediated_request is None:  # the request as sent stays as it was
                remediated_request = analyzer_pb2.AnalyzeRequest()
                remediated_request.CopyFrom(request)
                verdict.analyzed_inputs = remediated_request.properties
            verdict.remediations.append(Remediation(
                remediation.policyName, resource.urn, json_format.MessageToDict(verdict.analyzed_inputs),
                json_format.MessageToDict(remediation.properties)))
            verdict.analyzed_inputs.CopyFrom(remediation.properties)
    answer = analyzed() if remediated_request is None else analyzer.Analyze(remediated_request)
    verdict.findings.extend(_finding(d, resource.urn) for d in answer.diagnostics)
    return verdict


def judge(analyzer: analyzer_pb2_grpc.AnalyzerStub, resource: Registration,
          providers: dict[str, analyzer_pb2.AnalyzerProviderResource]) -> Verdict:
    """One resource as the engine's step generator asks of it: Remediate, then Analyze of the remediated inputs."""
    request = analyze_request(resource, providers)
    return verdict_of(analyzer, resource, request, analyzer.Remediate(request), lambda: analyzer.Analyze(request))


def report_of(verdicts: Iterable[tuple[Registration, Verdict]]) -> PolicyReport:
    """The report of these verdicts, in the order given (the registrations')."""
    report = PolicyReport()
    for resource, verdict in verdicts:
        report.findings.extend(verdict.findings)
        report.remediations.extend(verdict.remediations)
        report.analyzed_inputs[resource.urn] = verdict.analyzed_inputs
    return report


def judge_resources(analyzer: analyzer_pb2_grpc.AnalyzerStub, run: ProgramRun, stack: StackConfig) -> PolicyReport:
    """Each resource's verdict, one after the other, in registration order."""
    providers = default_providers(stack)
    return report_of((resource, judge(analyzer, resource, providers)) for resource in run.resources)


def stack_request(run: ProgramRun, report: PolicyReport, stack: StackConfig) -> analyzer_pb2.AnalyzeStackRequest:
    """AnalyzeStack's request: every resource with its state after remediation, its options and dependencies."""
    providers = default_providers(stack)
    return analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(
            urn=r.urn, type=r.type, name=r.name, properties=stack_properties(r, report),
            options=_options(r), parent=r.parent, dependencies=r.dependencies,
            propertyDependencies={k: analyzer_pb2.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in r.property_dependencies.items()},
            **({"provider": providers[r.type.split(":", 1)[0]]} if r.custom else {}))
        for r in run.resources])


def stack_findings(response: analyzer_pb2.AnalyzeResponse) -> list[Finding]:
    return [_finding(d, "") for d in response.diagnostics]


def analyze(analyzer: analyzer_pb2_grpc.AnalyzerStub, run: ProgramRun, stack: StackConfig) -> PolicyReport:
    """Each resource in registration order, remediate pass then analyze pass; then the whole stack."""
    report = judge_resources(analyzer, run, stack)
    report.findings.extend(stack_findings(analyzer.AnalyzeStack(stack_request(run, report, stack))))
    return report
