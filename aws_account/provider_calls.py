"""Which AWS calls the pinned providers make for each resource type and operation, and what IAM checks for each.

The data is aws_account/provider_calls.yaml (its header says how to read it). Sources: terraform-provider-aws
v6.66.0 or a later 6.x (what pulumi-aws 7.51.1 bridges) internal/service/<service>/<resource>.go; pike
(JamesWoolfenden/pike, Apache-2.0) src/mapping/aws/resource/<service>/aws_<resource>.json as a cross-check.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml
from pulumi.runtime.rpc import UNKNOWN

DATA_FILE = Path(__file__).with_name("provider_calls.yaml")
OPERATIONS = ("create", "read", "update", "delete")
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_MISSING = object()
_OPS = {">=": lambda a, b: a >= b, "<": lambda a, b: a < b}


class NotCovered(KeyError):
    """A resource type or invoke token the data does not cover."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not covered"


class UnknownValue(ValueError):
    """A placeholder names a property the state does not have, or has unknown: no ARN can be formed."""


@dataclass(frozen=True)
class Call:
    action: str  # "iam:GetPolicy"
    resource: str  # the ARN IAM checks, or "*"
    context: dict = field(default_factory=dict)  # condition keys for this request
    needs_permission: bool = True  # False: made, but IAM never refuses it (sts:GetCallerIdentity)

    def __hash__(self) -> int:
        return hash((self.action, self.resource, repr(sorted(self.context.items())), self.needs_permission))


@lru_cache(maxsize=1)
def data() -> dict:
    """The whole data file, parsed."""
    return yaml.safe_load(DATA_FILE.read_text())


def _get(section: str, token: str) -> dict:
    try:
        return data()[section][token]
    except KeyError:
        raise NotCovered(f"{token} is not covered by {DATA_FILE.name}") from None


def covered_types() -> set[str]:
    return set(data()["resources"])


def needs_docker_daemon(type_token: str) -> bool:
    """Whether every operation on the type (a refresh's read included) needs a reachable Docker daemon."""
    section = "providers" if type_token.startswith("pulumi:providers:") else "resources"
    return bool(_get(section, type_token).get("needs_docker_daemon"))


def lookup(state: Any, path: str) -> Any:
    """The value at a dotted path ("a.0.b"); _MISSING when a step is absent."""
    for step in path.split("."):
        if isinstance(state, dict) and step in state:
            state = state[step]
        elif isinstance(state, list) and step.isdigit() and int(step) < len(state):
            state = state[int(step)]
        else:
            return _MISSING
    return state


def _collect(state: Any, steps: list[str]) -> list:
    """Every value at a path whose "*" steps run over a list's items or a mapping's values."""
    if not steps:
        return [] if state is None else [state]
    if steps[0] == "*":
        items = state.values() if isinstance(state, dict) else state if isinstance(state, list) else []
        return [v for item in items for v in _collect(item, steps[1:])]
    found = lookup(state, steps[0])
    return [] if found is _MISSING else _collect(found, steps[1:])


def _present(value: Any) -> bool:
    return value is not _MISSING and value not in (None, "", UNKNOWN) and value != [] and value != {}


def _text(value: Any) -> str:
    return "" if not _present(value) else str(value).lower() if isinstance(value, bool) else str(value)


def _filtered(value: Any, filters: list[str]) -> Any:
    for name in filters:
        key, _, arg = name.partition("=")
        if key not in ("not", "prefix", "suffix", "ecr_repository"):
            raise ValueError(f"unknown filter {name!r}")
        if key == "not" and str(value) == arg:
            value = _MISSING
        elif key in ("prefix", "suffix") and _present(value):
            value = f"{arg}{value}" if key == "prefix" else f"{value}{arg}"
        elif key == "ecr_repository" and _present(value):  # host/name:tag or host/name@digest -> name
            value = str(value).split("/", 1)[-1].split("@")[0].rsplit(":", 1)[0]
    return value


@dataclass
class _Scope:
    """What a template's placeholders read: the account, the state (or an invoke's args), the previous state."""

    where: str
    account: dict
    state: dict
    previous: Optional[dict] = None
    item: Any = _MISSING

    def value(self, expression: str) -> Any:
        source, _, rest = expression.partition(":")
        path, *filters = rest.split("|")
        optional, source = source.endswith("?"), source.rstrip("?")
        if not rest and source in self.account:
            return self.account[source]
        if not rest and source == "item" and self.item is not _MISSING:
            return self.item
        roots = {"state": self.state, "args": self.state, "previous": self.previous or {}}
        if source not in roots:
            raise ValueError(f"{self.where}: unknown placeholder ${{{expression}}}")
        value = _filtered(lookup(roots[source], path), filters)
        if not _present(value) and not optional:
            raise UnknownValue(f"{self.where}: ${{{expression}}} has no value (the {source} property {path!r} "
                               "is absent or unknown)")
        return value

    def render(self, template: Any) -> Any:
        """A template filled in; one that is a single placeholder keeps its value's type (_MISSING when unset)."""
        if not isinstance(template, str):
            return template
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            value = self.value(whole.group(1))
            return value if _present(value) else _MISSING
        return _PLACEHOLDER.sub(lambda m: _text(self.value(m.group(1))), template)


def _tags(state: Optional[dict]) -> dict:
    return dict((state or {}).get("tagsAll") or (state or {}).get("tags") or {})


