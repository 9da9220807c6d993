"""Networks and containers (policies/cost/network.py): what bills by the hour, Fargate tasks, and what stays
unpriced (issue 24)."""

import pytest
from pytest import approx

from tests.policies.cost.builders import fargate_service, line, priced, resource


@pytest.mark.parametrize("typ, props, usd", [
    ("aws:ec2/natGateway:NatGateway", {"subnetId": "subnet-1"}, 730 * 0.05),            # $36.50
    ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "application"}, 730 * 0.02),
    ("aws:lb/loadBalancer:LoadBalancer", {}, 730 * 0.02),                              # application by default
    ("aws:lb/loadBalancer:LoadBalancer", {"loadBalancerType": "network"}, 730 * 0.03),
    ("aws:ec2/eip:Eip", {"domain": "vpc"}, 730 * 0.005),                                # $3.65
    ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b"]}, 2 * 730 * 0.01),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Gateway"}, 0.0),
])
def test_issue_24_hourly_network_resources(typ, props, usd):
    assert line(priced([resource(typ, "it", props)]), typ, "it").usd == approx(usd)


@pytest.mark.parametrize("architecture, usd", [
    # 2 tasks × 730 h × 0.5 vCPU × $0.04 = $29.20; × 1 GB × $0.004 = $5.84
    ("X86_64", 29.20 + 5.84),
    ("ARM64", 2 * 730 * 0.5 * 0.03 + 2 * 730 * 1 * 0.003),
])
def test_issue_24_a_fargate_service_bills_its_tasks_size_all_month(architecture, usd):
    assert line(priced(fargate_service(architecture)), "aws:ecs/service:Service", "web").usd == approx(usd)


def test_a_service_on_ec2_capacity_and_a_gateway_load_balancer_are_of_types_the_model_cannot_price():
    ec2 = resource("aws:ecs/service:Service", "web", {"launchType": "EC2", "desiredCount": 2})
    gateway = resource("aws:lb/loadBalancer:LoadBalancer", "gw", {"loadBalancerType": "gateway"})
    result = priced([ec2, gateway])
    assert {i.unknown_kind for i in result.unknown} == {"type"}
    assert result.partial_note == "partial: 2 items of a type the cost model has no price for"
