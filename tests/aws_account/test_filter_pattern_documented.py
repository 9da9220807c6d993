"""The filter-pattern evaluator (aws_account/filter_pattern.py) against every example of AWS's "Filter pattern
syntax for metric filters" page and the three pages of examples it sends the reader to, one row an example, each
naming its page. Events are the pages' own sample events; where a page gives none, the row says so.

The pages (CloudWatch Logs User Guide, docs.aws.amazon.com/AmazonCloudWatch/latest/logs/):
- METRIC: FilterAndPatternSyntaxForMetricFilters.html, "Filter pattern syntax for metric filters"
- UNSTRUCTURED: matching-terms-unstructured-log-events.html ("Using filter patterns to match terms in unstructured
  log events"), one of the sub-pages of FilterAndPatternSyntax.html the metric-filter page sends the reader to
- JSON: matching-terms-json-log-events.html ("Using filter patterns to match terms in JSON log events"), likewise
- DELIMITED: FilterAndPatternSyntax.html#matching-term-space-delimited-log-events ("Using filter patterns to match
  terms in space-delimited log events"), the section the space-delimited sub-page was split from (no copy of that
  sub-page could be read; the unstructured and JSON sub-pages carry their sections' examples over, the JSON one
  without the section's eight numeric examples, tested below on events of ours)
Together they give 31 examples (6 + 13 + 8 + 4). Seven use regular expressions (`%…%`), which the evaluator
refuses to guess at (UnsupportedPattern, never a wrong answer); the other 24 are evaluated.

Besides them: TestMetricFilter's examples in the CloudWatch Logs API Reference (AWS's own answers, with the
fields it extracts) and the two examples issue 24 found disagreeing, from the page's earlier "Filter and Pattern
Syntax" version (awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md, 2018-2021).
"""

import json

import pytest

from aws_account.filter_pattern import FilterPattern, InvalidPattern, UnsupportedPattern

METRIC = "FilterAndPatternSyntaxForMetricFilters.html"
UNSTRUCTURED = "matching-terms-unstructured-log-events.html"
JSON_PAGE = "matching-terms-json-log-events.html"
DELIMITED = "FilterAndPatternSyntax.html#matching-term-space-delimited-log-events"
REGEX = "regex"  # expected outcome: valid for CloudWatch, not evaluated here

# UNSTRUCTURED's events: every entry its examples list as matched.
LINES = ["[ERROR 400] BAD REQUEST", "[ERROR 401] UNAUTHORIZED REQUEST", "[ERROR 419] MISSING ARGUMENTS",
         "[ERROR 420] INVALID ARGUMENTS", "[INFO] INVALID ARGUMENTS PROVIDED", "[ERROR 500] INTERNAL SERVER ERROR"]
# JSON's two sample events, on one line as the page says to test them.
EVENT = json.dumps({"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111",
                    "arrayKey": ["value", "another value"],
                    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
                    "SomeObject": None, "cluster.name": "c"})
USERS = json.dumps({"user": {"id": 1, "email": "John.Stiles@example.com"},
                    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
                    "actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]})
# DELIMITED's and METRIC's space-delimited sample event.
ACCESS = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
# METRIC's dimensions example event (no SomeObject, no cluster.name).
TRAIL = json.dumps({"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111",
                    "arrayKey": ["value", "another value"],
                    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}]})
# For a row whose page gives one event only: the same event with the tested value changed (ours), so that the
# row also shows a non-match.
OTHER_EVENT = json.dumps({**json.loads(EVENT), "eventType": "UserLogin", "sourceIPAddress": "123.123.0.7",
                          "arrayKey": ["another value"], "SomeObject": {}, "cluster.name": "d", "SomeOtherObject": 1})
OTHER_ACCESS = ACCESS.replace("404", "200")

