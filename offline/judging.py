"""The pack asked of each resource as the program registers it, as the engine asks its analyzers.

The engine calls Remediate, then Analyze of the remediated inputs, for each resource when the program registers it,
and AnalyzeStack at the end. Asked only after the program, the pack's share of a preview came on top of the program's
(docs/benchmarks.md, "Previews of many functions"). Here each resource's two calls leave as it is registered, as
gRPC futures from the registering thread: the pack, a process of its own, answers on the other core while the
program goes on, and nothing waits for an answer before the program ends. Analyze is asked of the inputs as
registered, beside Remediate; should a remediation change them, its answer is dropped and Analyze is asked again, of
the remediated inputs (policy_engine.verdict_of), so the verdicts are the engine's.

Until the pack has started and is configured (Handshake, ConfigureStack, GetAnalyzerInfo, Configure: a thread of
its own waits for it), the resources registered wait here and leave together. (One thread sending every call
instead, fed by a queue, was tried: it gets the interpreter lock only between the program's turns, and at 50
functions had sent 568 of 1,448 resources' calls when the program ended.)
"""

import threading
from typing import Optional

import grpc
from pulumi.runtime.proto import analyzer_pb2

from offline.engine import ProgramRun, Registration
from offline.policy_engine import (PolicyPackProcess, PolicyReport, Verdict, analyze_request, configure,
                                   default_providers, report_of, verdict_of)
from offline.stack_config import StackConfig


class Judging:
    def __init__(self, pack: PolicyPackProcess, stack: StackConfig, stack_tags: dict[str, str],
                 given_config: dict[str, tuple[Optional[str], dict]]):
        self._providers = default_providers(stack)
        self._lock = threading.Lock()
        self._waiting: list[Registration] = []
        self._asked: dict[str, tuple[analyzer_pb2.AnalyzeRequest, grpc.Future, grpc.Future]] = {}
        self._analyzer = None
        self._failure: Optional[BaseException] = None
        self.info: Optional[analyzer_pb2.AnalyzerInfo] = None
        self._configuring = threading.Thread(target=self._configure, args=(pack, stack, stack_tags, given_config),
                                             daemon=True)
        self._configuring.start()

    def _configure(self, pack: PolicyPackProcess, stack: StackConfig, stack_tags: dict[str, str],
                   given_config: dict[str, tuple[Optional[str], dict]]) -> None:
        try:
            analyzer = pack.analyzer  # once the pack has announced its port
            self.info = configure(analyzer, stack, stack_tags, given_config)
        except BaseException as failure:  # noqa: BLE001 - raised again by report(), in the caller's thread
            self._failure = failure
            return
        with self._lock:
            self._analyzer, waiting, self._waiting = analyzer, self._waiting, []
        for resource in waiting:
            self._ask(resource)

    def registered(self, resource: Registration) -> None:
        """The engine's hook (run_program's `registered`): ask of the resource now, or once the pack is ready."""
        with self._lock:
            if self._analyzer is None:
                self._waiting.append(resource)
                return
        self._ask(resource)

    def _ask(self, resource: Registration) -> None:
        request = analyze_request(resource, self._providers)
        self._asked[resource.urn] = (request, self._analyzer.Remediate.future(request),
                                     self._analyzer.Analyze.future(request))

    def report(self, run: ProgramRun) -> PolicyReport:
        """Every resource's verdict, in registration order; raises what kept the pack from being configured."""
        self._configuring.join()
        if self._failure is not None:
            raise self._failure
        return report_of((resource, self._verdict(resource)) for resource in run.resources)

    def _verdict(self, resource: Registration) -> Verdict:
        request, remediating, analyzing = self._asked[resource.urn]
        return verdict_of(self._analyzer, resource, request, remediating.result(), analyzing.result)
