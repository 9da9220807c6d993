"""AlarmTopic: encrypted with a key CloudWatch may use, publishable only by the stack's alarms, and an
e-mail subscription only when an address is set; CodeStar Notifications may publish only on a stack with a
delivery pipeline."""

import json

KEY, TOPIC, TOPIC_POLICY = "aws:kms/key:Key", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


def _statements(document: str) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def test_the_topic_is_encrypted_with_the_stacks_own_rotating_key(any_stack_run):
    key = any_stack_run.under("alarms").one(KEY)
    topic = any_stack_run.one(TOPIC).inputs
    # Not alias/aws/sns: CloudWatch cannot use SNS's AWS managed key, and alarms would never arrive.
    assert topic["kmsMasterKeyId"] == key.state["arn"]
    assert key.inputs["enableKeyRotation"] is True
    alias = any_stack_run.under("alarms").one("aws:kms/alias:Alias").inputs
    assert alias["targetKeyId"] == key.state["keyId"] and alias["name"] == f"alias/{topic['name']}"


def test_cloudwatch_may_use_the_key_for_exactly_what_publishing_needs(any_stack_run):
    statements = _statements(any_stack_run.under("alarms").one(KEY).inputs["policy"])
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    # As AWS documents each: CodeStar Notifications through SNS only; CloudWatch and Budgets with no condition (one
    # they did not meet would drop every alarm silently).
    assert "Condition" not in cloudwatch
    if "PipelineNotificationsPublish" in statements:
        assert statements["PipelineNotificationsPublish"]["Condition"] == {
            "StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}}
    root = statements["AccountAdministersTheKeyThroughIam"]
    assert root["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and root["Action"] == "kms:*"


def test_only_the_stacks_alarms_may_publish_and_only_over_tls(any_stack_run):
    topic = any_stack_run.one(TOPIC).state["arn"]
    policy = any_stack_run.one(TOPIC_POLICY).inputs
    assert policy["arn"] == topic
    statements = _statements(policy["policy"])
    publish = statements["StackAlarmsPublish"]
    stack = topic.rsplit(":", 1)[1].removesuffix("-alarms")
    assert (publish["Effect"], publish["Principal"], publish["Action"], publish["Resource"]) == (
        "Allow", {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish", topic)
    assert publish["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{stack}-*"
    assert publish["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert statements["TlsOnly"]["Effect"] == "Deny"
    assert statements["TlsOnly"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Every alarm's name falls under the published prefix.
    for alarm in any_stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        assert alarm.inputs["name"].startswith(f"{stack}-")


def test_no_address_no_subscription(any_stack_run):
    assert any_stack_run.of_type(SUBSCRIPTION) == []


def test_an_address_subscribes_by_email_and_waits_for_confirmation(stack_runner):
    run = stack_runner("prod", {"alarmEmail": "OnCall@Example.com"})
    subscription = run.one(SUBSCRIPTION)
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "OnCall@example.com"  # the domain normalised, the local part kept
    assert subscription.inputs["topic"] == run.one(TOPIC).state["arn"]
    assert subscription.state["pendingConfirmation"] is True


NOTIFICATIONS = "PipelineNotificationsPublish"


def test_pipeline_notifications_may_publish_only_where_there_is_a_pipeline(dev_run, prod_run):
    """CodeStar Notifications publishes a pipeline's failures with its own service principal: the topic's policy
    and the key's must both let it, or the notifications are silently dropped (the rule's target goes
    unreachable); a stack without a pipeline grants nothing."""
    for run, expected in ((dev_run, False), (prod_run, True)):
        topic_statements = _statements(run.one(TOPIC_POLICY).inputs["policy"])
        key_statements = _statements(run.under("alarms").one(KEY).inputs["policy"])
        assert (NOTIFICATIONS in topic_statements, NOTIFICATIONS in key_statements) == (expected, expected)
    publish = _statements(prod_run.one(TOPIC_POLICY).inputs["policy"])[NOTIFICATIONS]
    assert (publish["Principal"], publish["Action"], publish["Resource"]) == (
        {"Service": "codestar-notifications.amazonaws.com"}, "sns:Publish", prod_run.one(TOPIC).state["arn"])
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    use_key = _statements(prod_run.under("alarms").one(KEY).inputs["policy"])[NOTIFICATIONS]
    assert sorted(use_key["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
