"""The monthly cost of a planned stack: one model for the offline preview (which prints it) and for the pack's
`stack-monthly-budget` rule (which judges it), so the figure a person reads is the figure the pack blocks on.

Each resource is priced from its planned inputs, the usage the plan cannot know (usage.py) and the dated
price table (prices.json). A month is AWS's 730 hours. A resource whose price depends on a value not known
yet is priced as unknown and the estimate is marked partial; the known part still adds up. Nothing assumes one
function per stack: each function's calls come from what reaches it (its URL, its schedules, a pipeline) and its
own usage settings.

This module lists what is free, prices each resource with its type's pricer and makes the estimate and its
projections. The pricers are one module a family: functions.py (Lambda and what calls it), images.py (ECR),
logs.py (logs, metrics, alarms, dashboards, saved queries), keys.py (KMS, Secrets Manager), delivery.py
(CodeBuild, CodePipeline, artifacts) and network.py (networks and containers), on meter.py's month, meter and
context.
"""

from dataclasses import replace
from typing import Iterable, Optional

from . import delivery, functions, images, keys, logs, network, wire
from .estimate import Charge, Estimate, LineItem, Projection
from .meter import Context, Meter, NoModel, Pricer
from .plan import CODEBUILD_PROJECT, FUNCTION, Plan, Resource, Unpriced
from .prices import PriceTable
from .usage import Usage

# What the stack creates at no charge of its own, and why.
FREE = {
    "aws:lambda/functionUrl:FunctionUrl": "no charge of its own; its calls are the function's requests",
    "aws:lambda/alias:Alias": "no charge",
    "aws:lambda/permission:Permission": "no charge",
    "aws:lambda/eventSourceMapping:EventSourceMapping": "no charge of its own; its calls are the function's requests",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "no charge; a retried call is one more of the "
                                                                       "function's requests",
    "aws:iam/role:Role": "IAM has no charge",
    "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
    "aws:iam/policy:Policy": "IAM has no charge",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
    "aws:iam/instanceProfile:InstanceProfile": "IAM has no charge",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "no charge",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "no charge; it bounds the repository's storage",
    "docker:index/image:Image": "built where `pulumi up` or the pipeline runs; its storage is the repository's",
    "aws:sns/topic:Topic": "no monthly charge; publishes past the free million are $0.50 per million, and "
                           "alarms, budgets and pipeline failures publish a handful",
    "aws:sns/topicPolicy:TopicPolicy": "no charge",
    "aws:sns/topicSubscription:TopicSubscription": "no charge; e-mail past 1,000 a month is $2 per 100,000",
    "aws:sqs/queue:Queue": "no monthly charge; requests past the free million are $0.40 per million, and a "
                           "dead-letter queue gets one message per delivery that failed all its retries",
    "aws:sqs/queuePolicy:QueuePolicy": "no charge",
    "aws:sqs/redrivePolicy:RedrivePolicy": "no charge",
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": "no charge",
    "aws:kms/alias:Alias": "no charge",
    "aws:cloudwatch/eventRule:EventRule": "no charge: events AWS services send to the default bus, and schedules, "
                                          "are free; a rule's targets bill as themselves",
    "aws:cloudwatch/eventTarget:EventTarget": "no charge; the pipeline run or the call it starts is billed there",
    "aws:scheduler/scheduleGroup:ScheduleGroup": "no charge; its schedules bill per invocation",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "no charge; it bounds the bucket's storage",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "no charge",
    "aws:s3/bucketPolicy:BucketPolicy": "no charge",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "no charge",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "no charge",
    "aws:s3/bucketVersioning:BucketVersioning": "no charge (the lifecycle expires old versions too)",
    "aws:codedeploy/application:Application": "no charge for deployments to Lambda",
    "aws:codedeploy/deploymentConfig:DeploymentConfig": "no charge",
    "aws:codedeploy/deploymentGroup:DeploymentGroup": "no charge for deployments to Lambda",
    "aws:codeconnections/connection:Connection": "no charge",
    "aws:codestarnotifications/notificationRule:NotificationRule": "no charge; its deliveries are topic publishes",
    "aws:budgets/budget:Budget": "no charge for a budget that only notifies (budgets with actions are billed)",
    # Networks and containers: what bills is the gateway, the address, the endpoint, the task.
    "aws:ec2/vpc:Vpc": "no charge of its own",
    "aws:ec2/subnet:Subnet": "no charge of its own",
    "aws:ec2/routeTable:RouteTable": "no charge",
    "aws:ec2/route:Route": "no charge",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "no charge",
    "aws:ec2/internetGateway:InternetGateway": "no charge of its own; data out to the internet is billed per GB",
    "aws:ec2/securityGroup:SecurityGroup": "no charge",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "no charge",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "no charge",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "no charge",
    "aws:lb/targetGroup:TargetGroup": "no charge; its load balancer bills",
    "aws:lb/listener:Listener": "no charge; its load balancer bills",
    "aws:lb/listenerRule:ListenerRule": "no charge; its load balancer's capacity units count rule evaluations",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": "no charge",
    "aws:ecs/cluster:Cluster": "no charge of its own; its tasks bill",
    "aws:ecs/taskDefinition:TaskDefinition": "no charge of its own; the tasks that run it bill",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "no charge",
}


