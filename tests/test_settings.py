"""A wrong stack setting stops the whole program before any resource is declared, with one message
that names the key, the value and what is allowed."""

import pytest

from settings import LOG_RETENTION_DAYS, SettingsError

INVALID_SETTINGS = [
    ({"memoryMb": 100}, "lambdakit:memoryMb = 100: must be 128..10240 MB"),
    ({"memoryMb": 20480}, "lambdakit:memoryMb = 20480: must be 128..10240 MB"),
    ({"memoryMb": "lots"}, 'lambdakit:memoryMb = "lots": must be a whole number'),
    ({"architecture": "sparc"}, 'lambdakit:architecture = "sparc": must be one of arm64, x86_64'),
    ({"timeoutSeconds": 901}, "lambdakit:timeoutSeconds = 901: must be 1..900 seconds"),
    ({"ephemeralStorageMb": 256}, "lambdakit:ephemeralStorageMb = 256: must be 512..10240 MB"),
    ({"reservedConcurrency": -5}, "lambdakit:reservedConcurrency = -5: must be -1 or more (-1 reserves none)"),
    ({"provisionedConcurrency": -1}, "lambdakit:provisionedConcurrency = -1: must be 0 or more"),
    ({"reservedConcurrency": 5, "provisionedConcurrency": 8},
     "lambdakit:provisionedConcurrency = 8: must be at most reservedConcurrency (5)"),
    ({"logRetentionDays": 10},
     "lambdakit:logRetentionDays = 10: must be one of " + ", ".join(map(str, LOG_RETENTION_DAYS))),
    ({"logLevel": "LOUD"}, 'lambdakit:logLevel = "LOUD": must be one of DEBUG, INFO, WARN, ERROR'),
    ({"functionUrlAuthType": "PUBLIC"}, 'lambdakit:functionUrlAuthType = "PUBLIC": must be one of AWS_IAM, NONE, OFF'),
    ({"corsAllowOrigins": ["https://app.example.com/path"]},
     "lambdakit:corsAllowOrigins = [\"https://app.example.com/path\"]: origin 'https://app.example.com/path' "
     "must be \"*\" or scheme://host[:port] with no path"),
    ({"corsAllowOrigins": ["https://" + "a" * 250]},
     f'lambdakit:corsAllowOrigins = ["https://{"a" * 250}"]: origin \'https://{"a" * 32}\'… is longer than 253 characters'),
    ({"corsAllowOrigins": [f"https://{n}.example.com" for n in range(101)]},
     "lambdakit:corsAllowOrigins = [" + ", ".join(f'"https://{n}.example.com"' for n in range(101))
     + "]: must list at most 100 origins"),
    ({"ecrTagMutability": "SOMETIMES"}, 'lambdakit:ecrTagMutability = "SOMETIMES": must be one of MUTABLE, IMMUTABLE'),
    ({"ecrKeepLastImages": 1},
     "lambdakit:ecrKeepLastImages = 1: must be 2 or more (one image to run, one to roll back to)"),
    ({"ecrExpireUntaggedDays": 0}, "lambdakit:ecrExpireUntaggedDays = 0: must be 1 or more"),
    ({"ecrForceDelete": "maybe"}, 'lambdakit:ecrForceDelete = "maybe": must be true or false'),
    ({"environment": ["AWS_REGION=us-east-1"]},
     'lambdakit:environment = ["AWS_REGION=us-east-1"]: AWS_REGION is reserved by Lambda or set by this program'),
    ({"environment": ["DB_PASSWORD=hunter2"]},
     'lambdakit:environment = ["DB_PASSWORD=hunter2"]: DB_PASSWORD looks like a secret; '
     "keep secrets in Secrets Manager or SSM, not in plain text"),
    ({"alarmEmail": "oncall@"}, 'lambdakit:alarmEmail = "oncall@": must be an e-mail address or empty '
                                 "(There must be something after the @-sign.)"),
    ({"alarmInitDurationMs": 20000}, "lambdakit:alarmInitDurationMs = 20000: must be 100..10000 ms"),
    ({"alarmErrorPercent": 0}, "lambdakit:alarmErrorPercent = 0: must be 1..100 %"),
    ({"alarmThrottles": -1}, "lambdakit:alarmThrottles = -1: must be 0 or more"),
    ({"logFormat": "XML"}, 'lambdakit:logFormat = "XML": must be one of JSON, Text'),
    ({"scanFailOnSeverities": ["CRITICAL", "SEVERE"]},
     'lambdakit:scanFailOnSeverities = ["CRITICAL", "SEVERE"]: \'SEVERE\' is not a severity ECR reports; allowed: '
     "CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED, UNTRIAGED"),
    ({"scanFailOnFixableSeverities": "HIGH"}, 'lambdakit:scanFailOnFixableSeverities = "HIGH": must be a list'),
    ({"scanMaxWaitMinutes": 1441},
     "lambdakit:scanMaxWaitMinutes = 1441: must be 1..1440 minutes (CodePipeline ends a Lambda action after 24 hours)"),
    ({"ecrEnhancedScanning": "ON"},
     'lambdakit:ecrEnhancedScanning = "ON": must be one of OFF, SCAN_ON_PUSH, CONTINUOUS_SCAN'),
    ({"imageDigests": ["api=sha256:abc"]}, 'lambdakit:imageDigests = ["api=sha256:abc"]: entry \'api=sha256:abc\' '
                                           "must be NAME=sha256: and 64 lower-case hex digits"),
    ({"imageDigests": "api=latest"}, 'lambdakit:imageDigests = "api=latest": must be a list of NAME=sha256:… entries, '
                                     'as YAML or JSON: ["NAME=sha256:…"]'),
    ({"pipelineRepository": "lambdakit"}, 'lambdakit:pipelineRepository = "lambdakit": must be owner/name of the '
                                          "source repository, or empty for no pipeline"),
    ({"pipelineRepository": "https://github.com/o/r"},
     'lambdakit:pipelineRepository = "https://github.com/o/r": must be owner/name of the source repository, or empty '
     "for no pipeline"),
    ({"pipelineBranch": "feature..x"}, 'lambdakit:pipelineBranch = "feature..x": must be a git branch name'),
    ({"pipelineBranch": "-main"}, 'lambdakit:pipelineBranch = "-main": must be a git branch name'),
    ({"pipelineBranch": "release/"}, 'lambdakit:pipelineBranch = "release/": must be a git branch name'),
    ({"pipelineProvider": "CodeCommit"},
     'lambdakit:pipelineProvider = "CodeCommit": must be one of GitHub, GitLab, Bitbucket'),
    ({"pipelineRepository": "o/r", "pipelineConnectionArn": "arn:aws:codecommit:eu-west-1:123456789012:repo"},
     'lambdakit:pipelineConnectionArn = "arn:aws:codecommit:eu-west-1:123456789012:repo": must be a CodeConnections '
     "connection ARN, or empty for one the stack creates"),
    ({"pipelineConnectionArn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c-4b5a"},
     'lambdakit:pipelineConnectionArn = "arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c-4b5a": '
     "names a connection for a pipeline, but lambdakit:pipelineRepository is empty"),
    ({"pipelineCanaryPercent": 100},
     "lambdakit:pipelineCanaryPercent = 100: must be 1..99 % (the rest follows after pipelineCanaryMinutes)"),
    ({"pipelineCanaryMinutes": 0}, "lambdakit:pipelineCanaryMinutes = 0: must be 1..120 minutes"),
    ({"pipelineArtifactDays": 0}, "lambdakit:pipelineArtifactDays = 0: must be 1..365 days"),
    # A canary shorter than its rollback alarms' evidence would hand a failing version all the traffic.
    ({"pipelineRepository": "o/r", "pipelineCanaryMinutes": 6},
     "lambdakit:pipelineCanaryMinutes = 6: must be at least 7 minutes: the rollback alarms need that long (their "
     "periods of evidence, CloudWatch's delay, one evaluation, a margin for late metrics) to stop a failing version "
     "before it takes all the traffic"),
    ({"extraTags": ["stack=other"]},
     'lambdakit:extraTags = ["stack=other"]: stack is reserved by AWS or set by this program (project, stack, app, '
     "managed-by)"),
    ({"extraTags": ["aws:owner=me"]},
     'lambdakit:extraTags = ["aws:owner=me"]: aws:owner is reserved by AWS or set by this program (project, stack, '
     "app, managed-by)"),
    ({"extraTags": ["owner"]},
     "lambdakit:extraTags = [\"owner\"]: entry 'owner' must be KEY=value, a key of 1..128 and a value of 0..256 "
     "letters, digits, spaces or _.:/=+-@"),
    # The cost estimate's usage (bounds from policies/cost/usage.py) and the stack's budget.
    ({"usageRequestsPerMonth": -1}, "lambdakit:usageRequestsPerMonth = -1: must be 0..1000000000000"),
    ({"usageRequestsPerMonth": 1.5}, "lambdakit:usageRequestsPerMonth = 1.5: must be a whole number"),
    ({"usageAverageDurationMs": 0}, "lambdakit:usageAverageDurationMs = 0: must be 1..900000"),
    ({"timeoutSeconds": 15, "usageAverageDurationMs": 15001},
     "lambdakit:usageAverageDurationMs = 15001: must be at most the function's timeout, timeoutSeconds (15 s = 15000 ms)"),
    ({"usageBuildMinutesPerRun": 0}, "lambdakit:usageBuildMinutesPerRun = 0: must be 1..2160"),
    ({"usageFreeTier": "yes"}, 'lambdakit:usageFreeTier = "yes": must be true or false'),
    ({"budgetMonthlyUsd": -10}, "lambdakit:budgetMonthlyUsd = -10: must be 0..1000000000 USD (0 for no budget)"),
    ({"budgetForecastPercent": 0}, "lambdakit:budgetForecastPercent = 0: must be 1..1000 % of the budget"),
    ({"environment": "FOO=bar"},
     'lambdakit:environment = "FOO=bar": must be a list of NAME=value entries, as YAML or JSON: ["NAME=value"]'),
    ({"memoryMb": None}, "lambdakit:memoryMb = null: has no value: give one, or delete the line to take Pulumi.yaml's "
                         "default"),
    ({"environment": ["no-equals-sign"]},
     "lambdakit:environment = [\"no-equals-sign\"]: entry 'no-equals-sign' must be NAME=value "
     "with NAME made of letters, digits and _"),
]


