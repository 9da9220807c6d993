"""How the pack reads an IAM policy document: one reading for the documents a stack carries and for the AWS managed
policies of the table `commands.refresh_managed_policies` makes, so that both are judged alike.

Only the standard library, so that the command can import it from the project folder as well.
"""

import json
from typing import Any, Mapping, Sequence


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def as_list(value: Any) -> list[str]:
    """The strings of a value that IAM allows as one string or a list of them; anything else is none."""
    values = [value] if isinstance(value, str) else value if is_list(value) else []
    return [v for v in values if isinstance(v, str)]


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a document (JSON text or an object); none when it is not a policy document at all (AWS
    refuses those, and a policy check is no place to crash on them)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    found = document.get("Statement") if isinstance(document, Mapping) else None
    found = [found] if isinstance(found, Mapping) else found if is_list(found) else []
    return [statement for statement in found if isinstance(statement, Mapping)]


def allows(statement: Mapping[str, Any]) -> bool:
    # A statement without Effect is invalid; reading it as Allow is the conservative choice.
    return (statement.get("Effect") or "Allow") == "Allow"


def has_not_action(statement: Mapping[str, Any]) -> bool:
    # A null NotAction is no NotAction.
    return statement.get("NotAction") is not None


def is_wildcard(action: str) -> bool:
    return "*" in action


def wildcard_grants(document: Any) -> tuple[list[str], list[str]]:
    """What a document's Allow statements grant beyond named actions: its actions with `*` in them, and what its
    NotActions leave out (an Allow with NotAction grants every other action); each once, in the document's order."""
    actions: dict[str, None] = {}
    not_actions: dict[str, None] = {}
    for statement in filter(allows, statements(document)):
        if has_not_action(statement):
            not_actions.update(dict.fromkeys(as_list(statement.get("NotAction"))))
        actions.update(dict.fromkeys(filter(is_wildcard, as_list(statement.get("Action")))))
    return list(actions), list(not_actions)
