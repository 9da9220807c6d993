"""The mock engine registers resources from worker threads, so the account must stay whole while several
register at once and another reads it. A switch interval of a microsecond makes the interpreter change
threads between almost any two bytecodes, so that a step that reads the account's state while another
changes it fails here (RuntimeError: dictionary changed size during iteration) rather than once in a while."""

import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from threading import Event
from typing import Iterator

import pulumi

from aws_account.account import SimulatedCloud
from tests.aws_account.steps import register
from tests.conftest import run_stack

FUNCTION = "aws:lambda/function:Function"
LIST_FUNCTIONS = pulumi.runtime.MockCallArgs("aws:lambda/getFunctions:getFunctions", {}, "")


@contextmanager
def threads_switching_often() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def test_the_prod_stack_registers_the_same_resources_however_the_engines_threads_interleave():
    expected = sorted(r.urn for r in run_stack("prod").resources)
    with threads_switching_often():
        for _ in range(15):
            assert sorted(r.urn for r in run_stack("prod").resources) == expected


def test_functions_registered_from_several_threads_while_another_lists_them():
    cloud, writers, functions_each = SimulatedCloud(), 4, 60
    writing_done = Event()

    def register_functions(writer: int) -> None:
        for number in range(functions_each):
            name = f"fn-{writer}-{number}"
            # A reservation makes each registration read the account's other functions too.
            register(cloud, FUNCTION, name, {"name": name, "packageType": "Image", "reservedConcurrentExecutions": 0})

    def list_functions() -> list[int]:
        counts = []
        while not writing_done.is_set():
            counts.append(len(cloud.call(LIST_FUNCTIONS)["functionNames"]))
        return counts

    with threads_switching_often(), ThreadPoolExecutor(writers + 1) as pool:
        listing = pool.submit(list_functions)
        registrations = [pool.submit(register_functions, writer) for writer in range(writers)]
        try:
            for registration in registrations:
                registration.result()  # re-raises what the thread raised
        finally:
            writing_done.set()
        counts = listing.result()
    assert counts == sorted(counts) and counts[-1] <= writers * functions_each
    assert len(cloud.call(LIST_FUNCTIONS)["functionNames"]) == writers * functions_each
