"""EventBridge Scheduler's schedule expressions: what Scheduler would refuse, and how often one fires.

One module for the settings (which refuse a bad schedule before any resource exists), the simulated account (which
refuses what Scheduler refuses), the rehearsal's clock and the cost model (which prices the invocations a schedule
makes). It lives in the policy pack's folder because the pack runs the cost model from there and can import nothing
outside it; the program imports it as policies.cost.schedule.

The forms (Scheduler User Guide, "Schedule types on EventBridge Scheduler",
docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html, and the CreateSchedule API reference):
- rate(value unit): a positive integer and minute | minutes | hour | hours | day | days. EventBridge's rate reference
  (docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html) adds that 1 takes the singular and more
  the plural; Scheduler's page shows the same syntax without saying, so this module holds to the stricter rule: a
  refusal costs one edit, an acceptance Scheduler refuses costs a failed update.
- cron(minutes hours day-of-month month day-of-week year): six fields (eb-cron-expressions.html, the same for
  Scheduler), with , - * / everywhere, ? L W in day-of-month, ? L # in day-of-week; one of the two day fields is ?.
- at(yyyy-mm-ddThh:mm:ss): once, in the schedule's time zone.

Why no cron library (croniter is the well-kept one): AWS's cron is not Vixie cron. It has a year field, `?`, `W` and
an either/or rule for the day fields where croniter ORs them, and croniter has no `W`; a wrapper would translate
and still need this module's validation, which must speak AWS's rules anyway. Counting needs no evaluator either:
minutes and hours do not depend on the date, so a month's invocations are (matching days) x (hours) x (minutes).
The policy pack, which runs the cost model in its own environment, also gains no dependency.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Callable, Optional
from zoneinfo import available_timezones

from .wire import Malformed

# CreateSchedule's ScheduleExpression and ScheduleExpressionTimezone lengths (botocore's scheduler model). Kept here,
# not in aws_limits.py, so that this module imports nothing of the project: the policy pack runs from policies/.
SCHEDULE_EXPRESSION_LENGTH = (1, 256)
SCHEDULE_TIMEZONE_LENGTH = (1, 50)

_RATE = re.compile(r"rate\((?P<value>\S+) (?P<unit>\S+)\)")
_CRON = re.compile(r"cron\((?P<fields>.*)\)")
_AT = re.compile(r"at\((?P<when>.*)\)")
RATE_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {name.upper(): number for name, number in _MONTHS.items()}
_WEEKDAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
# AWS's month of 730 hours, which its monthly prices assume: a rate's invocations are counted over it.
AVERAGE_MONTH_SECONDS = 730 * 3600
# 2001..2028 is a whole cycle of weekdays and leap years (28 years) with no century rule inside it: every weekday
# falls on every date equally often, so an average month over it is exact for any cron without a year (for
# 1901..2099; against the 400-year Gregorian average it is 0.002 % high).
_CYCLE_YEARS = range(2001, 2029)


class _Field:
    def __init__(self, name: str, low: int, high: int, names: dict[str, int], specials: str):
        self.name, self.low, self.high, self.names, self.specials = name, low, high, names, specials

    def number(self, text: str) -> int:
        value = self.names.get(text.upper()) if not text.isdigit() else int(text)
        if value is None or not self.low <= value <= self.high:
            spelled = (f" or {min(self.names, key=self.names.get)}-{max(self.names, key=self.names.get)}"
                       if self.names else "")
            raise ValueError(f"the {self.name} field takes {self.low}-{self.high}{spelled}, "
                             f"not {text!r}")
        return value

    def values(self, text: str) -> set[int]:
        """The plain values a field (no ? L W #) names: lists of *, n, a-b, and steps of those."""
        found: set[int] = set()
        for item in text.split(","):
            base, slash, step = item.partition("/")
            if slash and not (step.isdigit() and int(step) > 0):
                raise ValueError(f"the / wildcard in the {self.name} field needs a positive increment, not {item!r}")
            if base == "*":
                start, end = self.low, self.high
            elif "-" in base:
                first, _, last = base.partition("-")
                start, end = self.number(first), self.number(last)
                if start > end:
                    raise ValueError(f"the range {base!r} in the {self.name} field runs backwards")
            else:
                start = self.number(base)
                end = self.high if slash else start
            found.update(range(start, end + 1, int(step) if slash else 1))
        return found


MINUTES = _Field("Minutes", 0, 59, {}, "")
HOURS = _Field("Hours", 0, 23, {}, "")
DAY_OF_MONTH = _Field("Day-of-month", 1, 31, {}, "?LW")
MONTH = _Field("Month", 1, 12, _MONTHS, "")
DAY_OF_WEEK = _Field("Day-of-week", 1, 7, _WEEKDAYS, "?L#")
YEAR = _Field("Year", 1970, 2199, {}, "")
_FIELDS = (MINUTES, HOURS, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR)


def _weekday(day: date) -> int:
    """AWS's day-of-week number: 1 is Sunday, 7 Saturday."""
    return day.isoweekday() % 7 + 1


def _day_of_month(text: str) -> Callable[[date], bool]:
    last = lambda d: calendar.monthrange(d.year, d.month)[1]  # noqa: E731 (the month's last day)
    if text == "L":
        return lambda d: d.day == last(d)
    if text.endswith("W"):
        # The weekday (Monday..Friday) nearest the given day, within the same month.
        target = DAY_OF_MONTH.number(text[:-1])

        def nearest_weekday(d: date) -> bool:
            day = min(target, last(d))
            weekday = date(d.year, d.month, day).isoweekday()
            if weekday == 6:
                day = day - 1 if day > 1 else day + 2
            elif weekday == 7:
                day = day + 1 if day < last(d) else day - 2
            return d.day == day
        return nearest_weekday
    days = DAY_OF_MONTH.values(text)
    return lambda d: d.day in days


def _day_of_week(text: str) -> Callable[[date], bool]:
    if "#" in text:
        weekday, _, nth = text.partition("#")
        if "," in text or not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ValueError("the # wildcard takes one expression, a day and its instance in the month 1-5, such as "
                             f"3#2 (the second Tuesday), not {text!r}")
        wanted = DAY_OF_WEEK.number(weekday)
        return lambda d: _weekday(d) == wanted and (d.day - 1) // 7 + 1 == int(nth)
    if text.endswith("L"):
        # L alone is the week's last day (Saturday); nL the month's last day n.
        wanted = DAY_OF_WEEK.number(text[:-1]) if text != "L" else 7
        if text == "L":
            return lambda d: _weekday(d) == wanted
        return lambda d: _weekday(d) == wanted and d.day + 7 > calendar.monthrange(d.year, d.month)[1]
    days = DAY_OF_WEEK.values(text)
    return lambda d: _weekday(d) in days


@lru_cache(maxsize=256)
def _cron(fields_text: str) -> tuple[set[int], set[int], Callable[[date], bool], set[int]]:
    """(minutes, hours, the days it fires on, years) of a cron expression's fields; ValueError says what is wrong."""
    fields = fields_text.split()
    if len(fields) != 6:
        raise ValueError("cron expressions have six required fields, which are separated by white space: "
                         "minutes hours day-of-month month day-of-week year")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ValueError("you can't specify the Day-of-month and Day-of-week fields in the same cron expression: if "
                         "you specify a value or a * (asterisk) in one of the fields, you must use a ? (question mark) "
                         "in the other")
    for field, text in zip(_FIELDS, fields):
        bare = text.upper()
        for name in field.names:  # JAN..DEC, SUN..SAT: their letters are no wildcards
            bare = bare.replace(name, "")
        extra = set(re.sub(r"[0-9,*/-]", "", bare)) - set(field.specials)
        if extra:
            wildcards = " ".join([",", "-", "*", "/", *field.specials])
            raise ValueError(f"the {field.name} field takes the wildcards {wildcards} only, "
                             f"not {' '.join(sorted(extra))}")
    months = MONTH.values(month)
    on_day = _day_of_week(dow) if dom == "?" else _day_of_month(dom)
    return MINUTES.values(minute), HOURS.values(hour), (lambda d: d.month in months and on_day(d)), YEAR.values(year)


def _rate_seconds(value: str, unit: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"a rate's value is a positive integer, not {value!r}")
    singular = unit.removesuffix("s")
    if singular not in RATE_UNIT_SECONDS:
        raise ValueError(f"a rate's unit is one of minute | minutes | hour | hours | day | days, not {unit!r}")
    if (int(value) == 1) != (unit == singular):
        raise ValueError("if the value is equal to 1, then the unit must be singular; if the value is greater than 1, "
                         f"the unit must be plural: rate({value} {singular if int(value) == 1 else singular + 's'})")
    return int(value) * RATE_UNIT_SECONDS[singular]


def _at(when: str) -> datetime:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", when):
        raise ValueError(f"a one-time schedule is at(yyyy-mm-ddThh:mm:ss), not at({when})")
    try:
        return datetime.fromisoformat(when)
    except ValueError:
        raise ValueError(f"at({when}) names no date and time") from None


def problem(expression: str) -> Optional[str]:
    """None when Scheduler takes `expression`, else what it requires."""
    if not SCHEDULE_EXPRESSION_LENGTH[0] <= len(expression) <= SCHEDULE_EXPRESSION_LENGTH[1]:
        return f"a schedule expression has {SCHEDULE_EXPRESSION_LENGTH[0]}..{SCHEDULE_EXPRESSION_LENGTH[1]} characters"
    try:
        if rate := _RATE.fullmatch(expression):
            _rate_seconds(rate["value"], rate["unit"])
        elif cron := _CRON.fullmatch(expression):
            _cron(cron["fields"])
        elif at := _AT.fullmatch(expression):
            _at(at["when"])
        else:
            return "a schedule expression is rate(value unit), cron(fields) or at(yyyy-mm-ddThh:mm:ss)"
    except ValueError as refused:
        return str(refused)
    return None


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_problem(name: str) -> Optional[str]:
    """None when `name` is an IANA time zone (what ScheduleExpressionTimezone takes: "UTC", "Europe/Paris"), else
    why not. The names come from the tzdata package (pinned in requirements.txt), so a machine without the
    system's zone files judges alike."""
    low, high = SCHEDULE_TIMEZONE_LENGTH
    if not low <= len(name) <= high:
        return f"a schedule's time zone has {low}..{high} characters"
    if name not in _timezones():
        return f"{name!r} is not an IANA time zone name (such as UTC or Europe/Paris)"
    return None


@lru_cache(maxsize=256)
def invocations_per_month(expression: str) -> float:
    """How many times a month the schedule fires, on average: a rate exactly; a cron over the years it names (a
    whole 28-year weekday cycle when any year will do), in the schedule's own clock, so daylight saving's skipped
    or repeated hour is not counted (at most one invocation a day, twice a year); at(): 0, it does not recur.
    Raises ValueError for an expression `problem` refuses."""
    return _fired(expression)[0]


def _fired(expression: str) -> tuple[float, float]:
    """(invocations, hours with at least one) in an average month."""
    if (reason := problem(expression)) is not None:
        raise ValueError(reason)
    if rate := _RATE.fullmatch(expression):
        seconds = _rate_seconds(rate["value"], rate["unit"])
        per_month = AVERAGE_MONTH_SECONDS / seconds
        return per_month, AVERAGE_MONTH_SECONDS / 3600 if seconds <= 3600 else per_month
    if cron := _CRON.fullmatch(expression):
        minutes, hours, fires_on, years = _cron(cron["fields"])
        counted = _CYCLE_YEARS if years == YEAR.values("*") else sorted(years)
        days = sum(1 for year in counted for month in range(1, 13)
                   for day in range(1, calendar.monthrange(year, month)[1] + 1) if fires_on(date(year, month, day)))
        hours_fired = days * len(hours) / (12 * len(counted))
        return hours_fired * len(minutes), hours_fired
    return 0.0, 0.0


@dataclass(frozen=True)
class Cadence:
    """A schedule as the cost model prices it."""

    per_month: float  # invocations in an average month
    hours: float      # hours of the month with at least one invocation
    text: str         # how the estimate's basis says it


def cadence(expression: object, what: str) -> Cadence:
    """How often `expression` fires a month; `Malformed` (naming `what`) when Scheduler would refuse it."""
    if not isinstance(expression, str):
        raise Malformed(f"{what} is not a schedule expression")
    try:
        per_month, hours = _fired(expression)
    except ValueError as refused:
        raise Malformed(f"{what} is {expression!r}: {refused}") from None
    said = f"{expression}: once, not monthly" if _AT.fullmatch(expression) else \
        f"{expression}: {per_month:,.0f} a month"
    return Cadence(per_month, hours, said)
