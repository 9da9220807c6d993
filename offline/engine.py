"""Run the Pulumi program on Pulumi's mock engine and record what it registers.

The program runs exactly as the Python language host runs it (`runpy.run_path` on the project
folder, with that folder as the working directory); only the resource monitor is the SDK's mock,
extended here to keep each registration request as the engine would receive it, and to tell the
simulated cloud what a real engine knows: which resources a step waited for (its dependencies,
transitively; the engine orders steps by nothing else), and which resources the program no longer
declares (the engine deletes them at the end of an update).
"""

import asyncio
import contextlib
import gc
import os
import sys
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, _ensure_event_loop
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from aws_account.account import SimulatedCloud
from offline.stack_config import StackConfig


@dataclass
class Registration:
    """One resource as the program registered it, and the state its provider answered."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]
    wire_inputs: struct_pb2.Struct  # the inputs exactly as the SDK serialised them
    wire_state: struct_pb2.Struct  # inputs and outputs, as the provider answered
    inputs: dict[str, Any]
    state: dict[str, Any]


@dataclass
class ProgramRun:
    resources: list[Registration]
    exports: dict[str, Any]

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.type == typ]

    def under(self, component: str) -> "ProgramRun":
        """The resources of the components named `component` (one function's image, function, monitoring)."""
        parents = {r.urn: r.parent for r in self.resources}

        def ancestors(urn: str) -> Iterator[str]:
            while urn := parents.get(urn, ""):
                yield urn

        return ProgramRun([r for r in self.resources if any(a.endswith(f"::{component}") for a in ancestors(r.urn))],
                          self.exports)

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        if len(found) != 1:
            raise AssertionError(f"expected one {typ}, found {len(found)}")
        return found[0]


class ResourceStep(MockResourceArgs):
    """A registration as the simulated cloud sees it: its URN, what the engine made it wait for, and
    whether a replacement deletes the old resource first."""

    def __init__(self, urn: str, prerequisites: list["Registration"], delete_before_replace: bool,
                 ignore_changes: list[str], **args: Any):
        super().__init__(**args)
        self.urn, self.prerequisites, self.delete_before_replace = urn, prerequisites, delete_before_replace
        self.ignore_changes = ignore_changes


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, registered: Optional[Callable[[Registration], None]] = None):
        """`registered` is told of each resource as the engine registers it (the engine asks its analyzers then)."""
        super().__init__(mocks)
        self._registered = registered
        self.registrations: list[Registration] = []
        self._by_urn: dict[str, Registration] = {}

    def _prerequisites(self, dependencies: list[str]) -> list[Registration]:
        """Every resource a step waits for: its dependencies, theirs, and so on."""
        waiting, found = list(dependencies), {}
        while waiting:
            urn = waiting.pop()
            if urn in self._by_urn and urn not in found:
                found[urn] = self._by_urn[urn]
                waiting.extend(self._by_urn[urn].dependencies)
        return list(found.values())

    def RegisterResource(self, request):
        """MockMonitor's registration, with the URN and prerequisites handed to the cloud."""
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        _ensure_event_loop()  # deserialising resource references needs one on this thread
        inputs = rpc.deserialize_properties(request.object)
        step = ResourceStep(urn, self._prerequisites(list(request.dependencies)), request.deleteBeforeReplace,
                            list(request.ignoreChanges), typ=request.type,
                            name=request.name, inputs=inputs, provider=request.provider,
                            resource_id=request.importId, custom=request.custom)
        id_, state = self.mocks.new_resource(step)
        response = resource_pb2.RegisterResourceResponse(
            urn=urn, id=id_, object=_sync_await(rpc.serialize_properties(state, {})))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        registration = Registration(
            urn=urn, type=request.type, name=request.name, custom=request.custom,
            parent=request.parent, provider=request.provider, dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            protect=request.protect, ignore_changes=list(request.ignoreChanges),
            wire_inputs=_copy(request.object), wire_state=_copy(response.object), inputs=inputs, state=state,
        )
        self.registrations.append(registration)
        self._by_urn[urn] = registration
        if self._registered is not None:
            self._registered(registration)
        return response


