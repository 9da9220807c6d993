"""Networks and containers: what they bill by the hour, whatever their traffic (NAT gateways, load balancers,
public IPv4 addresses, interface endpoints), and ECS services' Fargate tasks."""

from . import wire
from .estimate import Charge
from .meter import HOURS_PER_MONTH, Context, NoModel, Pricer, amount, plural
from .plan import Resource, Unpriced, is_unknown


def _nat_gateway(gateway: Resource, context: Context) -> list[Charge]:
    return [context.meter.charge("vpc.nat-gateway-hour", HOURS_PER_MONTH,
                                 f"{HOURS_PER_MONTH} h; at least: each GB it processes is billed too, and the plan "
                                 "does not say how many")]


def _load_balancer(balancer: Resource, context: Context) -> list[Charge]:
    kind = balancer.text("loadBalancerType") or "application"
    if kind not in ("application", "network"):
        raise NoModel(f"the cost model has no price for a {kind} load balancer")
    return [context.meter.charge(f"elb.{kind}-hour", HOURS_PER_MONTH,
                                 f"{HOURS_PER_MONTH} h of a{'n' * (kind == 'application')} {kind} load balancer; at "
                                 "least: its capacity units (traffic, connections, rules) are billed too")]


def _public_ipv4(address: Resource, context: Context) -> list[Charge]:
    return [context.meter.charge("vpc.public-ipv4-hour", HOURS_PER_MONTH,
                                 f"1 public IPv4 address × {HOURS_PER_MONTH} h, in use or idle")]


def _vpc_endpoint(endpoint: Resource, context: Context) -> list[Charge]:
    kind = endpoint.text("vpcEndpointType") or "Gateway"
    if kind == "Gateway":
        return [Charge(0.0, "a gateway endpoint (S3, DynamoDB): no charge")]
    if kind != "Interface":
        raise NoModel(f"the cost model has no price for a {kind} VPC endpoint")
    subnets = len(wire.texts(endpoint.get("subnetIds"), f"subnetIds of {endpoint.name}") or []) or 1
    return [context.meter.charge("vpc.interface-endpoint-hour", subnets * HOURS_PER_MONTH,
                                 f"{plural(subnets, 'subnet')} × {HOURS_PER_MONTH} h; at least: each GB it "
                                 "processes is billed too")]


def _task_definition_of(service: Resource, context: Context) -> Resource:
    definitions = context.plan.of_type("aws:ecs/taskDefinition:TaskDefinition")
    linked = service.links.get("taskDefinition", ())
    reference = service.props.get("taskDefinition")
    for definition in definitions:
        family = definition.props.get("family")
        if (definition.urn and definition.urn in linked) or (
                isinstance(reference, str) and isinstance(family, str) and not is_unknown(reference)
                and (reference == family or reference.startswith(f"{family}:")
                     or f":task-definition/{family}:" in reference)):
            return definition
    raise Unpriced(f"its task definition ({reference}) is not in this stack, so its size is not known")


def _ecs_service(service: Resource, context: Context) -> list[Charge]:
    strategies = service.mappings("capacityProviderStrategies")
    providers = {s.get("capacityProvider") for s in strategies}
    launch = service.text("launchType") or ("FARGATE" if providers == {"FARGATE"} else None)
    if launch != "FARGATE":
        raise NoModel("the cost model prices Fargate tasks only; this service runs on EC2 capacity or Fargate Spot")
    definition = _task_definition_of(service, context)
    if (definition.text("runtimePlatform.operatingSystemFamily") or "LINUX") != "LINUX":
        raise NoModel("the cost model has no price for Windows Fargate tasks")
    arch = "arm64" if definition.text("runtimePlatform.cpuArchitecture") == "ARM64" else "x86_64"
    count = service.number("desiredCount", 0)
    vcpu, memory_gb = definition.number("cpu") / 1024, definition.number("memory") / 1024
    if not count:
        return [Charge(0.0, "0 tasks desired")]
    tasks = f"{plural(count, 'task')} × {HOURS_PER_MONTH} h"
    return [context.meter.charge(f"fargate.vcpu-hour.{arch}", count * vcpu * HOURS_PER_MONTH,
                                 f"{tasks} × {amount(vcpu)} vCPU, {arch}"),
            context.meter.charge(f"fargate.gb-hour.{arch}", count * memory_gb * HOURS_PER_MONTH,
                                 f"{tasks} × {amount(memory_gb)} GB")]


PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ec2/eip:Eip": _public_ipv4,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ecs/service:Service": _ecs_service,
}
