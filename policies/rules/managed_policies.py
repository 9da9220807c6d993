"""The AWS managed policies whose documents allow wildcard actions, by ARN: aws_managed_policies.json, a table
derived from a pinned copy of the policies' documents (its `source` says which, `asOf` how recent) and made again
by `python -m commands.refresh_managed_policies`. The pack never asks AWS for a managed policy's document.

Only the standard library, so that the command can import it from the project folder as well.
"""

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

TABLE = Path(__file__).with_name("aws_managed_policies.json")
# AWS managed policies live in the account `aws`, in every partition (aws, aws-cn, aws-us-gov, …), some under a
# path (service-role/, job-function/, …). The table keys them by their ARN in the aws partition.
_AWS_MANAGED_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::aws:policy/(?P<path_and_name>.+)$")
TABLE_ARN_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str                     # as the table has it: in the aws partition
    actions: tuple[str, ...]     # the actions with `*` in them that its Allow statements grant
    not_actions: tuple[str, ...]  # what its Allow statements with NotAction leave out: they grant every other action

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


@functools.cache
def _wildcards() -> dict[str, dict]:
    return json.loads(TABLE.read_text())["wildcards"]


def _table_arn(arn: str) -> Optional[str]:
    """The ARN as the table keys it, when `arn` is an AWS managed policy's (in any partition)."""
    match = _AWS_MANAGED_ARN.match(arn)
    return TABLE_ARN_PREFIX + match["path_and_name"] if match else None


def wildcard_policy(arn: str) -> Optional[ManagedPolicy]:
    """The AWS managed policy `arn` names, when its document allows wildcard actions; None for any other ARN
    (a customer's policy, or an AWS managed policy that names its actions, or one newer than the table)."""
    key = _table_arn(arn)
    entry = _wildcards().get(key) if key else None
    if entry is None:
        return None
    return ManagedPolicy(key, tuple(entry.get("actions", ())), tuple(entry.get("notActions", ())))
