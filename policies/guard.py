"""The pack's policies, each guarded: one policy's failure never costs another's verdict.

pulumi_policy runs every policy of the pack in one Analyze (one resource) or AnalyzeStack (the stack) call, and an
exception from any of them ends the call: the engine gets a gRPC error instead of every other policy's verdict.
`serve` registers each policy wrapped, so that whatever its check raises, the other policies still answer and the
failing policy reports, as its own finding, that it could not judge the resource and why: a property it cannot
read (`Malformed`: which, and what it holds), or the exception's type and message.

That finding is advisory: a program the pack does not understand is not refused for it. A policy whose config sets
failClosedInProduction reports it at the policy's own level on production stacks (its productionStacks), where a
check that cannot run should stop the update. The setting is per policy because CrossGuard's config is (the engine
hands each policy its own, and `all` sets only levels), and whether an unjudged resource may pass is the same kind
of choice as a policy's level: worth it for iam-no-wildcard-actions, hardly for codebuild-arm64.

pulumi_policy's own answers pass through unchanged: an unknown value during a preview ("can't run policy … during
preview", advisory) and a policy's `not_applicable`.
"""

import contextlib
import threading
from typing import Any, Callable, Iterator, Optional, TypeVar

from pulumi_policy import (EnforcementLevel, Policy, PolicyConfigSchema, PolicyPack, PolicyResource, ReportViolation,
                           ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy)
from pulumi_policy import policy as sdk
from pulumi_policy.proxy import UnknownValueError

from cost.wire import Malformed
from rules.common import PRODUCTION_STACKS, is_production, setting

FAIL_CLOSED = "failClosedInProduction"
COULD_NOT_JUDGE = "could not judge"
_LONGEST_DETAIL = 300  # of an exception's message in a finding
# What pulumi_policy itself turns into an answer (its analyzer catches exactly these).
_SDK_ANSWERS = (UnknownValueError, sdk._NotApplicableError)
_GUARD_SETTINGS = {
    FAIL_CLOSED: {"type": "boolean", "default": False,
                  "description": "On a production stack (productionStacks), a resource this policy could not judge "
                                 "(a property it cannot read, or the policy failing) is reported at the policy's own "
                                 "level instead of as advisory."},
    "productionStacks": PRODUCTION_STACKS,
}
Read = TypeVar("Read")


class NotJudged(Exception):
    """The resources a stack policy could not read, each with why; raised once it has judged all the others. With
    `not_known`, a value not known during a preview kept it from judging others too: the engine is told after."""

    def __init__(self, unjudged: list[tuple[PolicyResource, str]], not_known: Optional[UnknownValueError] = None):
        super().__init__("; ".join(f"{resource.name}: {reason}" for resource, reason in unjudged))
        self.unjudged, self.not_known = unjudged, not_known


class Unjudged:
    """What a stack policy could not read, one resource at a time, so that it judges the rest and then raises
    `NotJudged` (`done`): one unreadable resource must not cost the verdicts on the others."""

    def __init__(self) -> None:
        self._unjudged: list[tuple[PolicyResource, str]] = []

    def read(self, resource: PolicyResource, reading: Callable[[PolicyResource], Read]) -> Optional[Read]:
        """What `reading` returns for the resource, or None when a property of it is malformed."""
        try:
            return reading(resource)
        except Malformed as malformed:
            self._unjudged.append((resource, str(malformed)))
            return None

    def done(self, not_known: Optional[UnknownValueError] = None) -> None:
        """Raise what the policy could not judge: the unreadable resources, then the unknown value if any."""
        if self._unjudged:
            raise NotJudged(self._unjudged, not_known)
        if not_known:
            raise not_known


class _ConvertedOncePerCall:
    """pulumi_policy's json_format, whose MessageToDict converts each message once per analyzer call.

    Its analyzer converts a resource's properties (and its provider's) anew for every policy of the pack in Analyze,
    and every resource anew for every stack policy in AnalyzeStack: profiled (bench/preview_scale.py), that pure-Python
    conversion was a fifth of the pack's time. What it returns goes only to deserialize_properties, which builds new
    values from it and changes nothing, so every policy still gets values of its own. Keyed by the message's bytes
    (never by id: a message's Python wrapper may be a new object at each access), and forgotten when the call ends."""

    def __init__(self, json_format: Any):
        self._json_format = json_format
        self._calls = threading.local()  # the pack serves calls from a thread pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self._json_format, name)

    def MessageToDict(self, message, *args, **kwargs) -> dict:  # noqa: N802 - json_format's name
        memo = getattr(self._calls, "memo", None)
        if memo is None or args or kwargs:  # outside an analyzer call (Configure), or another conversion
            return self._json_format.MessageToDict(message, *args, **kwargs)
        key = (message.DESCRIPTOR.full_name, message.SerializeToString(deterministic=True))
        if key not in memo:
            memo[key] = self._json_format.MessageToDict(message)
        return memo[key]

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        self._calls.memo = {}
        try:
            yield
        finally:
            self._calls.memo = None


_CONVERSIONS = _ConvertedOncePerCall(sdk.json_format)


