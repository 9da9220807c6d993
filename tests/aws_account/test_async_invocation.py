"""Lambda's asynchronous invocation configuration in the simulated account: retries and age within Lambda's bounds,
on a function and alias that exist and that it waited for, with an on-failure destination Lambda can use (one that
exists, of a service Lambda sends to, that the function's own role may send to)."""

import pulumi
import pytest

from aws_account.account import SimulatedCloud
from tests.aws_account.steps import ACCOUNT, ROLE, ROLE_POLICY, document, done, refused, register, trust
from tests.conftest import PROJECT_DIR

FUNCTION, ALIAS = "aws:lambda/function:Function", "aws:lambda/alias:Alias"
CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:worker-dlq"
SEND = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": QUEUE_ARN}
FUNCTION_INPUTS = {"name": "worker", "packageType": "Zip", "runtime": "python3.12", "handler": "app.handler",
                   "role": f"arn:aws:iam::{ACCOUNT}:role/worker", "publish": True,
                   "code": pulumi.AssetArchive({"app.py": pulumi.FileAsset(str(PROJECT_DIR / "functions" / "worker" /
                                                                                "app.py"))})}
ALIAS_INPUTS = {"name": "live", "functionName": "worker", "functionVersion": "1"}
WAITED_FOR_ALIAS = [done(FUNCTION, FUNCTION_INPUTS), done(ALIAS, ALIAS_INPUTS)]


def config(**changes) -> dict:
    return {"functionName": "worker", "qualifier": "live", "maximumRetryAttempts": 2, "maximumEventAgeInSeconds": 3600,
            "destinationConfig": {"onFailure": {"destination": QUEUE_ARN}}, **changes}


def grant(cloud: SimulatedCloud, *statements: dict) -> list:
    """The function role's policy; the steps a configuration that waited for it lists."""
    policy = {"role": "worker", "name": "send-failed-runs", "policy": document(*statements)}
    register(cloud, ROLE_POLICY, "grant", policy)
    return [done(ROLE_POLICY, policy)]


@pytest.fixture
def worker(cloud) -> SimulatedCloud:
    """A function with its live alias and a dead-letter queue; its role may not yet send to it."""
    register(cloud, ROLE, "worker", {"name": "worker", "assumeRolePolicy": trust("lambda")})
    register(cloud, FUNCTION, "worker", FUNCTION_INPUTS)
    register(cloud, ALIAS, "worker", ALIAS_INPUTS)
    register(cloud, "aws:sqs/queue:Queue", "dlq", {"name": "worker-dlq", "sqsManagedSseEnabled": True})
    return cloud


def test_failed_runs_go_to_a_queue_the_functions_role_may_send_to(worker):
    state = register(worker, CONFIG, "c", config(), WAITED_FOR_ALIAS + grant(worker, SEND))
    assert state["id"] == "worker:live"


@pytest.mark.parametrize("changes, said", [
    ({"maximumRetryAttempts": 3}, "MaximumRetryAttempts 3 is outside 0..2"),
    ({"maximumEventAgeInSeconds": 59}, "MaximumEventAgeInSeconds 59 is outside 60..21600"),
    ({"maximumEventAgeInSeconds": 21601}, "MaximumEventAgeInSeconds 21601"),
    ({"qualifier": "beta"}, "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:worker:beta"),
    ({"functionName": "other"}, "Function not found: arn:aws:lambda:eu-west-1:123456789012:function:other:live"),
    ({"destinationConfig": {"onFailure": {"destination": f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/runs"}}},
     "The destination ARN arn:aws:dynamodb:eu-west-1:123456789012:table/runs is invalid."),
    ({"destinationConfig": {"onFailure": {"destination": QUEUE_ARN + "-2"}}}, "is invalid."),
])
def test_what_lambda_refuses(worker, changes, said):
    with refused(said):
        register(worker, CONFIG, "c", config(**changes), WAITED_FOR_ALIAS + grant(worker, SEND))


def test_the_functions_role_must_be_allowed_to_send(worker):
    with refused("The function's execution role does not have permissions to call SendMessage on " + QUEUE_ARN):
        register(worker, CONFIG, "c", config(), WAITED_FOR_ALIAS + grant(worker, {**SEND, "Resource": QUEUE_ARN + "x"}))


def test_a_boundary_that_does_not_allow_sending_is_no_grant(worker):
    boundary = register(worker, "aws:iam/policy:Policy", "b", {"name": "boundary", "policy": document(
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"})})
    register(worker, ROLE, "worker", {"name": "worker", "assumeRolePolicy": trust("lambda"),
                                      "permissionsBoundary": boundary["arn"]})
    with refused("does not have permissions to call SendMessage"):
        register(worker, CONFIG, "c", config(), WAITED_FOR_ALIAS + grant(worker, SEND))


def test_the_configuration_waits_for_the_alias_and_the_grant(worker):
    waited_for_grant = grant(worker, SEND)
    with refused("must depend on the function and its alias"):
        register(worker, CONFIG, "c", config(), waited_for_grant)
    with refused("must also depend on the policy that grants it"):
        register(worker, CONFIG, "c", config(), WAITED_FOR_ALIAS)


def test_a_version_needs_no_alias_and_no_destination_needs_no_grant(worker):
    assert register(worker, CONFIG, "c", config(qualifier="1", destinationConfig=None), WAITED_FOR_ALIAS[:1])
