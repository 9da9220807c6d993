"""Lambda in the simulated account: functions (an image or a .zip), aliases, provisioned concurrency, function
URLs, permissions, asynchronous invocation configs, and the GetFunction(s) invokes. Sources: Lambda's API
reference; for what the AWS provider does on its own, its code (terraform-provider-aws internal/service/lambda).
"""

import io
import zipfile
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Optional

import pulumi

from aws_account.authority import Authority
from aws_account.iam import ATTACHMENT, ROLE_POLICY
from aws_account.ids import short_hash
from aws_account.refusals import AwsRefusal, check_name, check_range, known
from aws_account.sqs import QUEUE
from aws_limits import (LAMBDA_ALIAS_NAME, LAMBDA_ARCHITECTURES, LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS,
                        LAMBDA_ASYNC_RETRY_ATTEMPTS, LAMBDA_EPHEMERAL_STORAGE_MB, LAMBDA_FAILURE_DESTINATION_SERVICES,
                        LAMBDA_FUNCTION_NAME, LAMBDA_MEMORY_MB, LAMBDA_PYTHON_RUNTIMES, LAMBDA_TIMEOUT_SECONDS,
                        LAMBDA_UNZIPPED_MAX_BYTES, LAMBDA_ZIP_MAX_BYTES, URL_CORS_MAX_AGE_SECONDS,
                        URL_CORS_MAX_HEADER_LENGTH, URL_CORS_MAX_ITEMS, URL_CORS_MAX_ORIGIN_LENGTH, URL_CORS_METHODS)

FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
PERMISSION = "aws:lambda/permission:Permission"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
# What the function's role must be allowed on each kind of destination, as Lambda's check names it in its refusal.
_DESTINATION_ACTIONS = {"sqs": ("sqs:SendMessage", "SendMessage"), "sns": ("sns:Publish", "Publish"),
                        "lambda": ("lambda:InvokeFunction", "InvokeFunction"),
                        "events": ("events:PutEvents", "PutEvents"), "s3": ("s3:PutObject", "PutObject")}
# What the AWS provider adds when it creates a NONE function URL (and never removes): Sid, action, condition.
PROVIDER_PUBLIC_URL_GRANTS = (
    ("FunctionURLAllowPublicAccess", "lambda:InvokeFunctionUrl",
     {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}),
    ("FunctionURLAllowInvokeAction", "lambda:InvokeFunction", {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}),
)


