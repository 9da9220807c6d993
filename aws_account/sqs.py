"""SQS in the simulated account: queues. Sources: the SQS API reference (CreateQueue's QueueName and Attributes, as
botocore's sqs model states them) and, for what the AWS provider refuses before it calls SQS, its code
(terraform-provider-aws internal/service/sqs/queue.go: resourceQueueCustomizeDiff and the schema's ConflictsWith).
"""

from aws_account.refusals import AwsRefusal, check_name, check_range, known
from aws_limits import (SQS_DELAY_SECONDS, SQS_MAX_MESSAGE_BYTES, SQS_QUEUE_NAME, SQS_RECEIVE_WAIT_SECONDS,
                        SQS_RETENTION_SECONDS, SQS_VISIBILITY_TIMEOUT_SECONDS)

QUEUE = "aws:sqs/queue:Queue"
_RANGES = {"messageRetentionSeconds": ("MessageRetentionPeriod", SQS_RETENTION_SECONDS),
           "visibilityTimeoutSeconds": ("VisibilityTimeout", SQS_VISIBILITY_TIMEOUT_SECONDS),
           "delaySeconds": ("DelaySeconds", SQS_DELAY_SECONDS),
           "maxMessageSize": ("MaximumMessageSize", SQS_MAX_MESSAGE_BYTES),
           "receiveWaitTimeSeconds": ("ReceiveMessageWaitTimeSeconds", SQS_RECEIVE_WAIT_SECONDS)}


class SimulatedSqs:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `region` and `account_id`."""

    def sqs_creators(self) -> dict:
        return {QUEUE: self._queue}

    def _queue(self, step, previous, inputs, name) -> dict:
        check_name(SQS_QUEUE_NAME, name)
        fifo = bool(inputs.get("fifoQueue"))
        if known(name) and fifo != name.endswith(".fifo"):
            raise AwsRefusal(f"InvalidParameterValue: the queue name {name!r}: a FIFO queue name must end with the "
                             ".fifo suffix, and only a FIFO queue's may")
        for key, (attribute, bounds) in _RANGES.items():
            check_range(attribute, inputs.get(key), bounds)
        if inputs.get("sqsManagedSseEnabled") and inputs.get("kmsMasterKeyId"):
            # The provider's ConflictsWith; SQS takes one server-side encryption per queue (SSE-SQS or SSE-KMS).
            raise AwsRefusal('"sqs_managed_sse_enabled": conflicts with kms_master_key_id')
        if inputs.get("contentBasedDeduplication") and not fifo:
            raise AwsRefusal("content-based deduplication can only be set for FIFO queue")
        url = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        # The provider's id is the queue's URL.
        return {"arn": self.arn("sqs", name), "url": url, "id": url}
