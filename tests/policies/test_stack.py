"""Stack-wide: every function logs to a managed log group with a bounded retention."""

import pytest
from pulumi.runtime import rpc

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def log_group_findings(pack, resources):
    return [f for f in pack.analyze_stack(resources) if f.policy == "lambda-managed-log-group"]


def test_function_with_its_managed_log_group_passes(pack):
    assert log_group_findings(pack, [
        (FUNCTION, "api", {"name": "app-dev-api"}),
        (LOG_GROUP, "api", {"name": "/aws/lambda/app-dev-api", "retentionInDays": 14}),
    ]) == []


def test_logging_config_names_the_group_to_look_for(pack):
    assert log_group_findings(pack, [
        (FUNCTION, "api", {"name": "app-dev-api", "loggingConfig": {"logGroup": "/shared/api"}}),
        (LOG_GROUP, "shared", {"name": "/shared/api", "retentionInDays": 30}),
    ]) == []


def test_function_without_a_managed_log_group_is_refused(pack):
    [finding] = log_group_findings(pack, [(FUNCTION, "api", {"name": "app-dev-api"}),
                                    (LOG_GROUP, "other", {"name": "/aws/lambda/other", "retentionInDays": 7})])
    assert finding.policy == "lambda-managed-log-group" and finding.enforcement_level == "mandatory"
    assert "logs to /aws/lambda/app-dev-api, which this stack does not manage" in finding.message
    assert finding.urn == "urn:pulumi:dev::lambdakit::aws:lambda/function:Function::api"


@pytest.mark.parametrize("retention", [None, 0])
def test_a_log_group_that_never_expires_is_refused(pack, retention):
    props = {"name": "/aws/lambda/app-dev-api"} | ({} if retention is None else {"retentionInDays": retention})
    [finding] = log_group_findings(pack, [(FUNCTION, "api", {"name": "app-dev-api"}), (LOG_GROUP, "api", props)])
    assert "log group /aws/lambda/app-dev-api of 'api' keeps logs forever; allowed: 1..3653 days." in finding.message


def test_retention_bounds_are_configurable(pack):
    resources = [(FUNCTION, "api", {"name": "f"}), (LOG_GROUP, "api", {"name": "/aws/lambda/f", "retentionInDays": 3653})]
    with pack.configured('{"lambda-managed-log-group": {"maxRetentionDays": 365}}'):
        [finding] = log_group_findings(pack, resources)
    assert "keeps logs 3653 days; allowed: 1..365 days." in finding.message


def test_unknown_function_name_is_reported_as_not_run(pack):
    [finding] = log_group_findings(pack, [(FUNCTION, "api", {"name": rpc.UNKNOWN})])
    assert finding.enforcement_level == "advisory" and "can't run policy 'lambda-managed-log-group'" in finding.message


def test_a_function_without_a_name_is_judged_by_its_logging_config(pack):
    # Programs that leave the name to autonaming, or to another engine, send none.
    unnamed = {"packageType": "Image", "loggingConfig": {"logFormat": "JSON", "logGroup": "/shared/api"}}
    [finding] = log_group_findings(pack, [(FUNCTION, "api", unnamed)])
    assert "function 'api' logs to /shared/api, which this stack does not manage" in finding.message
    assert log_group_findings(pack, [(FUNCTION, "api", unnamed),
                               (LOG_GROUP, "shared", {"name": "/shared/api", "retentionInDays": 30})]) == []


@pytest.mark.parametrize("props", [{"runtime": "python3.12"}, {"runtime": "python3.12", "loggingConfig": None},
                                   {"runtime": "python3.12", "loggingConfig": {"logFormat": "Text"}}])
def test_a_function_with_neither_name_nor_log_group_is_skipped(pack, props):
    # Nothing says which group Lambda would write to; the named function beside it is still judged.
    [finding] = log_group_findings(pack, [(FUNCTION, "unnamed", props), (FUNCTION, "api", {"name": "app-dev-api"})])
    assert finding.urn.endswith("::api") and "logs to /aws/lambda/app-dev-api" in finding.message


@pytest.mark.parametrize("retention, kept", [("14", None), (14.0, None), ("5000", "keeps logs 5000 days")])
def test_a_retention_given_as_its_text_is_read_as_the_number(pack, retention, kept):
    findings = log_group_findings(pack, [(FUNCTION, "api", {"name": "f"}),
                                         (LOG_GROUP, "api", {"name": "/aws/lambda/f", "retentionInDays": retention})])
    assert [kept in f.message for f in findings] == ([True] if kept else [])


def test_a_function_whose_log_group_cannot_be_read_is_named_and_the_others_are_still_judged(pack):
    [unjudged, judged] = sorted(log_group_findings(pack, [
        (FUNCTION, "api", {"name": "f"}), (LOG_GROUP, "api", {"name": "/aws/lambda/f", "retentionInDays": "a week"}),
        (FUNCTION, "worker", {"name": "w"})]), key=lambda f: f.urn)
    assert unjudged.urn.endswith("::api") and unjudged.enforcement_level == "advisory"
    assert ("could not judge aws:lambda/function:Function 'api': retentionInDays of log group /aws/lambda/f is "
            "'a week' (a string), not a number") in unjudged.message
    assert judged.urn.endswith("::worker") and judged.enforcement_level == "mandatory"
