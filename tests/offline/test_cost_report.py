"""The estimate as the preview prints it: what is known, and what is not and why (issue 22: a region missing from
the price table printed 0.00 totals "partial: 22 items not known until the update")."""

import re

from offline.cost_report import render_cost
from offline.preview import EXIT_CLEAN, main
from policies.cost.model import project
from policies.cost.plan import UNKNOWN, Resource
from policies.cost.prices import load_prices
from policies.cost.usage import Usage

KMS_KEY, SECRET = "aws:kms/key:Key", "aws:secretsmanager/secret:Secret"
TABLE = {"freeTier": {},  # eu-west-1's prices of a key and a secret; none of any other region
         "items": {"kms.key": {"offerCode": "awskms", "unit": "Keys", "regions": {
                       "eu-west-1": {"usageType": "eu-west-1-KMS-Keys", "usd": 1.0, "seen": "test",
                                     "asOf": "2030-01-31"}}},
                   "secretsmanager.secret": {"offerCode": "AWSSecretsManager", "unit": "Secrets", "regions": {
                       "eu-west-1": {"usageType": "EU-AWSSecretsManager-Secrets", "usd": 0.4, "seen": "test",
                                     "asOf": "2030-01-31"}}}}}
USAGE = Usage(requests_per_month=1000, average_duration_ms=100, log_bytes_per_request=100, pipeline_runs_per_month=1,
              build_minutes_per_run=1, build_log_bytes_per_minute=100, artifact_mb_per_run=1, free_tier=False)


def resource(typ: str, name: str, props: dict) -> Resource:
    return Resource(typ, name, props, f"urn:pulumi:dev::lambdakit::{typ}::{name}", {})


def report(region: str, *resources: Resource) -> list[str]:
    return render_cost(project(list(resources), USAGE, load_prices(region, TABLE))).splitlines()


def footer(lines: list[str]) -> list[str]:
    return lines[lines.index("  " + "-" * 10) + 1:]


def test_a_region_without_prices_prints_unknown_totals_and_how_to_get_its_prices():
    lines = report("ca-central-1", resource(KMS_KEY, "key", {}))
    assert lines[0] == "Monthly cost estimate: ca-central-1, no prices for this region in policies/cost/prices.json"
    assert "     unknown  kms/key key  unknown: prices.json has no prices for ca-central-1" in lines
    assert footer(lines) == [
        "     unknown  total (partial: 1 item with no price for ca-central-1 in prices.json; the rest costs nothing)",
        "     unknown  the same stack on x86_64",
        "     unknown  at 10× the traffic",
        "     unknown  at 100× the traffic",
        "  policies/cost/prices.json has no prices for ca-central-1. To look them up: "
        'make prices ARGS="--region ca-central-1"',
        "  (it asks the AWS Price List API, so it needs AWS credentials allowed pricing:GetProducts), "
        "then preview again."]


def test_a_partial_total_that_says_something_is_printed_as_before():
    lines = report("eu-west-1", resource(SECRET, "token", {}), resource(KMS_KEY, "key", {"enableKeyRotation": UNKNOWN}))
    assert lines[0] == "Monthly cost estimate: eu-west-1, prices of 2030-01-31 (policies/cost/prices.json)"
    assert footer(lines) == ["        0.40  total (partial: 1 item not known until the update)",
                             "        0.40  the same stack on x86_64: arm64 saves 0.00 a month (0%)",
                             "        0.40  at 10× the traffic",  # a secret costs the same at any traffic
                             "        0.40  at 100× the traffic"]


def test_a_price_missing_from_a_covered_region_keeps_the_known_total_and_says_how_to_get_it():

    lines = report("eu-west-1", resource(SECRET, "token", {}),
                   resource("aws:cloudwatch/dashboard:Dashboard", "dashboard", {}))
    assert footer(lines)[:2] == [
        "        0.40  total (partial: 1 item with no price for eu-west-1 in prices.json)",
        "        0.40  the same stack on x86_64: arm64 saves 0.00 a month (0%)"]
    assert "  policies/cost/prices.json lacks some prices for eu-west-1 (the items above say which). " \
           'To look them up: make prices ARGS="--region eu-west-1"' in lines


