"""Schedule expressions: what EventBridge Scheduler refuses, in its words, and how often a schedule fires a month."""

from datetime import date

import pytest

from policies.cost import schedule as se

DAYS_A_MONTH = 10227 / 336  # 2001..2028: 28 years, 7 of them leap, 336 months


@pytest.mark.parametrize("expression", [
    "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(1 day)", "rate(7 days)",
    "cron(0 12 * * ? *)", "cron(0/15 * ? * MON-FRI *)", "cron(0 18 L * ? *)", "cron(0 9 15W * ? *)",
    "cron(0 9 ? * 3#2 *)", "cron(0 9 ? * 6L *)", "cron(30 2 ? JAN,JUL WED 2027-2030)", "cron(0 8 1 */3 ? *)",
    "at(2027-01-31T09:30:00)",
])
def test_what_scheduler_takes(expression):
    assert se.problem(expression) is None


@pytest.mark.parametrize("expression, said", [
    ("rate(1 minutes)", "the unit must be singular"), ("rate(5 hour)", "rate(5 hours)"),
    ("rate(0 days)", "positive integer"), ("rate(1.5 hours)", "positive integer"),
    ("rate(2 weeks)", "days, not 'weeks'"),
    ("cron(0 12 * * ? )", "six required fields"), ("cron(0 12 * * * *)", "you must use a ? (question mark)"),
    ("cron(0 12 ? * ? *)", "you must use a ? (question mark)"), ("cron(60 * * * ? *)", "Minutes field takes 0-59"),
    ("cron(0 24 * * ? *)", "Hours field takes 0-23"), ("cron(0 9 ? 13 MON *)", "Month field takes 1-12 or JAN-DEC"),
    ("cron(0 9 ? * 8 *)", "Day-of-week field takes 1-7 or SUN-SAT"),
    ("cron(0 9 * * ? 1969)", "Year field takes 1970"),
    ("cron(0 9 ? * 3#1,6#3 *)", "the # wildcard takes one expression"), ("cron(0 9 L * ? #)", "Year field takes"),
    ("cron(0 9 ? * MON W)", "Year field takes the wildcards , - * / only, not W"),
    ("cron(0/0 * * * ? *)", "positive increment"), ("cron(0 9 20-10 * ? *)", "runs backwards"),
    ("at(2027-01-31)", "at(yyyy-mm-ddThh:mm:ss)"), ("at(2027-02-30T09:00:00)", "names no date"),
    ("every day", "rate(value unit), cron(fields) or at("), ("rate(" + "1" * 260 + " days)", "1..256 characters"),
])
def test_what_scheduler_refuses_and_why(expression, said):
    assert said in se.problem(expression)


def _fires(fields: str, day: date) -> bool:
    return se._cron(fields)[2](day)


def test_the_day_wildcards_pick_the_days_aws_describes():
    # May 2027 begins on a Saturday: 1W is Monday the 3rd, 15W (a Saturday) Friday the 14th; L the 31st.
    assert [d for d in range(1, 32) if _fires("0 9 1W * ? *", date(2027, 5, d))] == [3]
    assert [d for d in range(1, 32) if _fires("0 9 15W * ? *", date(2027, 5, d))] == [14]
    assert [d for d in range(1, 32) if _fires("0 9 L * ? *", date(2027, 5, d))] == [31]
    # 3#2 is the second Tuesday (11 May 2027), 6L the last Friday (28 May), WED a Wednesday in January only.
    assert [d for d in range(1, 32) if _fires("0 9 ? * 3#2 *", date(2027, 5, d))] == [11]
    assert [d for d in range(1, 32) if _fires("0 9 ? * 6L *", date(2027, 5, d))] == [28]
    assert _fires("0 9 ? JAN WED *", date(2027, 1, 6)) and not _fires("0 9 ? JAN WED *", date(2027, 2, 3))


# A rate is counted over AWS's month of 730 hours, the month its monthly prices assume (and the cost model's); a cron
# over the calendar days it fires on.
MONTH_HOURS = 730


@pytest.mark.parametrize("expression, per_month", [
    ("rate(5 minutes)", MONTH_HOURS * 12), ("rate(1 hour)", MONTH_HOURS), ("rate(1 day)", MONTH_HOURS / 24),
    ("rate(7 days)", MONTH_HOURS / 24 / 7),
    ("cron(0 12 * * ? *)", DAYS_A_MONTH), ("cron(0/15 9-17 ? * MON-FRI *)", DAYS_A_MONTH * 5 / 7 * 9 * 4),
    ("cron(0 18 L * ? *)", 1), ("cron(0 9 ? * 3#2 *)", 1), ("cron(0 9 15W * ? *)", 1),
    ("cron(0 9 29 2 ? *)", 7 / 336), ("cron(0 12 * * ? 2027)", 365 / 12), ("cron(0 12 * * ? 2027,2028)", 731 / 24),
    ("at(2027-01-31T09:30:00)", 0),
])
def test_invocations_per_month(expression, per_month):
    assert se.invocations_per_month(expression) == pytest.approx(per_month, rel=1e-9)


@pytest.mark.parametrize("expression, hours", [
    ("rate(5 minutes)", MONTH_HOURS), ("rate(1 hour)", MONTH_HOURS), ("rate(12 hours)", MONTH_HOURS / 12),
    ("cron(0/15 9-17 ? * MON-FRI *)", DAYS_A_MONTH * 5 / 7 * 9), ("at(2027-01-31T09:30:00)", 0),
])
def test_the_hours_a_month_a_schedule_fires_in(expression, hours):
    """What the cost model takes for the hours its function's log group is written in."""
    fired = se.cadence(expression, "the schedule")
    assert (fired.per_month, fired.hours) == (pytest.approx(se.invocations_per_month(expression), rel=1e-12),
                                              pytest.approx(hours, rel=1e-9))


def test_no_count_for_an_expression_scheduler_refuses():
    with pytest.raises(ValueError, match="six required fields"):
        se.invocations_per_month("cron(0 12 * *)")


@pytest.mark.parametrize("name, said", [("UTC", None), ("Europe/Paris", None), ("America/Argentina/Buenos_Aires", None),
                                        ("Mars/Olympus", "not an IANA time zone"), ("utc", "not an IANA time zone"),
                                        ("", "1..50 characters")])
def test_time_zones_are_iana_names(name, said):
    found = se.timezone_problem(name)
    assert found is None if said is None else said in found
