"""What a rehearsal prints: every call with who made it, when, and whether IAM let it through, and what each stage
came to."""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from aws_account.authority import Verdict


@dataclass(frozen=True)
class Entry:
    minute: float  # since the push
    stage: str
    principal: str
    what: str  # the call (action on resource), or what happened
    outcome: str  # allowed, DENIED, or "" for an event
    by: str = ""  # the statement (or the lack of one) that decided, or the event's detail


# When the rehearsed push happens, for what reads absolute times (CloudWatch's datapoints and state reasons).
PUSHED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc).timestamp()


@dataclass
class Timeline:
    entries: list[Entry] = field(default_factory=list)
    minute: float = 0.0  # the clock: minutes since the push

    @property
    def epoch_seconds(self) -> float:
        return PUSHED_AT + self.minute * 60

    def advance(self, minutes: float) -> None:
        self.minute += minutes

    def call(self, stage: str, verdict: Verdict) -> Verdict:
        decision = verdict.decision
        self.entries.append(Entry(self.minute, stage, verdict.principal.name, f"{verdict.action} {verdict.resource}",
                                  "allowed" if verdict.allowed else "DENIED",
                                  decision.decided_by if verdict.allowed else verdict.message()))
        return verdict

    def event(self, stage: str, who: str, what: str, detail: str = "") -> None:
        self.entries.append(Entry(self.minute, stage, who, what, "", detail))

    def denied(self) -> list[Entry]:
        return [e for e in self.entries if e.outcome == "DENIED"]

    def render(self, every_call: bool = False) -> str:
        """Events and refused calls; with `every_call`, each allowed call too, else a count of them per stage."""
        lines, allowed = [], 0
        for entry in self.entries:
            if entry.outcome == "allowed" and not every_call:
                allowed += 1
                continue
            if allowed:
                lines.append(f"{'':>8}  {'':<8}  ({allowed} calls allowed)")
                allowed = 0
            lines.append(_line(entry))
        if allowed:
            lines.append(f"{'':>8}  {'':<8}  ({allowed} calls allowed)")
        return "\n".join(lines)


def clock(minute: float) -> str:
    return f"+{int(minute) // 60:d}:{int(minute) % 60:02d}:{round(minute % 1 * 60):02d}"


def _line(entry: Entry) -> str:
    head = f"{clock(entry.minute):>8}  {entry.stage:<8}  {entry.principal:<44}"
    if entry.outcome:
        return f"{head}  {entry.outcome:<7} {entry.what}\n{'':>64}by {entry.by}"
    return f"{head}  {entry.what}" + (f": {entry.by}" if entry.by else "")


def first_denial(entries: list[Entry]) -> Optional[Entry]:
    return next((e for e in entries if e.outcome == "DENIED"), None)