@pytest.mark.parametrize("overrides, message", INVALID_SETTINGS, ids=[str(o) for o, _ in INVALID_SETTINGS])
def test_a_bad_setting_stops_the_program_with_one_clear_message(stack_runner, overrides, message):
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", overrides)
    assert str(stopped.value) == f"invalid stack settings:\n  {message}"


@pytest.mark.parametrize("overrides, stack_name", [({"memoryMb": 64}, None), ({}, "Prod")],
                         ids=["a bad setting", "a stack name AWS refuses"])
def test_nothing_is_declared_when_a_setting_or_a_derived_name_is_wrong(monkeypatch, stack_runner, overrides,
                                                                        stack_name):
    import offline.engine

    recorded = []
    original = offline.engine.RecordingMonitor.RegisterResource
    monkeypatch.setattr(offline.engine.RecordingMonitor, "RegisterResource",
                        lambda self, request: recorded.append(request.type) or original(self, request))
    with pytest.raises(SettingsError):
        stack_runner("prod", overrides, stack_name=stack_name)
    assert recorded == []


def test_a_misspelt_key_is_refused_with_the_nearest_real_one(stack_runner):
    """`lambdakit:memorySize: 2048` would otherwise leave memoryMb at its default without a word."""
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", {"memorySize": 2048})
    assert "lambdakit:memorySize = \"2048\": no setting reads this key; did you mean lambdakit:memoryMb?" in str(
        stopped.value)
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", {"zzzUnrelated": "x"})
    assert "lambdakit:zzzUnrelated = \"x\": no setting reads this key; see Pulumi.yaml" in str(stopped.value)