def _copy(struct: struct_pb2.Struct) -> struct_pb2.Struct:
    copied = struct_pb2.Struct()
    copied.CopyFrom(struct)
    return copied


# The tools that drive the program, not part of it: they stay loaded while it runs.
_DRIVERS = ("offline", "aws_account")


def _loaded_from_elsewhere(module: Any, project_dir: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is None or not Path(file).resolve().is_relative_to(project_dir.resolve())


@contextlib.contextmanager
def _fresh_program_modules(project_dir: Path) -> Iterator[None]:
    """The program's own modules (components, settings, ...) as `project_dir` holds them, as each `pulumi up` runs
    the program in a new process: a checkout of another commit runs its own code, not what an earlier run loaded
    from another folder. Modules already loaded from `project_dir` are kept; the others are back afterwards."""
    tops = {p.stem for p in project_dir.glob("*.py")} | {p.parent.name for p in project_dir.glob("*/__init__.py")}
    tops -= {"__main__", *_DRIVERS}
    saved = {name: module for name, module in sys.modules.items()
             if name.split(".")[0] in tops and _loaded_from_elsewhere(module, project_dir)}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        sys.path.remove(str(project_dir))
        if saved:
            for name in [n for n in sys.modules if n.split(".")[0] in tops]:
                del sys.modules[name]
            sys.modules.update(saved)


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _abandon_pending_registrations() -> None:
    """A failed run leaves registrations queued on the event loop. Left there, the next run would start them, and
    the SDK reads the engine to call when a registration starts: they would land in that run's account. (The SDK's
    own runs end with their process; these share one.)"""
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    # ...and the run's failures stay recorded (in its RPCs and in its outputs' tasks), for the next run's wait for
    # its own to raise them again.
    pulumi.runtime.settings._get_rpc_manager().clear()
    with pulumi.runtime.settings.SETTINGS.lock:
        pulumi.runtime.settings.SETTINGS.outputs.clear()
    # The failed run's outputs hold its failure in futures nobody reads; asyncio reports each such future when it is
    # collected. Collected now, that is while the caller handles the failure, not when the process exits (the
    # program's collector runs full collections rarely: policies/collector.py).
    gc.collect()


def run_program(project_dir: Path, config: StackConfig, cloud: SimulatedCloud,
                registered: Optional[Callable[[Registration], None]] = None) -> ProgramRun:
    """Run __main__.py of `project_dir` for one stack against `cloud`, as one update of it: what the
    program no longer declares is deleted at the end; `registered` is told of each resource as it is
    registered. Raises whatever the program or the cloud raises."""
    pulumi.runtime.set_all_config(config.values)
    monitor = RecordingMonitor(cloud, registered)
    # "organization" is what the CLI tells a program on a self-managed backend; Pulumi Cloud tells the stack's own.
    pulumi.runtime.set_mocks(cloud, project=config.project, stack=config.stack, preview=True, monitor=monitor,
                             organization="organization")
    # set_mocks keeps the root stack of the run before, and with it that run's exports: each update starts
    # with none, as each `pulumi up` does.
    pulumi.runtime.get_root_resource().outputs.clear()
    with _working_directory(project_dir), _fresh_program_modules(project_dir):
        try:
            _sync_await(run_pulumi_func(lambda: runpy.run_path(str(project_dir), run_name="__main__")))
        except BaseException:
            _abandon_pending_registrations()
            raise
    cloud.delete_all_but({r.urn for r in monitor.registrations})
    # The mock engine finishes the root stack before the program runs, so its exports are
    # read from the stack itself rather than from a RegisterResourceOutputs call.
    # An export still unknown in this preview reads as None.
    exports = {name: _sync_await(pulumi.Output.from_input(value).future())
               for name, value in pulumi.runtime.get_root_resource().outputs.items()}
    return ProgramRun(resources=monitor.registrations, exports=exports)
