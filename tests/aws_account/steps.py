"""Engine steps against a simulated account, as the mock engine hands them over, and the documents and edits
the account's tests build them from."""

import copy
import json
import re
from types import SimpleNamespace

import pytest

from aws_account.refusals import AwsRefusal
from offline.engine import ResourceStep

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STATEMENT = {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}
CLOUDWATCH_USES_KEY = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                       "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


def register(cloud, typ, name, inputs, prerequisites=(), delete_before_replace=False, urn=None, ignore_changes=()):
    """Create (or update, for a URN seen before) one resource; its state as the provider answered."""
    step = ResourceStep(urn or f"urn:pulumi:dev::p::{typ}::{name}", list(prerequisites), delete_before_replace,
                        list(ignore_changes), typ=typ, name=name, inputs=inputs, custom=True)
    return cloud.new_resource(step)[1]


def done(typ: str, inputs: dict) -> SimpleNamespace:
    """A step the next one waited for."""
    return SimpleNamespace(type=typ, inputs=inputs, state=inputs)


def refused(message: str):
    """pytest.raises for an AwsRefusal whose message holds `message` literally."""
    return pytest.raises(AwsRefusal, match=re.escape(message))


def with_keys(base: dict, changes: dict) -> dict:
    """`base` with `changes` applied; a change to None removes the key."""
    result = {**copy.deepcopy(base), **changes}
    return {key: value for key, value in result.items() if value is not None}


def changed(base: dict, path: str, value) -> dict:
    """A deep copy of `base` with the value at `path` (keys and list indexes joined by dots) set, or removed
    when `value` is None."""
    result = copy.deepcopy(base)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target = result
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return result


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str) -> str:
    return document({"Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"},
                     "Action": "sts:AssumeRole"})


def service_role(cloud, name: str, service: str) -> list:
    """A role `service` may assume, with its inline policy; the steps a resource using it waits for."""
    register(cloud, ROLE, name, {"name": name, "assumeRolePolicy": trust(service)})
    policy = {"role": name, "policy": document(STATEMENT)}
    register(cloud, ROLE_POLICY, name, policy)
    return [done(ROLE_POLICY, policy)]


# A key policy KMS accepts: the account's root administers the key, and CloudWatch may use it.
KEY_POLICY = document({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
                      CLOUDWATCH_USES_KEY)