def test_the_preview_of_a_stack_in_a_region_without_prices(tmp_path, capsys):
    """The command of issue 22, end to end."""
    assert main(["--stack", "dev", "--config", "aws:region=ca-central-1", "--json", str(tmp_path / "plan.json")]) \
        == EXIT_CLEAN
    printed = capsys.readouterr().out
    estimate = printed[printed.index("Monthly cost estimate: ca-central-1, no prices for this region"):].splitlines()
    assert re.fullmatch(r"     unknown  total \(partial: \d+ items with no price for ca-central-1 in prices\.json, "
                        r"2 items not known until the update; the rest costs nothing\)", footer(estimate)[0])
    # The items the plan, not the table, lacks: each function's repository, until its own image is pushed.
    later = [line.split() for line in estimate if line.endswith("is not known until the update")]
    assert [(words[1], words[2], " ".join(words[3:])) for words in later] == [
        ("ecr/repository", name, f"unknown: tags.lambdakit:image-size-bytes of {name} is not known until the update")
        for name in ("api", "worker")]
    assert not [line for line in estimate if re.match(r" +0\.00  (total|the same stack|at \d+×)", line)]
    assert 'make prices ARGS="--region ca-central-1"' in estimate[-2] and "pricing:GetProducts" in estimate[-1]


def test_the_lines_come_in_one_order_whatever_order_the_engine_registered_in():
    """The engine registers from worker threads: equal prices and free groups must not swap from run to run."""
    resources = [resource(KMS_KEY, "b", {}), resource(KMS_KEY, "a", {}), resource(SECRET, "s", {}),
                 resource("aws:iam/role:Role", "r", {}), resource("aws:kms/alias:Alias", "k", {})]
    assert report("eu-west-1", *resources) == report("eu-west-1", *reversed(resources))


def test_issue_24_the_usage_line_mentions_pipeline_runs_only_for_a_stack_with_a_pipeline():
    """dev's estimate header mentioned pipeline runs though dev has none."""
    without = report("eu-west-1", resource(SECRET, "token", {}))
    assert "pipeline runs" not in without[1]
    assert "1,000 requests a month to a function's URL, all day" in without[1]
    with_pipeline = report("eu-west-1", resource(SECRET, "token", {}),
                           resource("aws:codepipeline/pipeline:Pipeline", "delivery", {"pipelineType": "V2"}))
    assert "1 pipeline runs × 1 min a build, 5 min of scan" in with_pipeline[1]


def test_issue_24_a_rotated_key_shows_its_settled_price_and_what_it_costs_before_its_first_rotation():
    lines = report("eu-west-1", resource(KMS_KEY, "key", {"enableKeyRotation": True}))
    assert footer(lines)[:2] == [
        "        3.00  total",
        "        1.00  before its keys' first rotation (each of a key's first two rotations adds $1 a month)"]


def test_issue_24_a_price_copied_from_another_region_is_marked_and_explained():
    table = {**TABLE, "items": {**TABLE["items"], "kms.key": {**TABLE["items"]["kms.key"], "regions": {
        "eu-west-1": {**TABLE["items"]["kms.key"]["regions"]["eu-west-1"], "copiedFrom": "us-east-1"}}}}}
    lines = render_cost(project([resource(KMS_KEY, "key", {})], USAGE, load_prices("eu-west-1", table))).splitlines()
    assert "        1.00  kms/key key  1 customer managed key [price: us-east-1's]" in lines
    assert lines[-1] == ("  [price: us-east-1's] marks 1 lines priced at us-east-1's figure: eu-west-1's was not seen "
                         'when prices.json was made. make prices ARGS="--region eu-west-1" reads them.')


def test_issue_24_json_gives_no_monthly_figure_for_a_region_without_prices(tmp_path):
    """`--json` gave monthlyUsd 0 for a region the table lacks."""
    document = project([resource(KMS_KEY, "key", {})], USAGE, load_prices("ca-central-1", TABLE)).as_json()
    assert document["monthlyUsd"] is None and document["x86_64MonthlyUsd"] is None
    assert document["byTraffic"]["10x"]["monthlyUsd"] is None
    assert document["partialNote"] == "partial: 1 item with no price for ca-central-1 in prices.json"
