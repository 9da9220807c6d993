"""The policy pack judging each resource as the program registers it, as the engine's step generator does."""

import queue
import sys
import threading
from typing import Optional

from pulumi.runtime.proto import analyzer_pb2

from offline.engine import ProgramRun, Registration
from offline.policy_engine import (PolicyPackProcess, PolicyReport, Verdict, configure, default_providers, judge,
                                   judge_resources)
from offline.stack_config import StackConfig

# How often the program's thread hands this process's interpreter lock over while the pack judges alongside it.
# The judge needs the lock back several times per call to the pack (two calls per resource); at Python's default
# (5 ms) it waited that long each time and judged 64 of a 20-function stack's 586 resources while the program ran;
# at 1 ms, 170; at 0.2 ms, about 350, for a program a few percent slower (bench/preview_scale.py's copies, a quiet
# machine). The rest is judged once the program has ended.
_SWITCH_SECONDS = 0.0002


class JudgedAsRegistered:
    """The pack configured, then each resource judged as soon as the program registers it, on a thread of its own.

    The engine does the same: its step generator asks the analyzers of each resource when its registration arrives,
    one resource after another, while the program goes on. Judged after the program instead, the pack's
    per-resource work (and its first calls' set-up) would wait for the program to end; this way it runs on the other
    core alongside it. The answers are the same: each resource is judged by itself, in the order the program
    registered it, and judge_resources() lays the verdicts out in registration order.
    Use as a context manager around run_program(..., on_registration=judged.registered)."""

    def __init__(self, pack: PolicyPackProcess, stack: StackConfig, stack_tags: dict[str, str],
                 given_config: dict[str, tuple[Optional[str], dict]]):
        self._pack, self._stack = pack, stack
        self._registered: queue.SimpleQueue[Optional[Registration]] = queue.SimpleQueue()
        self._verdicts: dict[str, Verdict] = {}
        self._info: Optional[analyzer_pb2.AnalyzerInfo] = None
        self._failure: Optional[BaseException] = None
        self._worker = threading.Thread(target=self._judge_each, args=(stack_tags, given_config), daemon=True)
        self._switch_interval = sys.getswitchinterval()

    def __enter__(self) -> "JudgedAsRegistered":
        sys.setswitchinterval(min(self._switch_interval, _SWITCH_SECONDS))
        self._worker.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._registered.put(None)  # a program that failed leaves the rest unjudged; the pack is killed next
        sys.setswitchinterval(self._switch_interval)

    def registered(self, resource: Registration) -> None:
        self._registered.put(resource)

    def _judge_each(self, stack_tags: dict[str, str], given_config: dict[str, tuple[Optional[str], dict]]) -> None:
        try:
            # Configured first, as the engine configures a pack before the program's first registration.
            self._info = configure(self._pack.analyzer, self._stack, stack_tags, given_config)
            providers = default_providers(self._stack)
            while (resource := self._registered.get()) is not None:
                self._verdicts[resource.urn] = judge(self._pack.analyzer, resource, providers)
        except BaseException as failure:  # noqa: BLE001 - raised by finish(), once the program has run, as before
            self._failure = failure

    def finish(self, run: ProgramRun) -> tuple[analyzer_pb2.AnalyzerInfo, PolicyReport]:
        """Once the program has run: the pack's info and every resource's verdict, in registration order (a pack
        that would not start or refused its configuration raises here, after the program, as it always has)."""
        self._registered.put(None)
        self._worker.join()
        if self._failure is not None:
            raise self._failure
        assert self._info is not None
        return self._info, judge_resources(self._pack.analyzer, run, self._stack, self._verdicts)