class SimulatedLambda:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `partition`, `region`, `account_concurrency`,
    `function_policies`, `function_images`, `_lock`, `_resources_of()`, and SimulatedEcr's
    `_existing_repository()`."""

    def lambda_creators(self) -> dict:
        return {
            FUNCTION: self._function,
            ALIAS: self._alias,
            "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": self._provisioned_concurrency,
            "aws:lambda/functionUrl:FunctionUrl": self._function_url,
            PERMISSION: self._permission,
            EVENT_INVOKE_CONFIG: self._event_invoke_config,
        }

    def lambda_deleters(self) -> dict:
        # A function URL's deletion leaves the grants its provider added: it never removes them.
        return {PERMISSION: self._delete_permission, FUNCTION: self._delete_function}

    def lambda_invokes(self) -> dict:
        return {
            "aws:lambda/getFunctions:getFunctions": self._get_functions,
            "aws:lambda/getFunction:getFunction":
                lambda args: self._get_function(args.get("functionName"), args.get("qualifier")),
        }

    def public_statements(self, function_name: str) -> list[dict]:
        """Statements in any of the function's resource policies that let anyone call it."""
        with self._lock:
            return [s for (name, _), policy in list(self.function_policies.items()) if name == function_name
                    for s in list(policy.values()) if s["Principal"] == "*"]

    def _function(self, step, previous, inputs, name) -> dict:
        check_name(LAMBDA_FUNCTION_NAME, name)
        check_range("MemorySize", inputs.get("memorySize"), LAMBDA_MEMORY_MB)
        check_range("Timeout", inputs.get("timeout"), LAMBDA_TIMEOUT_SECONDS)
        check_range("EphemeralStorage", (inputs.get("ephemeralStorage") or {}).get("size"), LAMBDA_EPHEMERAL_STORAGE_MB)
        architectures = inputs.get("architectures")
        if known(architectures) and (len(architectures) != 1 or architectures[0] not in LAMBDA_ARCHITECTURES):
            raise AwsRefusal(f"ValidationException: Architectures {architectures} must be exactly one of arm64, x86_64")
        self._check_reservation(step.urn, inputs.get("reservedConcurrentExecutions"))
        _check_logging(inputs.get("loggingConfig"))
        arn = self.arn("lambda", f"function:{name}")
        if inputs.get("packageType") == "Image":
            _check_image_package(inputs)
            self._check_image_pull(inputs.get("imageUri"), arn, step.prerequisites)
        else:
            _check_zip_package(inputs)
        version = str(int(previous.outputs["version"]) + 1) if previous and inputs.get("publish") else "1"
        self.function_images[(name, version)] = inputs.get("imageUri")
        return {"arn": arn, "version": version, "qualifiedArn": f"{arn}:{version}",
                "invokeArn": f"arn:{self.partition}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
                             f"{arn}/invocations"}

    def _check_image_pull(self, image_uri: Any, function_arn: str, prerequisites: list) -> None:
        """Lambda resolves the image and checks that it may pull it when the function is created or
        its image changes. Finding no grant, it either refuses, or (when the caller may set the
        repository policy, as this deployer can) writes its own broader, unmanaged statement, which
        the program's RepositoryPolicy then races to overwrite. Either way the grant must come first;
        the simulation refuses both cases, so the ordering is enforced."""
        if not known(image_uri):
            return
        repository_url, digest = image_uri.split("@", 1) if "@" in image_uri else image_uri.rsplit(":", 1)
        repository = self._existing_repository(repository_url.split("/", 1)[1])
        if digest not in repository.sizes and digest not in repository.tags:
            raise AwsRefusal(f"InvalidParameterValueException: Source image {image_uri} does not exist. "
                             "Provide a valid source image.")
        waited_for_grant = any(p.type == "aws:ecr/repositoryPolicy:RepositoryPolicy"
                               and p.inputs.get("repository") == repository.name for p in prerequisites)
        granted = any(fnmatchcase(function_arn, pattern) for pattern in repository.lambda_pull_arns)
        if not (granted and waited_for_grant):
            raise AwsRefusal(f"AccessDeniedException (403): Lambda does not have permission to access the ECR "
                             f"image. Check the ECR permissions. (repository {repository.name}, function "
                             f"{function_arn}; the pull grant must exist before the function)")

    def _check_reservation(self, urn: str, reserved: Any) -> None:
        """PutFunctionConcurrency: reservations must leave at least 100 unreserved in the account."""
        if not known(reserved) or reserved < 0:
            return
        others = sum(max(r.inputs.get("reservedConcurrentExecutions") or -1, 0)
                     for r in self._resources_of(FUNCTION, besides=urn))
        if others + reserved > self.account_concurrency - 100:
            raise AwsRefusal("InvalidParameterValueException: Specified ReservedConcurrentExecutions for function "
                             "decreases account's UnreservedConcurrentExecution below its minimum value of [100].")

    def _alias(self, step, previous, inputs, name) -> dict:
        check_name(LAMBDA_ALIAS_NAME, name)
        return {"arn": self.arn("lambda", f"function:{inputs['functionName']}:{name}")}

    def _aliases(self) -> dict[tuple[str, str], dict]:
        """Each alias's state by (function, alias): its version and weights as Lambda holds them now."""
        return {(r.outputs.get("functionName"), r.outputs["name"]): r.outputs for r in self._resources_of(ALIAS)}

    def shift_alias(self, function_name: str, alias: str, version: str, weights: Optional[dict] = None) -> None:
        """UpdateAlias from outside the program, as CodeDeploy makes it: the alias points at `version`, with
        `weights` ({version: share}) routed elsewhere while a canary runs."""
        with self._lock:
            state = self._aliases()[(function_name, alias)]
            state["functionVersion"] = version
            state["routingConfig"] = {"additionalVersionWeights": weights} if weights else None

    def _provisioned_concurrency(self, step, previous, inputs, name) -> dict:
        qualifier = inputs.get("qualifier")
        alias = self._aliases().get((inputs.get("functionName"), qualifier)) or {}
        if "$LATEST" in (qualifier, alias.get("functionVersion")):
            raise AwsRefusal("InvalidParameterValueException: Provisioned Concurrency Configs cannot be applied to "
                             "unpublished function versions.")
        if (alias.get("routingConfig") or {}).get("additionalVersionWeights"):
            raise AwsRefusal("InvalidParameterValueException: Alias with weights can not be used with Provisioned "
                             "Concurrency")
        check_range("ProvisionedConcurrentExecutions", inputs.get("provisionedConcurrentExecutions"), (1, 10**6))
        return {}

    def _function_url(self, step, previous, inputs, name) -> dict:
        auth = inputs.get("authorizationType")
        if auth not in ("NONE", "AWS_IAM"):
            raise AwsRefusal(f"ValidationException: AuthType {auth!r} must be NONE or AWS_IAM")
        _check_cors(inputs.get("cors"))
        if previous is None and auth == "NONE":
            self._provider_adds_public_grants(inputs, step.prerequisites)
        url_id = short_hash(f"{inputs['functionName']}:{inputs.get('qualifier')}", 32)
        return {"functionUrl": f"https://{url_id}.lambda-url.{self.region}.on.aws/", "urlId": url_id,
                "functionArn": self.arn("lambda", f"function:{inputs['functionName']}")}

    def _provider_adds_public_grants(self, url_inputs: dict, prerequisites: list) -> None:
        """The AWS provider's Create of a NONE URL adds these itself, skips a statement id that
        exists, and never removes them. A permission with one of those ids that the URL did not wait
        for may come after it (the engine orders by dependencies only), and then AWS refuses it."""
        policy = self._policy_of(url_inputs)
        waited_for = {p.state.get("statementId") for p in prerequisites if p.type == PERMISSION}
        for sid, action, condition in PROVIDER_PUBLIC_URL_GRANTS:
            if sid in policy and sid not in waited_for:
                raise AwsRefusal(f"ResourceConflictException: The statement id ({sid}) provided already exists "
                                 "(the permission holding it was not ordered before the function URL, whose "
                                 "provider adds the same id)")
            policy.setdefault(sid, {"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": action,
                                    "Condition": condition})

    def _policy_of(self, inputs: dict) -> dict[str, dict]:
        function = inputs.get("functionName") or inputs.get("function")
        return self.function_policies.setdefault((function, inputs.get("qualifier") or ""), {})

    def _permission(self, step, previous, inputs, name) -> dict:
        """AddPermission: a statement id is unique within the function's (or alias's) policy.
        Every input of a permission forces a replacement, and the engine creates the new one before
        it deletes the old unless told to delete first."""
        if previous is not None and step.delete_before_replace:
            self._policy_of(previous.inputs).pop(previous.outputs["statementId"], None)
        sid = inputs.get("statementId") or f"terraform-{short_hash(step.urn, 20)}"
        policy = self._policy_of(inputs)
        if sid in policy:
            raise AwsRefusal(f"ResourceConflictException: The statement id ({sid}) provided already exists. "
                             "Please provide a new statement id, or remove the existing statement.")
        condition = ({"StringEquals": {"lambda:FunctionUrlAuthType": inputs["functionUrlAuthType"]}}
                     if inputs.get("functionUrlAuthType") else
                     {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}} if inputs.get("invokedViaFunctionUrl") else {})
        policy[sid] = {"Sid": sid, "Effect": "Allow", "Principal": inputs.get("principal"),
                       "Action": inputs.get("action"), "Condition": condition}
        return {"statementId": sid}

    def _delete_permission(self, gone) -> None:
        self._policy_of(gone.inputs).pop(gone.outputs["statementId"], None)

    def _delete_function(self, gone) -> None:
        for key in [k for k in list(self.function_policies) if k[0] == gone.outputs["name"]]:
            del self.function_policies[key]

    def _event_invoke_config(self, step, previous, inputs, name) -> dict:
        """PutFunctionEventInvokeConfig: retries 0..2 and an age of 60..21600 s, on a function (or version, or alias)
        that exists, with an on-failure destination Lambda can use: an SQS, SNS, Lambda, EventBridge or S3 ARN that
        exists, and that the function's own role may send to ("The function's execution role does not have
        permissions to call SendMessage on …"; the provider retries both refusals while IAM and the destination
        propagate, terraform-provider-aws function_event_invoke_config.go)."""
        check_range("MaximumRetryAttempts", inputs.get("maximumRetryAttempts"), LAMBDA_ASYNC_RETRY_ATTEMPTS)
        check_range("MaximumEventAgeInSeconds", inputs.get("maximumEventAgeInSeconds"),
                    LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS)
        function, qualifier = inputs.get("functionName"), inputs.get("qualifier")
        if not known(function):
            return {}
        function = function.split(":function:", 1)[-1].split(":")[0]  # a name, or the name in an ARN
        self._check_waited_for_function(step, function, qualifier)
        destination = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destination")
        if known(destination) and destination:
            self._check_failure_destination(step, function, destination)
        return {"id": f"{function}:{qualifier}" if qualifier else function}

    def _check_waited_for_function(self, step, function: str, qualifier) -> None:
        """The function and the alias must exist, and this step must have waited for them: the engine orders steps
        by their dependencies only."""
        alias = qualifier if known(qualifier) and qualifier and qualifier != "$LATEST" and \
            (function, qualifier) not in self.function_images else None
        exists = any(r.outputs.get("name") == function for r in self._resources_of(FUNCTION)) and (
            alias is None or (function, alias) in self._aliases())
        waited = any(p.type == FUNCTION and p.inputs.get("name") == function for p in step.prerequisites) and (
            alias is None or any(p.type == ALIAS and p.inputs.get("name") == alias for p in step.prerequisites))
        if not (exists and waited):
            raise AwsRefusal(f"ResourceNotFoundException: Function not found: "
                             f"{self.arn('lambda', f'function:{function}')}{f':{qualifier}' if qualifier else ''} "
                             "(the configuration must depend on the function and its alias)")

    def _check_failure_destination(self, step, function: str, destination: str) -> None:
        parts = destination.split(":")
        service = parts[2] if destination.startswith("arn:") and len(parts) > 5 else None
        invalid = AwsRefusal(f"InvalidParameterValueException: The destination ARN {destination} is invalid.")
        if service not in LAMBDA_FAILURE_DESTINATION_SERVICES:
            raise invalid
        if service == "sqs" and not any(r.outputs.get("arn") == destination for r in self._resources_of(QUEUE)):
            raise invalid
        role_arn = next(r.outputs.get("role") for r in self._resources_of(FUNCTION)
                        if r.outputs.get("name") == function)
        if not known(role_arn):
            return
        role_name = role_arn.rsplit("/", 1)[-1]
        authority = Authority(self)
        action, call = _DESTINATION_ACTIONS[service]
        granted = authority.decide(authority.role(role_name), action, destination).allowed
        waited = any(p.type in (ROLE_POLICY, ATTACHMENT) and p.inputs.get("role") == role_name
                     for p in step.prerequisites)
        if not (granted and waited):
            raise AwsRefusal(f"InvalidParameterValueException: The function's execution role does not have "
                             f"permissions to call {call} on {destination} (role {role_name}; the configuration must "
                             "also depend on the policy that grants it)")

    # Invokes.

    def _get_functions(self, args: dict) -> dict:
        functions = [r.outputs for r in self._resources_of(FUNCTION)]
        return {"functionNames": [f["name"] for f in functions], "functionArns": [f["arn"] for f in functions],
                "id": self.region}

    def _get_function(self, function_name: str, qualifier: Optional[str]) -> dict:
        """GetFunction of a version or an alias (the version it points at; during a canary, the main one)."""
        alias = self._aliases().get((function_name, qualifier))
        version = alias["functionVersion"] if alias else qualifier
        if (function_name, version) not in self.function_images:
            raise AwsRefusal(f"ResourceNotFoundException: Function not found: {self.arn('lambda', 'function:')}"
                             f"{function_name}:{qualifier}")
        arn = self.arn("lambda", f"function:{function_name}")
        return {"functionName": function_name, "arn": arn, "qualifiedArn": f"{arn}:{qualifier}", "version": version,
                "imageUri": self.function_images[(function_name, version)], "qualifier": qualifier,
                "id": function_name}