def _holds(state: dict, condition: Any) -> bool:
    """A `when`: a path that is set (a flag: true), any of a list of paths, or {path: value | [values] | {op: n}} all holding."""
    if condition == "tags":
        return bool(_tags(state))
    if isinstance(condition, str):
        value = lookup(state, condition)
        return value if isinstance(value, bool) else _present(value)  # a flag holds when true, not merely set
    if isinstance(condition, list):
        return any(_holds(state, c) for c in condition)
    for path, expected in condition.items():
        value = lookup(state, path)
        if isinstance(expected, dict):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if not all(_OPS[op](value, n) for op, n in expected.items()):
                return False
        elif value not in (expected if isinstance(expected, list) else [expected]):
            return False
    return True


def _expand(specs: list, scope: _Scope, self_arn: Optional[str] = None, resource_tags: Optional[dict] = None,
            tag_changes: tuple[dict, list] = ({}, [])) -> list[Call]:
    """The calls of a list of call specs for one state."""
    added, removed = tag_changes
    out: list[Call] = []
    for spec in specs:
        diff = spec.get("tag_diff")
        if ("when" in spec and not _holds(scope.state, spec["when"])) or \
                ("unless" in spec and _holds(scope.state, spec["unless"])) or \
                (diff == "added" and not added) or (diff == "removed" and not removed):
            continue
        items = _collect(scope.state, spec["for_each"].split(".")) if "for_each" in spec else [_MISSING]
        for item in items:
            at = _Scope(f"{scope.where} {spec['action']}", scope.account, scope.state, scope.previous, item)
            template = self_arn if spec["resource"] == "self" else spec["resource"]
            if template is None:
                raise ValueError(f"{at.where}: the type has no ARN of its own")
            context = {key: value for key, value in ((k, at.render(v)) for k, v in (spec.get("context") or {}).items())
                       if value is not _MISSING}
            if spec.get("tags") and _tags(scope.state):
                context.update({f"aws:RequestTag/{k}": v for k, v in _tags(scope.state).items()})
                context["aws:TagKeys"] = sorted(_tags(scope.state))
            elif diff:
                context.update({f"aws:RequestTag/{k}": v for k, v in added.items()} if diff == "added" else {})
                context["aws:TagKeys"] = sorted(added if diff == "added" else removed)
            if resource_tags and spec["resource"] == "self" and not spec.get("tags"):
                context.update({f"aws:ResourceTag/{k}": v for k, v in resource_tags.items()})
            call = Call(spec["action"], template if template == "*" else _text(at.render(template)), context,
                        spec.get("needs_permission", True))
            if call not in out:
                out.append(call)
    return out


def _update_names(changed: Iterable[str]) -> list[str]:
    return list(dict.fromkeys("tags" if name == "tagsAll" else name for name in changed))


def updatable(type_token: str, changed: Iterable[str]) -> bool:
    """Whether the provider updates the resource in place for these changed properties; otherwise the engine
    replaces it (a create, then a delete)."""
    update = _get("resources", type_token).get("update")
    return update is not None and all(name in update or "*" in update for name in _update_names(changed))


def calls(type_token: str, operation: str, state: dict, *, partition: str, region: str, account: str,
          changed: Iterable[str] = (), previous_state: Optional[dict] = None) -> list[Call]:
    """The calls the provider makes for `operation` on a resource of `type_token` whose state is `state`.

    create and update are followed by the type's read calls (the provider reads after both); update takes the
    calls of each changed top-level property (the type's "*" ones for a property it does not name); pass the
    state before an update as `previous_state` (without it every tag counts as added)."""
    entry = _get("resources", type_token)
    if operation not in OPERATIONS:
        raise ValueError(f"operation must be one of {OPERATIONS}, not {operation!r}")
    scope = _Scope(f"{type_token} {operation}", {"Partition": partition, "Region": region, "Account": account},
                   state, previous_state)
    before = _tags(previous_state if previous_state is not None else state)
    new, old = _tags(state), _tags(previous_state)
    tag_changes = ({k: v for k, v in new.items() if old.get(k) != v}, [k for k in old if k not in new])
    if operation == "update":
        if entry.get("update") is None:
            raise ValueError(f"{type_token}: every property forces a replacement; the provider has no update")
        found = [entry["update"].get(name, entry["update"].get("*")) for name in _update_names(changed)]
        if any(specs is None for specs in found):
            raise NotCovered(f"{type_token} update of {sorted(changed)}: no entry and no '*' entry")
        steps = [(specs, before) for specs in found]
    else:
        steps = {"create": [(entry["create"], new)], "read": [], "delete": [(entry["delete"], before)]}[operation]
    if operation != "delete":
        steps.append((entry["read"], new))
    out: list[Call] = []
    for specs, tags in steps:
        for call in _expand(specs, scope, entry.get("arn"), tags if entry.get("resource_tags") else None, tag_changes):
            if call not in out:
                out.append(call)
    return out


def invoke_calls(token: str, args: dict, *, partition: str, region: str, account: str) -> list[Call]:
    """The calls a data source makes, keyed by its invoke token; conditions read the invoke's arguments."""
    account_scope = {"Partition": partition, "Region": region, "Account": account}
    return _expand(_get("invokes", token)["calls"], _Scope(token, account_scope, args))


def provider_calls(provider_type: str, *, partition: str, region: str, account: str) -> list[Call]:
    """What a provider's Configure calls, once per `pulumi up` (preview and refresh too)."""
    account_scope = {"Partition": partition, "Region": region, "Account": account}
    return _expand(_get("providers", provider_type)["configure"], _Scope(provider_type, account_scope, {}))
