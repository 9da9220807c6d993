"""ContainerFunction: a Lambda function run from an image digest, with its role, logs, a `live` alias
and a function URL on that alias.

No dead-letter queue here: Lambda sends only failed *asynchronous* invocations to one, and a Function URL
call is synchronous (the caller gets the error). A function invoked asynchronously (on a schedule) gets an
on-failure destination from its trigger (ScheduledTrigger).
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.function_basics import FunctionLogs, function_log_group, function_role, logging_config
from function_settings import NO_URL
from policies.cost.plan import IMAGE_SIZE_TAG  # the size the pack and the cost estimate read

# The policy pack reads the pushed image's size from this tag on the function, so the size rule is
# judged on the function itself, before Lambda creates or updates it (the key is policies/cost/plan.py's).
LIVE_ALIAS = "live"
# A browser that calls an AWS_IAM URL signs each request with SigV4: its preflight asks for these
# headers besides content-type (x-amz-security-token with temporary credentials,
# x-amz-content-sha256 from signers that hash the body, as the SDK for JavaScript's signer does).
# Lower case, as Lambda stores them, so a refresh shows no drift.
_CORS_HEADERS = ("content-type",)
_SIGV4_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")


def cors_allow_headers(url_auth_type: str) -> list[str]:
    """What a browser's preflight must be allowed to send: signed requests carry SigV4's headers too."""
    return [*_CORS_HEADERS, *(_SIGV4_HEADERS if url_auth_type == "AWS_IAM" else ())]


@dataclass(frozen=True)
class ContainerFunctionArgs:
    function_name: str
    image_uri: pulumi.Input[str]
    image_size_bytes: pulumi.Input[int]
    architecture: str
    memory_mb: int
    timeout_seconds: int
    ephemeral_storage_mb: int
    reserved_concurrency: int
    provisioned_concurrency: int
    logs: FunctionLogs
    url_auth_type: str  # AWS_IAM, NONE, or OFF for no URL
    role_boundary_arn: pulumi.Input[str]  # the stack's RoleBoundary
    cors_allow_origins: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # CodeDeploy moves the alias (a canary, then all traffic) once the pipeline has deployed a version.
    traffic_shifted_by_codedeploy: bool = False


class ContainerFunction(pulumi.ComponentResource):
    function_arn: pulumi.Output[str]
    alias_arn: pulumi.Output[str]
    function_url: pulumi.Output[str]
    function_url_auth_type: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("lambdakit:function:ContainerFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.log_group = function_log_group(name, args.function_name, args.logs, args.tags, self)
        self.role, role_policy = function_role(name, args.function_name, self.log_group, args.tags, self,
                                               args.role_boundary_arn)

        self.function = aws.lambda_.Function(
            name,
            name=args.function_name,
            package_type="Image",
            image_uri=args.image_uri,
            architectures=[args.architecture],
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            ephemeral_storage=aws.lambda_.FunctionEphemeralStorageArgs(size=args.ephemeral_storage_mb),
            role=self.role.arn,
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=logging_config(args.logs, self.log_group.name),
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=args.environment),
            reserved_concurrent_executions=args.reserved_concurrency,
            publish=True,
            tags={**args.tags, IMAGE_SIZE_TAG: pulumi.Output.from_input(args.image_size_bytes).apply(str)},
            # The group must exist before the first log line, and the role may write to it only once
            # its policy is attached. (image_uri itself carries the wait for ECR's pull grant.)
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, self.log_group]),
        )
        # Who owns the alias's version and weights: the program, or CodeDeploy once it releases (the program
        # then sets the version only when it creates the alias, and an `up` never undoes a release or a canary).
        self.alias = aws.lambda_.Alias(
            name, name=LIVE_ALIAS, function_name=self.function.name, function_version=self.function.version,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["function_version", "routing_config"]
                                        if args.traffic_shifted_by_codedeploy else None))
        if args.provisioned_concurrency > 0:
            aws.lambda_.ProvisionedConcurrencyConfig(
                name, function_name=self.function.name, qualifier=self.alias.name,
                provisioned_concurrent_executions=args.provisioned_concurrency, opts=child)
        self.url = self._url(name, args) if args.url_auth_type != NO_URL else None

        self.function_arn = self.function.arn
        self.function_version = self.function.version  # the newest published version
        self.log_group_name = self.log_group.name
        self.alias_arn = self.alias.arn
        # How `make validate --stack` finds the URL and knows to sign; none for a function other services invoke.
        self.function_url = self.url.function_url if self.url else None
        self.function_url_auth_type = self.url.authorization_type if self.url else None
        self.register_outputs({
            "functionArn": self.function_arn, "functionVersion": self.function_version, "aliasArn": self.alias_arn,
            "functionUrl": self.function_url, "functionUrlAuthType": self.function_url_auth_type})

    def _url(self, name: str, args: ContainerFunctionArgs) -> aws.lambda_.FunctionUrl:
        # The program owns the public grants of a NONE URL, under the statement ids the AWS provider
        # uses. The provider adds them itself when it creates a NONE URL, never removes them, and
        # never adds them when an existing URL switches to NONE; created first, the program's own
        # statements hold those ids, so the provider skips its copies, and a switch to AWS_IAM (or
        # the URL's removal) deletes the only ones there are.
        public_grants = self._allow_public_url(name) if args.url_auth_type == "NONE" else []
        return aws.lambda_.FunctionUrl(
            name,
            function_name=self.function.name,
            qualifier=self.alias.name,
            authorization_type=args.url_auth_type,
            cors=aws.lambda_.FunctionUrlCorsArgs(
                allow_origins=args.cors_allow_origins, allow_methods=["GET", "POST"],
                allow_headers=cors_allow_headers(args.url_auth_type), max_age=300) if args.cors_allow_origins else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=public_grants))

    def _allow_public_url(self, name: str) -> list[aws.lambda_.Permission]:
        """An unauthenticated URL needs both grants since AWS's 2025 change: the URL call and the invoke it makes."""
        # A fixed statement id cannot exist twice, so a replacement must delete the old grant first.
        child = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        return [
            aws.lambda_.Permission(
                f"{name}-public-url", statement_id="FunctionURLAllowPublicAccess", action="lambda:InvokeFunctionUrl",
                function=self.function.name, qualifier=self.alias.name, principal="*", function_url_auth_type="NONE",
                opts=child),
            aws.lambda_.Permission(
                f"{name}-public-invoke", statement_id="FunctionURLAllowInvokeAction", action="lambda:InvokeFunction",
                function=self.function.name, qualifier=self.alias.name, principal="*", invoked_via_function_url=True,
                opts=child),
        ]
