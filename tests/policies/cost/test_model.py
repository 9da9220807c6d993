"""The estimate and its projections (policies/cost/model.py): what is listed, flat prices, projections, unknowns,
reading the estimate, and the real prices.json against every price the model asks for."""

import pytest
from pytest import approx

from policies.cost import prices as price_list
from policies.cost.model import project
from policies.cost.plan import CODEBUILD_PROJECT, FUNCTION, PIPELINE, UNKNOWN, Resource
from tests.policies.cost.builders import (ALARM, AS_OF, BUCKET, KMS_KEY, LOG_GROUP, PRICES, REGION, ROLE, TABLE,
                                          alarm, bucket, bucket_lifecycle, build, build_project, dashboard,
                                          dashboard_with, ecr_lifecycle, fargate_service, function, kms_key, line,
                                          log_group, log_widget, metric_filter, pipeline, priced, provisioned,
                                          repository, resource, scanning, schedule, secret, served, source, usage)


# What is listed.

def test_free_resource_is_listed_with_its_reason():
    role = resource(ROLE, "api", {"assumeRolePolicy": "{}"})
    result = priced([role])
    item = line(result, ROLE, "api")
    assert item.charges == () and item.usd == 0
    assert item.basis == "free: IAM has no charge"
    assert item in result.items


def test_resource_type_the_model_does_not_know_is_unknown():
    result = priced([resource("aws:ec2/instance:Instance", "box", {"instanceType": "t4g.nano"}), kms_key()])
    item = line(result, "aws:ec2/instance:Instance", "box")
    assert item.usd is None and "no price for aws:ec2/instance:Instance" in item.basis
    assert result.partial and result.total == approx(1.00)


def test_components_and_providers_are_not_listed():
    component = resource("lambdakit:function:ContainerFunction", "api", {})
    provider = resource("pulumi:providers:aws", "default", {"region": REGION})
    result = priced([component, provider, kms_key()])
    assert [i.type for i in result.items] == [KMS_KEY]


@pytest.mark.parametrize("item, usd", [(dashboard(), 3.00), (kms_key(), 1.00), (secret(), 0.40)])
def test_flat_monthly_price(item, usd):
    assert line(priced([item]), item.type, item.name).usd == approx(usd)


# Projections.

def test_on_x86_64_reprices_functions_and_arm_builds():
    # arm64: function $1 requests + 200,000 GB-s × $0.000008 = $2.60; 2 × 2 GB × 2,628,000 s × $0.000004 = $42.048;
    #        build 50 min × $0.004 = $0.20; pipeline 10 × (1 + 5) min × $0.002 = $0.12        → $44.968
    # x86_64: $2 + 200,000 × $0.00001 = $4.00; × $0.000005 = $52.56; 50 × $0.005 = $0.25; $0.12 → $56.93
    resources = [*served(), provisioned(2), build_project("build"), pipeline(source(), build("build"))]
    projection = project(resources, usage(), PRICES)
    assert projection.planned.total == approx(44.968)
    assert projection.on_x86_64.total == approx(56.93)
    assert projection.on_x86_64.total - projection.planned.total == approx(11.962)  # what arm64 saves a month


def test_by_traffic_scales_requests_only():
    # 1x: $1 + $2 = $3; 10x: 10,000,000 × $1/M = $10 + 2,000,000 GB-s × $0.00001 = $20 → $30; 100x: $100 + $200 = $300
    resources = [*served(), build_project("build"), pipeline(source(), build("build"))]
    projection = project(resources, usage(), PRICES)
    assert [line(e, FUNCTION).usd for e in (projection.planned, *projection.by_traffic.values())] == [
        approx(3.00), approx(30.00), approx(300.00)]
    assert list(projection.by_traffic) == [10, 100]
    for scaled in projection.by_traffic.values():
        assert line(scaled, PIPELINE, "delivery").usd == approx(0.12)
        assert line(scaled, CODEBUILD_PROJECT, "build").usd == approx(0.20)


# Unknowns.

def unknown_logs_config() -> list[Resource]:
    project_props = {**build_project("build").props, "logsConfig": UNKNOWN}
    return [resource(CODEBUILD_PROJECT, "build", project_props), log_group("/aws/codebuild/build")]


def unknown_expiration() -> list[Resource]:
    lifecycle = bucket_lifecycle(days=73)
    rules = [{**lifecycle.props["rules"][0], "expiration": {"days": UNKNOWN}}]
    return [bucket(), resource(lifecycle.type, lifecycle.name, {**lifecycle.props, "rules": rules}), pipeline(source())]