def test_keys_of_other_namespaces_are_not_the_programs_to_judge(stack_runner):
    run = stack_runner("dev", {"aws:skipCredentialsValidation": "true", "other:anything": "1"})
    assert run.of_type("aws:lambda/function:Function")


def test_every_bad_key_is_named_in_the_one_error(stack_runner):
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", {"memoryMb": 64, "architecture": "mips"})
    lines = str(stopped.value).splitlines()
    assert sorted(lines[1:]) == ['  lambdakit:architecture = "mips": must be one of arm64, x86_64',
                                 "  lambdakit:memoryMb = 64: must be 128..10240 MB"]


def test_reserved_minus_one_leaves_provisioned_unbounded(stack_runner):
    run = stack_runner("dev", {"reservedConcurrency": -1, "provisionedConcurrency": 3})
    configs = run.of_type("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    assert {c.inputs["functionName"]: c.inputs["provisionedConcurrentExecutions"] for c in configs} == {
        "lambdakit-dev-api": 3, "lambdakit-dev-worker": 3}


def _name_rule(what: str, name: str, made_of: str, rule: str) -> str:
    return f'{what} = "{name}" ({made_of}): must be {rule}; rename the stack or the project'


_ECR = "2..256 characters, lower-case letters and digits, separated by . _ __ - (one or more) or /"
_LAMBDA = "1..64 characters, letters, digits, - and _"
_DASHED = "1..256 characters, letters, digits, - and _"