class _AnalyzerWithAdvisoryReports(sdk._PolicyAnalyzerServicer):
    """pulumi_policy's analyzer, whose report callback also reports at advisory level (`report.advisory`): its own
    reports only at the policy's level, and "could not judge" must not block where the policy would. Each call
    converts each message once (_ConvertedOncePerCall)."""

    def Analyze(self, request, context):  # noqa: N802 - the protocol's names
        with _CONVERSIONS.call():
            return super().Analyze(request, context)

    def AnalyzeStack(self, request, context):  # noqa: N802
        with _CONVERSIONS.call():
            return super().AnalyzeStack(request, context)

    def Remediate(self, request, context):  # noqa: N802
        with _CONVERSIONS.call():
            return super().Remediate(request, context)

    def _create_report_violation(self, response, policy_name: str, policy_description: str,
                                 enforcement_level: EnforcementLevel, severity=None) -> ReportViolation:
        report = super()._create_report_violation(response, policy_name, policy_description, enforcement_level,
                                                  severity)
        report.advisory = super()._create_report_violation(response, policy_name, policy_description,
                                                           EnforcementLevel.ADVISORY, severity)
        return report


def serve(name: str, enforcement_level: EnforcementLevel, policies: list[Policy]) -> None:
    """pulumi_policy's PolicyPack of the policies, each guarded; like PolicyPack, it serves until the engine ends it."""
    sdk._PolicyAnalyzerServicer = _AnalyzerWithAdvisoryReports  # the name PolicyPack makes its analyzer by
    sdk.json_format = _CONVERSIONS  # the name its analyzer converts messages by
    PolicyPack(name=name, enforcement_level=enforcement_level, policies=[_guarded(p) for p in policies])


def _guarded(policy: Policy) -> Policy:
    """The same policy, whose check's exceptions become its "could not judge" findings (a remediation's, nothing).
    Its reports need the analyzer `serve` installs."""
    described = dict(name=policy.name, description=policy.description, enforcement_level=policy.enforcement_level,
                     display_name=policy.display_name, severity=policy.severity, framework=policy.framework,
                     tags=policy.tags, remediation_steps=policy.remediation_steps, url=policy.url)
    if isinstance(policy, StackValidationPolicy):
        settings = _with_guard_settings(policy.config_schema)
        return StackValidationPolicy(validate=_judging(policy, settings, _stack), config_schema=settings, **described)
    if not policy.has_validation():  # a remediation only: it reports nothing, so it needs no settings to
        return ResourceValidationPolicy(remediate=_remediating(policy), config_schema=policy.config_schema, **described)
    settings = _with_guard_settings(policy.config_schema)
    return ResourceValidationPolicy(validate=_judging(policy, settings, _resource), config_schema=settings,
                                    remediate=_remediating(policy) if policy.has_remediation() else None, **described)


def _with_guard_settings(policy_schema: Optional[PolicyConfigSchema]) -> PolicyConfigSchema:
    own = policy_schema.properties if policy_schema else {}
    return PolicyConfigSchema(properties={**own, **{k: v for k, v in _GUARD_SETTINGS.items() if k not in own}},
                              required=policy_schema.required if policy_schema else None)


def _resource(args: ResourceValidationArgs) -> str:
    return f"{args.resource_type} '{args.name}'"


def _stack(_args: StackValidationArgs) -> str:
    return "the stack"


def _judging(policy: Policy, settings: PolicyConfigSchema, subject: Callable[[Any], str]) -> Callable[..., None]:
    def validate(args, report: ReportViolation) -> None:
        try:
            policy.validate(args, report)  # the pack's checks are synchronous: none returns an awaitable
        except _SDK_ANSWERS:
            raise
        except NotJudged as not_judged:
            for resource, why in not_judged.unjudged:
                _could_not_judge(args, settings, report, f"{resource.resource_type} '{resource.name}'", why,
                                 resource.urn)
            if not_judged.not_known:
                raise not_judged.not_known from None  # pulumi_policy's "can't run policy … during preview"
        except Malformed as malformed:
            _could_not_judge(args, settings, report, subject(args), str(malformed))
        except Exception as error:  # anything else: a fault of the pack, on an input it does not expect
            _could_not_judge(args, settings, report, subject(args),
                             f"the policy failed with {type(error).__name__}: {str(error)[:_LONGEST_DETAIL]}; "
                             "report this to the pack's maintainers")
    return validate


def _could_not_judge(args, settings: PolicyConfigSchema, report: ReportViolation, what: str, why: str,
                     urn: Optional[str] = None) -> None:
    """Report, as advisory unless the policy fails closed on this production stack, why `what` has no verdict."""
    if setting(args.get_config(), settings, FAIL_CLOSED) and is_production(args, settings):
        report(f"{COULD_NOT_JUDGE} {what}: {why} (reported at this policy's level: {FAIL_CLOSED} is set and this "
               "stack is production).", urn)
    else:
        report.advisory(f"{COULD_NOT_JUDGE} {what}: {why} (advisory; {FAIL_CLOSED} reports it at this policy's "
                        "level on production stacks).", urn)


def _remediating(policy: ResourceValidationPolicy) -> Callable[[ResourceValidationArgs], Any]:
    def remediate(args: ResourceValidationArgs) -> Any:
        try:
            return policy.remediate(args)
        except _SDK_ANSWERS:
            raise
        except Exception:
            # A remediation has no report of its own: it changes nothing, and the policy that judges the resource
            # (ecr-scan-on-push for ecr-scan-on-push-fix) still does.
            return None
    return remediate