def _check_image_package(inputs: dict) -> None:
    if inputs.get("runtime") or inputs.get("handler") or inputs.get("layers"):
        raise AwsRefusal("InvalidParameterValueException: Please don't provide Handler or Runtime or Layer when the "
                         "intended function PackageType is Image.")


def _check_zip_package(inputs: dict) -> None:
    """A zip function names a runtime Lambda still supports and a handler, and its code fits Lambda's limits.
    (The simulation knows Lambda's Python runtimes only: the only ones this project uses.)"""
    runtime, code = inputs.get("runtime"), inputs.get("code")
    if not inputs.get("handler") or not runtime:
        raise AwsRefusal("InvalidParameterValueException: Runtime and Handler are required for a Zip function.")
    if known(runtime) and runtime not in LAMBDA_PYTHON_RUNTIMES:
        raise AwsRefusal(f"InvalidParameterValueException: The runtime parameter of {runtime} is no longer supported "
                         "for creating or updating AWS Lambda functions.")
    if not isinstance(code, pulumi.AssetArchive):
        raise AwsRefusal("InvalidParameterValueException: a Zip function needs its code (an archive, or S3)")
    missing = [a.path for a in code.assets.values() if not Path(a.path).is_file()]
    if missing:  # the provider fails to zip before it calls Lambda
        raise AwsRefusal(f"the AWS provider cannot read {', '.join(missing)} to build the function's .zip")
    unzipped = sum(Path(a.path).stat().st_size for a in code.assets.values())
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:  # as the provider zips it
        for name, asset in code.assets.items():
            archive.write(asset.path, name)
    if unzipped > LAMBDA_UNZIPPED_MAX_BYTES or zipped.tell() > LAMBDA_ZIP_MAX_BYTES:
        raise AwsRefusal(f"RequestEntityTooLargeException: the function's code is {zipped.tell()} bytes zipped, "
                         f"{unzipped} unzipped; Lambda takes {LAMBDA_ZIP_MAX_BYTES} and {LAMBDA_UNZIPPED_MAX_BYTES}")