@pytest.mark.parametrize("stack_name, problems", [
    # valid for Pulumi; ECR refuses capitals, in each function's repository
    ("Staging", [_name_rule("ECR repository name", f"lambdakit-Staging-{f}", "project-stack-function", _ECR)
                 for f in ("api", "worker")]),
    # Pulumi accepts the dot; Lambda, SQS, SNS and CloudWatch's dashboards do not (EventBridge Scheduler does)
    ("eu.prod", [_name_rule("Lambda function name", "lambdakit-eu.prod-api", "project-stack-function", _LAMBDA),
                 _name_rule("Lambda function name", "lambdakit-eu.prod-worker", "project-stack-function", _LAMBDA),
                 _name_rule("SQS queue name", "lambdakit-eu.prod-worker-dlq", "project-stack-function-dlq",
                            "1..80 characters, letters, digits, - and _ (a FIFO queue's ending in .fifo)"),
                 _name_rule("SNS topic name", "lambdakit-eu.prod-alarms", "project-stack-alarms", _DASHED),
                 _name_rule("CloudWatch dashboard name", "lambdakit-eu.prod", "project-stack",
                            "1..255 characters, letters, digits, - and _")]),
])
def test_a_stack_name_that_makes_a_name_aws_refuses_stops_the_program(stack_runner, stack_name, problems):
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", stack_name=stack_name)
    assert str(stopped.value).splitlines() == ["invalid names for AWS:", *(f"  {p}" for p in problems)]


def test_a_name_too_long_for_lambda_and_iam_is_named_for_both(stack_runner):
    stack_name = "s" * 60
    with pytest.raises(SettingsError) as stopped:
        stack_runner("dev", stack_name=stack_name)
    lines = str(stopped.value).splitlines()[1:]
    # Each function and its role; the worker's schedule, its role and its queue too.
    assert [line.split(" = ")[0].strip() for line in lines] == [
        "Lambda function name", "IAM role name", "Lambda function name", "IAM role name",
        "EventBridge Scheduler schedule name", "IAM role name", "SQS queue name"]
    assert all("must be 1..64 characters" in line for line in lines[:-1])


def test_a_pipeline_name_aws_refuses_is_named_before_anything_exists(stack_runner):
    """The pipeline's names come from the stack's prefix too: a connection name holds 32 characters, a bucket
    prefix 37 (the provider appends 26), a role 64."""
    with pytest.raises(SettingsError) as stopped:
        stack_runner("prod", stack_name="production-eu-central-1")
    lines = str(stopped.value).splitlines()[1:]
    assert [line.split(" = ")[0].strip() for line in lines] == ["CodeConnections connection name", "S3 bucket name"]
    assert lines[0].endswith('"lambdakit-production-eu-central-1" (project-stack): must be 1..32 characters, any text; '
                             "rename the stack or the project")
    assert "(project-stack-artifacts-<26 unique>): must be 3..63 characters" in lines[1]


def test_only_a_stack_with_a_pipeline_checks_the_pipelines_names(stack_runner):
    run = stack_runner("prod", {"pipelineRepository": ""}, stack_name="production-eu-central-1")
    assert run.of_type("aws:codepipeline/pipeline:Pipeline") == []
