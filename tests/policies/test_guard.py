"""The guard (policies/guard.py): one policy's failure never costs another's verdict.

On a pack made for it, served by the guard as the real pack is: policies that fail as a rule can fail, beside
policies that judge. Then on the real pack, a rule's own "could not judge" and failClosedInProduction.
"""


import pytest

from offline.policy_engine import PolicyPackProcess
from tests.conftest import PROJECT_DIR
from tests.policies.conftest import STACK, Pack, aws_environment, by_policy

FUNCTION = "aws:lambda/function:Function"
GUARDED_PACK = f'''
import sys

sys.path.insert(0, {str(PROJECT_DIR / "policies")!r})

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from cost.wire import Malformed
from guard import Unjudged, serve


def judges(args, report):
    report("judged")


def fails_after_a_finding(args, report):
    report("found before failing")
    raise KeyError("imageUri")


def refuses_a_value(args, report):
    raise Malformed("memorySize is 'abc' (a string), not a number")


def meets_an_unknown(args, report):
    raise UnknownValueError(UNKNOWN_STRING_VALUE, ["imageUri"])


def does_not_apply(args, report):
    args.not_applicable("only for buckets")


def fails_on_the_stack(args, report):
    raise TypeError("'<' not supported between instances of 'str' and 'int'")


def judges_each(args, report):
    unjudged = Unjudged()
    for resource in args.resources:
        unjudged.read(resource, lambda r: _refuse(r) if r.name == "bad" else report("judged", r.urn))
    unjudged.done(UnknownValueError(UNKNOWN_STRING_VALUE, ["name"]) if len(args.resources) > 2 else None)


def _refuse(resource):
    raise Malformed("retentionInDays is 'a week' (a string), not a number")


def fails_to_remediate(args):
    raise AttributeError("'str' object has no attribute 'get'")


def policy(name, validate):
    return ResourceValidationPolicy(name=name, description=name, validate=validate)


def stack_policy(name, validate):
    return StackValidationPolicy(name=name, description=name, validate=validate)


serve("guarded", EnforcementLevel.MANDATORY, [
    policy("judges", judges), policy("fails", fails_after_a_finding), policy("refuses", refuses_a_value),
    policy("unknown", meets_an_unknown), policy("not-applicable", does_not_apply),
    ResourceValidationPolicy(name="fix", description="fix", remediate=fails_to_remediate),
    stack_policy("stack-judges", judges), stack_policy("stack-fails", fails_on_the_stack),
    stack_policy("judges-each", judges_each),
])
'''


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    pack_dir = tmp_path_factory.mktemp("guarded")
    (pack_dir / "__main__.py").write_text(GUARDED_PACK)
    with PolicyPackProcess(pack_dir, STACK, environment=aws_environment(pack_dir)) as process:
        yield Pack(process.analyzer)