def _check_logging(logging_config: Optional[dict]) -> None:
    """Log levels filter JSON records only."""
    config = logging_config or {}
    if config.get("logFormat", "Text") == "Text" and (config.get("applicationLogLevel") or config.get("systemLogLevel")):
        raise AwsRefusal('InvalidParameterValueException: LogLevel is not supported when LogFormat is set to "Text". '
                         'Remove LogLevel from your request or change the LogFormat to "Json" and try again.')


def _check_cors(cors: Optional[dict]) -> None:
    """CreateFunctionUrlConfig's limits on Cors."""
    if not cors:
        return
    for key in ("allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders"):
        if len(cors.get(key) or []) > URL_CORS_MAX_ITEMS:
            raise AwsRefusal(f"ValidationException: Cors.{key} has more than {URL_CORS_MAX_ITEMS} items")
    if any(not 1 <= len(o) <= URL_CORS_MAX_ORIGIN_LENGTH for o in cors.get("allowOrigins") or []):
        raise AwsRefusal(f"ValidationException: each of Cors.AllowOrigins must be 1..{URL_CORS_MAX_ORIGIN_LENGTH} long")
    if len(cors.get("allowMethods") or []) > 6 or set(cors.get("allowMethods") or []) - URL_CORS_METHODS:
        raise AwsRefusal(f"ValidationException: Cors.AllowMethods {cors.get('allowMethods')} must be at most 6 of "
                         f"{', '.join(sorted(URL_CORS_METHODS))}")
    if any(len(h) > URL_CORS_MAX_HEADER_LENGTH for key in ("allowHeaders", "exposeHeaders") for h in cors.get(key) or []):
        raise AwsRefusal(f"ValidationException: a Cors header is longer than {URL_CORS_MAX_HEADER_LENGTH}")
    check_range("Cors.MaxAge", cors.get("maxAge"), (0, URL_CORS_MAX_AGE_SECONDS))
