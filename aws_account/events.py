"""EventBridge in the simulated account: rules on the default event bus and their targets. Sources: the EventBridge
API reference (PutRule: Name 1..64 of [.-_A-Za-z0-9], EventPattern a JSON object; PutTargets: a target that
EventBridge invokes with a role needs RoleArn, a role EventBridge may assume)."""

import json

from aws_account.refusals import AwsRefusal, check_name, known
from aws_limits import EVENT_RULE_NAME

EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"


class SimulatedEvents:
    """Mixed into SimulatedCloud (account.py): needs `arn()`, `_existing()` and `_check_service_role()`."""

    def events_creators(self) -> dict:
        return {EVENT_RULE: self._event_rule, EVENT_TARGET: self._event_target}

    def _event_rule(self, step, previous, inputs, name) -> dict:
        check_name(EVENT_RULE_NAME, name)
        pattern = inputs.get("eventPattern")
        if known(pattern):
            try:
                parsed = json.loads(pattern)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict) or not parsed:
                raise AwsRefusal("InvalidEventPatternException: Event pattern is not valid JSON object")
        # A rule on the default bus: its ARN names no bus.
        return {"arn": self.arn("events", f"rule/{name}")}

    def _event_target(self, step, previous, inputs, name) -> dict:
        self._existing(EVENT_RULE, "name", inputs.get("rule"), "rule", "ResourceNotFoundException: Rule does not exist")
        self._check_service_role(step, previous, inputs, "roleArn", "events",
                                 "ValidationException: EventBridge cannot assume the role {role}")
        return {"targetId": inputs.get("targetId") or f"{name}-target"}
