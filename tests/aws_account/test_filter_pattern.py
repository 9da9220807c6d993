"""The filter-pattern evaluator against the worked examples of AWS's "Filter pattern syntax for metric
filters, subscription filters, and filter log events" page (CloudWatch Logs User Guide), event for
event, before it is trusted with the project's own patterns."""

import pytest

from aws_account.filter_pattern import FilterPattern, InvalidPattern, UnsupportedPattern

# "Matching terms in unstructured log events".
TERM_EVENTS = ["[ERROR 400] BAD REQUEST", "[ERROR 401] UNAUTHORIZED REQUEST", "[ERROR 419] MISSING ARGUMENTS",
               "[ERROR 420] INVALID ARGUMENTS"]


@pytest.mark.parametrize("pattern, matching", [
    ("ERROR", [0, 1, 2, 3]),
    ("ERROR ARGUMENTS", [2, 3]),
    ("?ERROR ?ARGUMENTS", [0, 1, 2, 3]),
    ("ERROR -ARGUMENTS", [0, 1]),
    ('"MISSING ARGUMENTS"', [2]),
    ('"INTERNAL SERVER ERROR"', []),
])
def test_terms(pattern, matching):
    parsed = FilterPattern.parse(pattern)
    assert [i for i, event in enumerate(TERM_EVENTS) if parsed.matches(event)] == matching


def test_a_term_matches_inside_a_word_and_case_matters():
    assert FilterPattern.parse("ERROR").matches("Exiting with ERRORCODE: -1")
    assert not FilterPattern.parse("ERROR").matches("error: lower case")


# "Using filter patterns to match terms in JSON log events": the doc's first example event.
J1 = ('{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"],'
      ' "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "ThisFlag": true}')
# The doc's compound-expression example event.
J2 = ('{"user": {"id": 1, "email": "John.Stiles@example.com"}, "users": [{"id": 2, "email": "John.Doe@example.com"},'
      ' {"id": 3, "email": "Jane.Doe@example.com"}], "actions": ["GET", "PUT", "DELETE"],'
      ' "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}')


@pytest.mark.parametrize("pattern, event, matches", [
    ('{ $.eventType = "UpdateTrail" }', J1, True),
    ("{ $.sourceIPAddress != 123.123.* }", J1, True),
    ("{ $.sourceIPAddress = 111.* }", J1, True),
    ('{ $.arrayKey[0] = "value" }', J1, True),
    ("{ $.objectList[1].id = 2 }", J1, True),
    ("{ $.SomeObject IS NULL }", J1, True),
    ("{ $.SomeOtherObject NOT EXISTS }", J1, True),
    ("{ $.eventType NOT EXISTS }", J1, False),
    ("{ $.ThisFlag IS TRUE }", J1, True),
    ("{ $.ThisFlag IS FALSE }", J1, False),
    ('{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', J1, True),
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', J2, True),
    ('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
     J2, True),
    ('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
     J2, False),
    ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', J2, False),
    ("{ $.coordinates[0][1] = 1 }", J2, True),
    # A selector that names an array or an object matches no value, = or !=.
    ("{ $.actions = 1 }", J2, False),
    ("{ $.actions != 1 }", J2, False),
    ("{$.foo = bar}", '{"foo": "bar"}', True),
    ("{$.foo = bar || $.foo = baz }", '{"foo": "baz"}', True),
    ("{ $.latency > +1000 }", '{"latency": 1500}', True),
    ("{ $.number[0] = 1e-3 }", '{"number": [0.001]}', True),
    ("{ $.number[0] != 1e+3 }", '{"number": [1000]}', False),
    ("{ $.processes[4].averageRuntime <= 55.5 }",
     '{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}', True),
    ('{ $.eventType = "UpdateTrail" }', "not JSON at all", False),
])
def test_json_patterns(pattern, event, matches):
    assert FilterPattern.parse(pattern).matches(event) is matches


def test_a_json_value_is_published_as_the_metric_value():
    pattern = FilterPattern.parse("{ $.latency = * }")
    assert pattern.metric_value('{"latency": 50, "requestType": "GET"}', "$.latency") == 50
    assert pattern.metric_value('{"requestType": "GET"}', "$.latency") is None


# "Using filter patterns to match terms in space-delimited log events".
S1 = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'


@pytest.mark.parametrize("pattern, matches", [
    ("[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", True),
    ("[..., request =*.html*, status_code = 4*, bytes]", True),
    ("[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]", True),
    ("[ip, server, username, timestamp, request, status_code, bytes > 1000]", True),
    ("[ip, server, username, timestamp, request, status_code, bytes > 2000]", False),
    ("[ip, user, ...]", True),
    ("[ip, user]", False),  # without an ellipsis the fields must be exactly as many as the event's
])
def test_space_delimited_patterns(pattern, matches):
    assert FilterPattern.parse(pattern).matches(S1) is matches


def test_space_delimited_fields_are_extracted_without_their_brackets_and_quotes():
    pattern = FilterPattern.parse("[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]")
    assert pattern.tree.fields(S1) == {"$bytes": "1534", "$status_code": "404", "$request": "GET /index.html HTTP/1.0",
                                       "$timestamp": "10/Oct/2000:13:25:15 -0700", "$username": "frank",
                                       "$user": "Prod", "$ip": "127.0.0.1"}
    assert pattern.metric_value(S1, "$bytes") == 1534


@pytest.mark.parametrize("pattern, events", [
    ("[w1=ERROR, w2]", [1]),
    ("[w1=ERROR || w1=WARN, w2]", [1, 2]),
    ("[w1!=ERROR && w1!=WARN, w2]", []),
])
def test_term_order_with_space_delimited_patterns(pattern, events):
    messages = ["ERROR WARN message", "ERROR message", "WARN message"]
    parsed = FilterPattern.parse(pattern)
    assert [i for i, m in enumerate(messages) if parsed.matches(m)] == events


@pytest.mark.parametrize("pattern", [
    "{ $.a = 1", "{ a = 1 }", "{ $.a > abc }", "{ $.a = }", "{ ($.a = 1 }", "[a, b", "[a b c]", "{ $.a = 1 && }",
])
def test_malformed_patterns_are_refused(pattern):
    with pytest.raises(InvalidPattern):
        FilterPattern.parse(pattern)


def test_regular_expressions_are_outside_this_evaluator():
    with pytest.raises(UnsupportedPattern):
        FilterPattern.parse("%ERROR [0-9]{3}%")


@pytest.mark.parametrize("pattern, value, valid", [
    ("{ $.latency = * }", "$.latency", True),
    ("{ $.latency = * }", "1", True),
    ("[ip, bytes]", "$bytes", True),
    ("[ip, bytes]", "$size", False),
    ("ERROR", "$.latency", False),
])
def test_a_metric_value_must_be_a_number_or_a_field_of_the_pattern(pattern, value, valid):
    parsed = FilterPattern.parse(pattern)
    if valid:
        parsed.check_value(value)
    else:
        with pytest.raises(InvalidPattern):
            parsed.check_value(value)
