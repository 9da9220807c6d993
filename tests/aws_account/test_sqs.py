"""SQS in the simulated account refuses what SQS (and the AWS provider before it) refuses of a queue: names, FIFO
suffixes, attribute ranges, two encryptions at once, deduplication on a standard queue."""

import pytest

from tests.aws_account.steps import ACCOUNT, refused, register

QUEUE = "aws:sqs/queue:Queue"


def test_a_queue_is_named_by_its_url_and_arn(cloud):
    state = register(cloud, QUEUE, "q", {"name": "worker-dlq", "sqsManagedSseEnabled": True,
                                         "messageRetentionSeconds": 1209600})
    assert state["arn"] == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:worker-dlq"
    assert state["url"] == state["id"] == f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/worker-dlq"


def test_a_fifo_queue_ends_in_fifo_and_only_it_does(cloud):
    assert register(cloud, QUEUE, "f", {"name": "jobs.fifo", "fifoQueue": True, "contentBasedDeduplication": True})
    with refused("a FIFO queue name must end with the .fifo suffix"):
        register(cloud, QUEUE, "g", {"name": "jobs", "fifoQueue": True})
    with refused("a FIFO queue name must end with the .fifo suffix"):
        register(cloud, QUEUE, "h", {"name": "jobs.fifo"})


@pytest.mark.parametrize("inputs, said", [
    ({"name": "worker dlq"}, "SQS queue name 'worker dlq'"), ({"name": "q" * 81}, "must be 1..80 characters"),
    ({"messageRetentionSeconds": 59}, "MessageRetentionPeriod 59 is outside 60..1209600"),
    ({"messageRetentionSeconds": 1209601}, "MessageRetentionPeriod 1209601"),
    ({"visibilityTimeoutSeconds": 43201}, "VisibilityTimeout 43201"), ({"delaySeconds": 901}, "DelaySeconds 901"),
    ({"maxMessageSize": 1023}, "MaximumMessageSize 1023"), ({"maxMessageSize": 1048577}, "MaximumMessageSize"),
    ({"receiveWaitTimeSeconds": 21}, "ReceiveMessageWaitTimeSeconds 21"),
    ({"sqsManagedSseEnabled": True, "kmsMasterKeyId": "alias/worker"}, "conflicts with kms_master_key_id"),
    ({"contentBasedDeduplication": True}, "content-based deduplication can only be set for FIFO queue"),
])
def test_what_sqs_refuses(cloud, inputs, said):
    with refused(said):
        register(cloud, QUEUE, "q", {"name": "worker-dlq", **inputs})