@pytest.mark.parametrize("resources, typ, name, rest_usd", [
    # The rest: the key $1 (the project no pipeline starts: $0)
    (unknown_logs_config(), LOG_GROUP, "logs", 1.00),
    # The rest: the key $1 + 10 runs × 1 source minute × $0.002 = $1.02
    (unknown_expiration(), BUCKET, "artifacts", 1.02),
])
def test_an_unknown_nested_input_makes_its_item_unknown(resources, typ, name, rest_usd):
    result = priced([*resources, kms_key()])
    assert line(result, typ, name).usd is None
    assert result.total == approx(rest_usd)


def test_region_the_table_does_not_cover_prices_as_unknown_and_says_the_table_lacks_it():
    """Issue 22: a region missing from the table was "partial: N items not known until the update", total 0.00."""
    result = priced([kms_key(), resource(ROLE, "api", {}), function("gate", tags={})],
                    prices=price_list.load_prices("ap-southeast-7", TABLE))
    item = line(result, KMS_KEY, "key")
    assert item.usd is None and item.basis == "unknown: prices.json has no prices for ap-southeast-7"
    assert item.no_price and result.prices_as_of is None
    assert line(result, ROLE, "api").charges == ()
    assert line(result, FUNCTION, "gate").usd == 0  # nothing calls it: known without a price
    assert result.partial_note == "partial: 1 item with no price for ap-southeast-7 in prices.json"
    assert result.total == 0 and result.known_total is None  # 0.00 would pass for a figure


def test_a_price_missing_from_a_covered_region_names_the_price():
    table = {**TABLE, "items": {key: item for key, item in TABLE["items"].items() if key != "kms.key"}}
    result = priced([kms_key(), secret()], prices=price_list.load_prices(REGION, table))
    assert line(result, KMS_KEY, "key").basis == f"unknown: prices.json has no kms.key for {REGION}"
    assert result.partial_note == f"partial: 1 item with no price for {REGION} in prices.json"
    assert result.known_total == approx(0.40)  # the secret: a partial total that says something


def test_unknowns_of_both_kinds_are_counted_apart():
    result = priced([kms_key(), resource(KMS_KEY, "later", {"enableKeyRotation": UNKNOWN})],
                    prices=price_list.load_prices("ap-southeast-7", TABLE))
    assert line(result, KMS_KEY, "later").basis == "unknown: enableKeyRotation of later is not known until the update"
    assert result.partial_note == ("partial: 1 item with no price for ap-southeast-7 in prices.json, "
                                   "1 item not known until the update")


def test_issue_24_unknowns_are_counted_by_why():
    """Issue 24's leftover: every unknown was "not known until the update", whatever kept it unknown."""
    resources = [resource("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"}),
                 log_group("/aws/lambda/fn", retention=None), *served(), kms_key(),
                 resource(KMS_KEY, "later", {"enableKeyRotation": UNKNOWN})]
    result = priced(resources)
    assert result.partial_note == ("partial: 1 item of a type the cost model has no price for, "
                                   "1 item with no bound in the plan (their lines say why), "
                                   "1 item not known until the update")
    assert result.unpriced_types == ["aws:rds/instance:Instance"]
    assert [i.name for i in result.unverifiable] == ["db", "logs"]


def test_prices_are_dated_by_their_figures_oldest_to_newest():
    """Figures are read one by one (issue 22): the estimate says how old the ones of its region are."""
    items = {key: {**item, "regions": {REGION: {**item["regions"][REGION], "asOf": "2030-03-01"}}}
             if key.startswith("lambda.") else item for key, item in TABLE["items"].items()}
    assert price_list.load_prices(REGION, {**TABLE, "items": items}).as_of == f"{AS_OF} to 2030-03-01"
    assert PRICES.as_of == AS_OF


# Reading the estimate.

def test_largest_are_the_dearest_priced_items():
    resources = [secret(), kms_key(), dashboard(), alarm(metricName="Errors", period=60),
                 resource(ROLE, "api", {}), resource("aws:ec2/instance:Instance", "box", {})]
    assert [i.name for i in priced(resources).largest(3)] == ["dashboard", "key", "token"]  # $3, $1, $0.40