def messages(findings) -> dict[str, list[tuple[str, str]]]:
    """Each policy's findings as (level, message without the policy's description)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        found.setdefault(f.policy, []).append((f.enforcement_level, f.message.split("\n", 1)[-1]))
    return found


def test_a_failing_policy_says_it_could_not_judge_and_every_other_policy_answers(guarded):
    found = messages(guarded.analyze(FUNCTION, {"memorySize": "abc"}))
    assert found.pop("judges") == [("mandatory", "judged")]
    assert found.pop("fails") == [
        ("mandatory", "found before failing"),
        ("advisory", "could not judge aws:lambda/function:Function 'subject': the policy failed with KeyError: "
                     "'imageUri'; report this to the pack's maintainers (advisory; failClosedInProduction reports "
                     "it at this policy's level on production stacks).")]
    assert found.pop("refuses") == [
        ("advisory", "could not judge aws:lambda/function:Function 'subject': memorySize is 'abc' (a string), not a "
                     "number (advisory; failClosedInProduction reports it at this policy's level on production "
                     "stacks).")]
    # pulumi_policy's own answer to an unknown value, and a policy that does not apply says nothing.
    [(level, cannot_run)] = found.pop("unknown")
    assert level == "advisory"
    assert cannot_run.startswith("can't run policy 'unknown' from policy pack 'guarded@v0.0.1' during preview: "
                                 "string value at .imageUri can't be known during preview")
    assert found == {}


@pytest.mark.parametrize("config, tags, level", [
    ('{"fails": {"failClosedInProduction": true}}', {"environment": "production"}, "mandatory"),
    ('{"fails": {"failClosedInProduction": true}}', {}, "advisory"),  # the stack is dev
    ("", {"environment": "production"}, "advisory"),
    ('{"fails": {"failClosedInProduction": true, "productionStacks": ["dev"]}}', {}, "mandatory"),
    ('{"fails": {"failClosedInProduction": true, "enforcementLevel": "advisory"}}', {"environment": "production"},
     "advisory"),  # the policy's own level: failing closed never blocks more than a verdict would
])
def test_fail_closed_in_production_reports_at_the_policys_own_level(guarded, config, tags, level):
    with guarded.configured(config, stack_tags=tags):
        [unjudged] = [f for f in by_policy(guarded.analyze(FUNCTION, {}), "fails") if "could not judge" in f.message]
    assert unjudged.enforcement_level == level
    assert ("failClosedInProduction is set and this stack is production" in unjudged.message) == (
        "true" in config and (bool(tags) or "dev" in config))


def test_a_failing_stack_policy_costs_no_other_stack_policy_its_verdict(guarded):
    found = messages(guarded.analyze_stack([(FUNCTION, "good", {}), (FUNCTION, "bad", {})]))
    assert found["stack-judges"] == [("mandatory", "judged")]
    assert found["stack-fails"] == [
        ("advisory", "could not judge the stack: the policy failed with TypeError: '<' not supported between "
                     "instances of 'str' and 'int'; report this to the pack's maintainers (advisory; "
                     "failClosedInProduction reports it at this policy's level on production stacks).")]


def test_a_stack_policy_judges_every_resource_it_can_read_and_names_the_one_it_cannot(guarded):
    findings = by_policy(guarded.analyze_stack([(FUNCTION, "good", {}), (FUNCTION, "bad", {})]), "judges-each")
    assert sorted((f.urn.rsplit("::", 1)[-1], f.enforcement_level, f.message.split("\n", 1)[-1]) for f in findings) == [
        ("bad", "advisory", "could not judge aws:lambda/function:Function 'bad': retentionInDays is 'a week' (a "
                            "string), not a number (advisory; failClosedInProduction reports it at this policy's level "
                            "on production stacks)."),
        ("good", "mandatory", "judged")]


def test_an_unknown_value_is_still_said_after_the_resources_a_stack_policy_could_not_read(guarded):
    three = [(FUNCTION, "good", {}), (FUNCTION, "bad", {}), (FUNCTION, "later", {})]
    findings = messages(guarded.analyze_stack(three))["judges-each"]
    assert [level for level, message in findings if message == "judged"] == ["mandatory", "mandatory"]
    assert [level for level, message in findings if message.startswith("could not judge")] == ["advisory"]
    assert [level for level, message in findings if "during preview: string value at .name" in message] == [
        "advisory"]


def test_a_failing_remediation_changes_nothing_and_the_engine_gets_an_answer(guarded):
    with guarded.configured('{"fix": "remediate"}'):
        answer = guarded.analyzer.Remediate(guarded.request(FUNCTION, {"memorySize": 1024}))
    assert list(answer.remediations) == []


# The real pack: a rule's own "could not judge", and failClosedInProduction on it.

def test_a_rule_that_cannot_read_a_property_says_which_and_what_it_holds(pack):
    [finding] = by_policy(pack.analyze(FUNCTION, {"packageType": "Zip", "memorySize": "2 GB"}), "lambda-memory")
    assert finding.enforcement_level == "advisory"
    assert "could not judge aws:lambda/function:Function 'subject': memorySize is '2 GB' (a string), not a number" in (
        finding.message)


def test_a_rule_that_cannot_read_a_property_blocks_production_when_it_fails_closed(pack):
    with pack.configured('{"lambda-memory": {"failClosedInProduction": true}}',
                         stack_tags={"environment": "production"}):
        [finding] = by_policy(pack.analyze(FUNCTION, {"packageType": "Zip", "memorySize": "2 GB"}), "lambda-memory")
    assert finding.enforcement_level == "mandatory"
    assert "(reported at this policy's level: failClosedInProduction is set and this stack is production)" in (
        finding.message)


def test_every_policy_of_the_pack_is_guarded(pack):
    """The guard adds failClosedInProduction to every policy that reports: none escaped it at registration."""
    reporting = [p for p in pack.info.policies if p.name != "ecr-scan-on-push-fix"]  # a remediation reports nothing
    assert all("failClosedInProduction" in p.configSchema.properties for p in reporting)
    assert len(reporting) == len(pack.info.policies) - 1