PRICERS: dict[str, Pricer] = {**functions.PRICERS, **images.PRICERS, **logs.PRICERS, **keys.PRICERS,
                              **delivery.PRICERS, **network.PRICERS}


def _is_cloud_resource(resource: Resource) -> bool:
    # Components (lambdakit:…) and providers only group and configure; the cloud bills what they hold.
    return resource.type.split(":", 1)[0] in ("aws", "docker")


def _line(resource: Resource, context: Context) -> LineItem:
    if resource.type in FREE:
        return LineItem(resource.type, resource.name, note=FREE[resource.type])
    pricer = PRICERS.get(resource.type)
    try:
        if pricer is None:
            raise NoModel(f"the cost model has no price for {resource.type}")
        return LineItem(resource.type, resource.name, tuple(pricer(resource, context)))
    except Unpriced as unknown:
        return LineItem(resource.type, resource.name, (Charge(None, f"unknown: {unknown}", unknown.kind),))
    except wire.Malformed as unreadable:
        return LineItem(resource.type, resource.name, (Charge(None, f"unknown: {unreadable}", "unreadable"),))


def estimate(resources: Iterable[Resource], usage: Optional[Usage], prices: PriceTable) -> Estimate:
    plan = Plan(r for r in resources if _is_cloud_resource(r))
    context = Context(plan, usage, Meter(prices, usage.free_tier if usage else False))
    return Estimate(prices.region, prices.as_of, usage, tuple(_line(r, context) for r in plan.resources))


_ARM_TO_X86 = {"ARM_CONTAINER": "LINUX_CONTAINER", "ARM_LAMBDA_CONTAINER": "LINUX_LAMBDA_CONTAINER",
               "ARM_EC2": "LINUX_EC2"}


def _on_x86_64(resource: Resource) -> Resource:
    """The resource as it would be planned on x86_64: functions and builds alike."""
    if resource.type == FUNCTION:
        return replace(resource, props={**resource.props, "architectures": ["x86_64"]})
    environment = resource.props.get("environment")
    build_type = environment.get("type") if isinstance(environment, dict) else None
    if resource.type == CODEBUILD_PROJECT and isinstance(build_type, str) and build_type in _ARM_TO_X86:
        return replace(resource, props={**resource.props, "environment": {**environment,
                                                                          "type": _ARM_TO_X86[build_type]}})
    return resource


TRAFFIC_FACTORS = (10, 100)


def project(resources: Iterable[Resource], usage: Optional[Usage], prices: PriceTable) -> Projection:
    resources = list(resources)
    return Projection(
        planned=estimate(resources, usage, prices),
        on_x86_64=estimate([_on_x86_64(r) for r in resources], usage, prices),
        by_traffic={factor: estimate(resources, usage.scaled(factor) if usage else None, prices)
                    for factor in TRAFFIC_FACTORS})
