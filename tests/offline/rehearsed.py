"""The scenarios as the rehearsal tests read them: each played once for the whole test run (a few seconds each),
whichever module asks first, and the calls of one stage."""

import pytest

from offline.rehearsal.scenarios import SCENARIOS, Played, play
from tests.conftest import PROJECT_DIR

_PLAYED: dict[str, Played] = {}


@pytest.fixture(scope="session")
def played():
    def get(name: str) -> Played:
        if name not in _PLAYED:
            _PLAYED[name] = play(PROJECT_DIR, "prod", SCENARIOS[name])
        return _PLAYED[name]
    return get


def calls(played: Played, stage: str, action: str) -> list:
    """The stage's calls of `action`, allowed or refused, in the order they were made."""
    return [e for e in played.timeline.entries if e.stage == stage and e.what.startswith(f"{action} ")]


def events(played: Played, stage: str, starting: str) -> list:
    """The stage's events (not calls) whose text starts with `starting`."""
    return [e for e in played.timeline.entries if e.stage == stage and not e.outcome and e.what.startswith(starting)]
