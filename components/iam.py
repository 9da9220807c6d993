"""IAM documents the components write alike: a policy from its statements, and a role only one AWS service
may assume."""

import json
from typing import Sequence


def policy_document(statements: Sequence[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust_policy(service: str) -> str:
    """A role that only `service` (lambda, codebuild, codepipeline, codedeploy, …) may assume."""
    return policy_document([{"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"},
                             "Action": "sts:AssumeRole"}])