DOCUMENTED = [
    (UNSTRUCTURED, "ERROR", LINES, [0, 1, 2, 3, 5]),
    (UNSTRUCTURED, "ERROR ARGUMENTS", LINES, [2, 3]),
    (UNSTRUCTURED, "?ERROR ?ARGUMENTS", LINES, [0, 1, 2, 3, 4, 5]),
    (UNSTRUCTURED, '"INTERNAL SERVER ERROR"', LINES, [5]),
    (UNSTRUCTURED, "ERROR -ARGUMENTS", LINES, [0, 1, 5]),
    (UNSTRUCTURED, '" "', [*LINES, "no-space-at-all"], [0, 1, 2, 3, 4, 5, 6]),  # "Capture all log activity"
    (JSON_PAGE, '{ $.eventType = "UpdateTrail" }', [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, "{ $.sourceIPAddress != 123.123.* }", [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, '{ $.arrayKey[0] = "value" }', [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, "{ $.eventType = %Trail% }", [EVENT], REGEX),
    (JSON_PAGE, "{ $.arrayKey[*] = %val.{2}% }", [EVENT], REGEX),
    (JSON_PAGE, r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }", [EVENT], REGEX),
    (JSON_PAGE, "{ $.['cluster.name'] = \"c\" }", [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, "{ $.SomeObject IS NULL }", [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, "{ $.SomeOtherObject NOT EXISTS }", [EVENT, OTHER_EVENT], [0]),
    (JSON_PAGE, '{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', [USERS], [0]),
    (JSON_PAGE, '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && '
                '$.actions[2] = "nonmatch" }', [USERS], [0]),
    (JSON_PAGE, '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && '
                '$.actions[2] = "nonmatch" }', [USERS], []),
    (JSON_PAGE, '{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', [USERS], []),
    (DELIMITED, r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]",
     [ACCESS], REGEX),
    (DELIMITED, "[..., request =*.html*, status_code = 4*, bytes]", [ACCESS, OTHER_ACCESS], [0]),
    (DELIMITED, "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]",
     [ACCESS, OTHER_ACCESS, ACCESS.replace("404", "410")], [0, 2]),
    # The w1/w2 rows: the events of the page's earlier version, the last that said which events each one returns
    # (the current page's sample lines have six or seven fields; see test_a_pattern_names_as_many_fields_as_...).
    (DELIMITED, "[w1=ERROR, w2]", ["ERROR WARN message", "ERROR message", "WARN message"], [1]),
    (DELIMITED, "[w1=ERROR || w1=WARNING, w2]", ["ERROR message", "WARNING message", "INFO message"], [0, 1]),
    (DELIMITED, "[w1!=ERROR && w1!=WARNING, w2]", ["ERROR message", "WARNING message", "INFO message"], [2]),
    (DELIMITED, "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", [], REGEX),
    (DELIMITED, "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", [],
     REGEX),
    (METRIC, '{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', [TRAIL, OTHER_EVENT], [0]),
    (METRIC, "[ip, server, username, timestamp, request, status_code, bytes > 1000]",
     [ACCESS, ACCESS.replace("1534", "999")], [0]),
    (METRIC, "[w1=ERROR || w1=%WARN%, w2]", [], REGEX),
    (METRIC, "{ $.latency = * }", ['{"latency": 50, "requestType": "GET"}', '{"requestType": "GET"}'], [0]),
]


def test_the_table_holds_the_31_examples_of_the_four_pages():
    assert len(DOCUMENTED) == 31
    assert [page for page, *_ in DOCUMENTED].count(UNSTRUCTURED) == 6
    assert [page for page, *_ in DOCUMENTED].count(JSON_PAGE) == 13
    assert [page for page, *_ in DOCUMENTED].count(DELIMITED) == 8
    assert [page for page, *_ in DOCUMENTED].count(METRIC) == 4


@pytest.mark.parametrize("page, pattern, events, matching", DOCUMENTED,
                         ids=[f"{page.split('.')[0]}: {pattern[:60]}" for page, pattern, *_ in DOCUMENTED])
def test_every_documented_example(page, pattern, events, matching):
    if matching == REGEX:
        with pytest.raises(UnsupportedPattern):  # valid for CloudWatch (so never InvalidPattern); not guessed at
            FilterPattern.parse(pattern)
        return
    parsed = FilterPattern.parse(pattern)
    assert [i for i, event in enumerate(events) if parsed.matches(event)] == matching


def test_metric_pages_fields_and_value_are_what_the_page_says():
    pattern = FilterPattern.parse("[ip, server, username, timestamp, request, status_code, bytes > 1000]")
    assert pattern.tree.fields(ACCESS) == {"$bytes": "1534", "$status_code": "404",
                                           "$request": "GET /index.html HTTP/1.0",
                                           "$timestamp": "10/Oct/2000:13:25:15 -0700", "$username": "frank",
                                           "$server": "Prod", "$ip": "127.0.0.1"}
    pattern.check_value("$server")  # the page's dimension `"server" : $server`
    assert FilterPattern.parse("{ $.latency = * }").metric_value('{"latency": 50, "requestType": "GET"}',
                                                                 "$.latency") == 50  # "publishes ... 50"


# FilterAndPatternSyntax.html's JSON section, "Writing filter patterns that match numeric values": eight examples
# with no event; each is run on an event of ours that it matches and one it does not.
@pytest.mark.parametrize("pattern, matched, missed", [
    ("{ $.bandwidth > 75 }", '{"bandwidth": 76}', '{"bandwidth": 75}'),
    ("{ $.latency < 50 }", '{"latency": 49.9}', '{"latency": 50}'),
    ("{ $.refreshRate >= 60 }", '{"refreshRate": 60}', '{"refreshRate": 59}'),
    ("{ $.responseTime <= 5 }", '{"responseTime": 5}', '{"responseTime": 6}'),
    ("{ $.errorCode = 400}", '{"errorCode": 400}', '{"errorCode": 404}'),
    ("{ $.errorCode != 500 }", '{"errorCode": 404}', '{"errorCode": 500}'),
    ("{ $.number[0] = 1e+3 }", '{"number": [1000]}', '{"number": [100]}'),
    ("{ $.number[0] != 1e-3 }", '{"number": [1]}', '{"number": [0.001]}'),
])
def test_the_numeric_json_examples(pattern, matched, missed):
    parsed = FilterPattern.parse(pattern)
    assert parsed.matches(matched) and not parsed.matches(missed)


# FilterAndPatternSyntax.html's note, in its section on unstructured events, that ? terms combined with other terms
# are ignored, with its three events; the fourth event is ours, holding only a ? term.
def test_question_mark_terms_beside_other_terms_are_ignored():
    parsed = FilterPattern.parse("?ERROR ?ARGUMENTS REQUEST")
    events = ["[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST", "[ERROR] ARGUMENTS"]
    assert [parsed.matches(e) for e in events] == [True, True, True, False]


# TestMetricFilter's examples: docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TestMetricFilter.html,
# the request's events and the response's matches with their extractedValues, as AWS answered.
APACHE = ['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
          '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
          '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355']
HTML = ['127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
        '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /about-us/index.html HTTP/1.0" 200 5324',
        '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 4355',
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /products/index.html HTTP/1.0" 400 1534']
FIRST_FOUR = {"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700"}
ERRORS = ["02 May 2014 00:34:12,525 [INFO] Starting the application",
          "02 May 2014 00:35:14,245 [DEBUG] Database connection established",
          "02 May 2014 00:34:14,663 [INFO] Executing SQL Query",
          "02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException",
          "02 May 2014 00:34:16,224 [ERROR] Terminating the application"]


@pytest.mark.parametrize("pattern, events, first_match", [
    # The reference prints the first event's $size as "1534," (the third's as "4355"): a typo in its sample.
    ("[ip, identity, user_id, timestamp, request, status_code, size]", APACHE, (0, {
        "$ip": "127.0.0.1", "$identity": "-", "$user_id": "frank", "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0", "$status_code": "200", "$size": "1534"})),
    ("[..., size]", APACHE, (0, {**FIRST_FOUR, "$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$size": "1534"})),
    ("[]", APACHE, (0, {**FIRST_FOUR, "$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$7": "1534"})),
    ("[..., status_code=200, size]", APACHE, (0, {**FIRST_FOUR, "$5": "GET /apache_pb.gif HTTP/1.0",
                                                 "$status_code": "200", "$size": "1534"})),
    # Issue 24: the trailing comma is an empty field, matched by anything and extracted as $7.
    ("[..., request=*.html*, status_code=4*,]", HTML, (0, {**FIRST_FOUR, "$request": "GET /index.html HTTP/1.0",
                                                          "$status_code": "404", "$7": "1534"})),
])
def test_test_metric_filter_examples_match_and_extract_as_aws_answered(pattern, events, first_match):
    answers = {"[ip, identity, user_id, timestamp, request, status_code, size]": [0, 1, 2], "[..., size]": [0, 1, 2],
               "[]": [0, 1, 2], "[..., status_code=200, size]": [0, 2],
               "[..., request=*.html*, status_code=4*,]": [0, 3]}
    parsed = FilterPattern.parse(pattern)
    assert [i for i, event in enumerate(events) if parsed.matches(event)] == answers[pattern]
    index, extracted = first_match
    assert parsed.tree.fields(events[index]) == extracted


@pytest.mark.parametrize("pattern, matching", [('"[ERROR]"', [3, 4]), ('"[ERROR]" Exception', [3])])
def test_test_metric_filter_term_examples(pattern, matching):
    parsed = FilterPattern.parse(pattern)
    assert [i for i, event in enumerate(ERRORS) if parsed.matches(event)] == matching


def test_a_trailing_empty_field_gives_its_value_by_position():
    pattern = FilterPattern.parse("[..., request=*.html*, status_code=4*,]")
    pattern.check_value("$7")  # "numeric identifiers" (METRIC, "Configuring metric values")
    assert [pattern.metric_value(event, "$7") for event in HTML] == [1534, None, None, 1534]


# Issue 24's second example, from the earlier page: two fields' conditions inside one field.
@pytest.mark.parametrize("pattern", [
    "[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]",
    "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
])
def test_the_earlier_pages_and_examples_are_valid(pattern):
    try:
        parsed = FilterPattern.parse(pattern)
    except UnsupportedPattern:
        return  # valid for CloudWatch: the account accepts it (aws_account/logs.py), and nothing is guessed
    except InvalidPattern as refused:
        pytest.fail(f"AWS documents {pattern!r}; the evaluator refused it: {refused}")
    assert parsed.matches(ACCESS) and not parsed.matches(ACCESS.replace("404", "403"))


def test_a_condition_on_another_field_is_read_from_that_field():
    parsed = FilterPattern.parse("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]")
    assert parsed.matches(ACCESS)
    assert not parsed.matches(ACCESS.replace("1534", "999"))
    assert not parsed.matches(OTHER_ACCESS)


def test_a_condition_on_a_field_the_pattern_does_not_have_is_not_guessed():
    # "status_code = 4* && bytes > 1000" with no bytes field: AWS says what it compares `bytes` with nowhere.
    with pytest.raises(UnsupportedPattern):
        FilterPattern.parse("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]")


# The current page's own sample lines for [w1=ERROR, w2] have six or seven fields; a pattern without an ellipsis
# matches only events with as many fields as it names (as the earlier page's events above show). Kept explicit so
# that a change of that rule is a decision, not an accident.
def test_a_pattern_names_as_many_fields_as_the_event_has_unless_it_has_an_ellipsis():
    line = "ERROR 09/25/2014 12:00:02 Failed to process request"
    assert not FilterPattern.parse("[w1=ERROR, w2]").matches(line)
    assert FilterPattern.parse("[w1=ERROR, ...]").matches(line)