def test_as_json():
    result = priced([kms_key(), resource(ROLE, "api", {}), resource("aws:ec2/instance:Instance", "box", {})])
    key_basis = "1 customer managed key"
    assert result.as_json() == {
        "region": REGION, "pricesAsOf": "2030-01-31", "monthlyUsd": 1.0, "partial": True,
        "items": [
            {"type": KMS_KEY, "name": "key", "monthlyUsd": 1.0, "free": False,
             "basis": key_basis, "charges": [{"monthlyUsd": 1.0, "basis": key_basis}]},
            {"type": ROLE, "name": "api", "monthlyUsd": 0, "free": True, "basis": "free: IAM has no charge", "charges": []},
            {"type": "aws:ec2/instance:Instance", "name": "box", "monthlyUsd": None, "free": False,
             "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance",
             "charges": [{"monthlyUsd": None, "unknown": "type",
                          "basis": "unknown: the cost model has no price for aws:ec2/instance:Instance"}]},
        ],
        "firstYearMonthlyUsd": 1.0,
        "partialNote": "partial: 1 item of a type the cost model has no price for"}


def test_projection_as_json_adds_x86_64_and_traffic():
    document = project(served(), usage(), PRICES).as_json()
    assert document["monthlyUsd"] == 3.0
    assert document["x86_64MonthlyUsd"] == 6.0
    assert document["byTraffic"] == {"10x": {"monthlyUsd": 30.0, "partial": False},
                                     "100x": {"monthlyUsd": 300.0, "partial": False}}


# The real prices.json.

REAL_TABLE = price_list.read_table()
STACK_REGIONS = ["eu-west-1", "us-east-1"]


def every_priced_type() -> list[Resource]:
    """One resource of each type the model prices, so that together they ask for every price it can: a
    function with a URL, provisioned environments it spills over, extra /tmp and tracing, and a build of each
    environment and size the table has."""
    builds = [build_project(key.split(".", 1)[1].lower(), *key.split(".")[1:])
              for key in REAL_TABLE["items"] if key.startswith("codebuild.")]
    store = bucket()
    networks = [resource(typ, f"{typ}-{n}", props) for n, (typ, props, _) in enumerate([
        ("aws:ec2/natGateway:NatGateway", {}, 0), ("aws:lb/loadBalancer:LoadBalancer", {}, 0),
        ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, 0), ("aws:ec2/eip:Eip", {}, 0),
        ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface", "subnetIds": ["a"]}, 0)])]
    arm_service = [Resource(r.type, f"{r.name}-arm", r.props, f"{r.urn}-arm", {k: tuple(f"{u}-arm" for u in v)
                                                                               for k, v in r.links.items()})
                   for r in fargate_service("ARM64")]
    return [*served(ephemeralStorage={"size": 1024}, tracingConfig={"mode": "Active"}), provisioned(1),
            repository(), ecr_lifecycle(keep=20), log_group("/aws/lambda/fn", name="fn"),
            log_group(f"/aws/codebuild/{builds[0].name}", name="build"),
            scanning("ENHANCED"), metric_filter(), alarm(metricName="Errors", period=60),
            resource(ALARM, "fast", {"metricName": "Errors", "period": 10}),
            dashboard_with(log_widget("/aws/lambda/fn")), kms_key(), secret(),
            store, bucket_lifecycle(days=30), schedule("rate(1 hour)", arn="fn"),
            *builds, pipeline(source(), *(build(b.name) for b in builds)),
            resource(PIPELINE, "v1", {"pipelineType": "V1", "stages": []}),
            *networks, *fargate_service(), *arm_service]


@pytest.mark.parametrize("region", STACK_REGIONS)
def test_real_table_has_every_price_the_model_asks_for(region, monkeypatch):
    asked = set()
    ask = price_list.PriceTable.price

    def recording(table, key):
        asked.add(key)
        return ask(table, key)
    monkeypatch.setattr(price_list.PriceTable, "price", recording)
    # 2,628,000 calls × 2 s: 2 environments busy, 1 provisioned, so both duration prices are asked for
    projection = project(every_priced_type(), usage(requests_per_month=2_628_000, average_duration_ms=2000),
                         price_list.load_prices(region))
    assert [i.basis for e in (projection.planned, projection.on_x86_64) for i in e.unknown] == []
    # The plan above is representative: it asks for every price the table has.
    assert asked == set(REAL_TABLE["items"])


@pytest.mark.parametrize("key", sorted(REAL_TABLE["items"]))
def test_real_table_item_is_complete_for_the_stacks_regions(key):
    item = REAL_TABLE["items"][key]
    assert item["offerCode"] and item["unit"]
    assert item.get("freeTier") in (None, *REAL_TABLE["freeTier"])
    for region in STACK_REGIONS:
        assert item["regions"][region]["usd"] > 0 and item["regions"][region]["seen"]


def test_real_table_gives_provisioned_concurrency_no_free_tier():
    assert [key for key, item in REAL_TABLE["items"].items()
            if key.startswith(("lambda.provisioned.", "lambda.provisioned-duration.")) and item.get("freeTier")] == []
