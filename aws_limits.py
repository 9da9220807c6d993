"""What AWS accepts, as its API references document it: one place for the stack settings (which
refuse a bad value before any resource exists) and the simulated cloud (which refuses what AWS
would refuse, so a test fails when the program asks for it).
"""

import re
from dataclasses import dataclass

# CloudWatch Logs PutRetentionPolicy: the only retention periods it accepts.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)

# Lambda CreateFunction: MemorySize, Timeout, EphemeralStorage.Size (for functions on Lambda's own
# infrastructure; Lambda Managed Instances allow more, and this project does not use them).
LAMBDA_MEMORY_MB = (128, 10240)
LAMBDA_TIMEOUT_SECONDS = (1, 900)
LAMBDA_EPHEMERAL_STORAGE_MB = (512, 10240)
LAMBDA_ARCHITECTURES = ("arm64", "x86_64")
# Lambda's Python runtimes that still accept new functions and updates, all on arm64 and x86_64
# (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html; python3.9 is blocked since early 2026).
LAMBDA_PYTHON_RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
# A .zip uploaded with CreateFunction/UpdateFunctionCode, and the code unzipped (layers included).
LAMBDA_ZIP_MAX_BYTES = 50 * 1024 * 1024
LAMBDA_UNZIPPED_MAX_BYTES = 250 * 1024 * 1024


@dataclass(frozen=True)
class NameRule:
    """A name's pattern and length, and the sentence that tells a person what is allowed."""

    what: str
    pattern: re.Pattern
    shortest: int
    longest: int
    allowed: str

    def problem(self, name: str) -> str | None:
        """None when AWS accepts `name`, else what it requires."""
        if self.shortest <= len(name) <= self.longest and self.pattern.fullmatch(name):
            return None
        return f"must be {self.shortest}..{self.longest} characters, {self.allowed}"


# ECR CreateRepository, repositoryName.
ECR_REPOSITORY_NAME = NameRule(
    "ECR repository name",
    re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"), 2, 256,
    "lower-case letters and digits, separated by . _ __ - (one or more) or /")
# Lambda CreateFunction, FunctionName (the bare name; ARNs are another form of the same field).
LAMBDA_FUNCTION_NAME = NameRule(
    "Lambda function name", re.compile(r"[a-zA-Z0-9_-]+"), 1, 64, "letters, digits, - and _")
# Lambda CreateAlias, Name: a name made only of digits would read as a version.
LAMBDA_ALIAS_NAME = NameRule(
    "Lambda alias name", re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9_-]+"), 1, 128, "letters, digits, - and _, not only digits")
# IAM CreateRole, RoleName.
IAM_ROLE_NAME = NameRule("IAM role name", re.compile(r"[\w+=,.@-]+", re.ASCII), 1, 64,
                         "ASCII letters, digits and + = , . @ _ -")
# CloudWatch Logs CreateLogGroup, logGroupName.
LOG_GROUP_NAME = NameRule("log group name", re.compile(r"(?!aws/)[.\-_/#A-Za-z0-9]+"), 1, 512,
                          "letters, digits and . - _ / #, not starting with aws/")

# Lambda function URL CORS (CreateFunctionUrlConfig, Cors): counts and lengths from the API reference;
# the method names from CloudFormation's AWS::Lambda::Url Cors (the API allows any 6 characters).
URL_CORS_METHODS = frozenset({"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "*"})
URL_CORS_MAX_ITEMS = 100
URL_CORS_MAX_ORIGIN_LENGTH = 253
URL_CORS_MAX_HEADER_LENGTH = 1024
URL_CORS_MAX_AGE_SECONDS = 86400


# SNS CreateTopic, Name (standard topics; only FIFO topics end in .fifo).
SNS_TOPIC_NAME = NameRule("SNS topic name", re.compile(r"[A-Za-z0-9_-]+"), 1, 256, "letters, digits, - and _")
# AWS Budgets CreateBudget (botocore's budgets model and its text): BudgetName; "a budget can have up to five
# notifications, and each notification can have one SNS subscriber and up to 10 email subscribers" (the
# list's schema allows 10: the documented five is the service's); thresholds; the limit's amount (text).
BUDGET_NAME = NameRule("AWS budget name", re.compile(r"(?!.*/action/)[^:\\]+"), 1, 100,
                       "no : or \\ and no /action/")
BUDGET_MAX_NOTIFICATIONS = 5
BUDGET_MAX_EMAIL_SUBSCRIBERS = 10
BUDGET_MAX_SNS_SUBSCRIBERS = 1
BUDGET_THRESHOLD = (0, 15_000_000_000_000)
BUDGET_AMOUNT = re.compile(r"([0-9]*\.)?[0-9]+")
# CloudWatch PutDashboard, DashboardName.
DASHBOARD_NAME = NameRule("CloudWatch dashboard name", re.compile(r"[A-Za-z0-9_-]+"), 1, 255, "letters, digits, - and _")
# CloudWatch PutMetricAlarm, AlarmName: any UTF-8 but ASCII control characters.
ALARM_NAME = NameRule("CloudWatch alarm name", re.compile(r"[^\x00-\x1f\x7f]+"), 1, 255, "no control characters")
# CloudWatch Logs PutMetricFilter: filterName; metricName and metricNamespace (no minimum in the model,
# but an empty one names nothing).
METRIC_FILTER_NAME = NameRule("metric filter name", re.compile(r"[^:*]+"), 1, 512, "no : or *")
METRIC_NAME = NameRule("metric name", re.compile(r"[^:*$]+"), 1, 255, "no : * or $")
METRIC_NAMESPACE = NameRule("metric namespace", re.compile(r"(?!AWS/)[^:*$]+"), 1, 255,
                            "no : * or $, not starting with AWS/ (kept for AWS's own)")
# CloudWatch Logs PutQueryDefinition, name.
QUERY_DEFINITION_NAME = NameRule("query definition name", re.compile(r".+", re.DOTALL), 1, 255, "any text")

# CloudWatch PutMetricAlarm.
ALARM_PERIODS_SHORT = (10, 20, 30)  # high resolution; otherwise any multiple of 60
ALARM_MAX_ACTIONS = 5
ALARM_MAX_DESCRIPTION = 1024
ALARM_MAX_DIMENSIONS = 30
ALARM_MAX_METRIC_QUERIES = 20
ALARM_MAX_METRICS_IN_MATH = 10
ALARM_COMPARISONS = ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                     "LessThanOrEqualToThreshold")
ALARM_BAND_COMPARISONS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold",
                          "GreaterThanUpperThreshold")  # anomaly detection only (ThresholdMetricId)
ALARM_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
ALARM_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
ALARM_QUERY_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")
# ExtendedStatistic: percentiles with up to two decimals, and the trimmed/winsorized forms.
EXTENDED_STATISTIC = re.compile(r"(p|tm|tc|ts|wm)(\d{1,2}(\.\d{1,2})?|100)|IQM|(PR|TM|TC|TS|WM)\([^)]*\)")
# Dashboards: widget grid and counts (Dashboard Body Structure and Syntax).
DASHBOARD_COLUMNS = 24
DASHBOARD_MAX_WIDGETS = 500
DASHBOARD_WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer")
# CloudWatch Logs.
METRIC_FILTER_MAX_PATTERN = 1024
METRIC_FILTER_MAX_DIMENSIONS = 3
METRIC_FILTERS_PER_LOG_GROUP = 100
QUERY_MAX_LENGTH = 10000
STANDARD_UNITS = frozenset((
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits",
    "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second",
    "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None"))
# KMS CreateAlias: AWS keeps alias/aws/ for its own keys.
KMS_ALIAS_NAME = NameRule("KMS alias name", re.compile(r"alias/(?!aws/)[a-zA-Z0-9:/_-]+"), 7, 256,
                          "alias/ then letters, digits and : / _ -, not alias/aws/")

# ECR PutRegistryScanningConfiguration: at most two rules, each with up to 100 WILDCARD filters; BASIC
# scans on push only, ENHANCED on push or continuously (the Terraform schema allows more; ECR refuses).
ECR_SCAN_TYPES = {"BASIC": ("SCAN_ON_PUSH",), "ENHANCED": ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")}
ECR_SCAN_MAX_RULES = 2
ECR_SCAN_MAX_FILTERS = 100
ECR_SCAN_FILTER = NameRule("ECR scanning filter", re.compile(r"[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*"), 1, 255,
                           "lower-case letters, digits, ., _, -, / and the wildcard *")

# Delivery services (botocore's models: codepipeline 2015-07-09, codebuild 2016-10-06, codeconnections
# 2023-12-01, codedeploy 2014-10-06, codestar-notifications 2019-10-15; S3's bucket naming rules).
PIPELINE_NAME = NameRule("CodePipeline pipeline name", re.compile(r"[A-Za-z0-9.@\-_]+"), 1, 100,
                         "letters, digits and . @ - _")
PIPELINE_STAGE_OR_ACTION_NAME = NameRule("CodePipeline stage or action name", re.compile(r"[A-Za-z0-9.@\-_]+"), 1,
                                         100, "letters, digits and . @ - _")
PIPELINE_NAMESPACE = NameRule("CodePipeline action namespace", re.compile(r"[A-Za-z0-9@\-_]+"), 1, 100,
                              "letters, digits and @ - _")
PIPELINE_ARTIFACT_NAME = NameRule("CodePipeline artifact name", re.compile(r"[a-zA-Z0-9_\-]+"), 1, 100,
                                  "letters, digits, _ and -")
# A V2 trigger's push filters: up to 3 per trigger, each with up to 8 branch and 8 file-path patterns.
PIPELINE_MAX_PUSH_FILTERS = 3
PIPELINE_MAX_PATTERNS = 8
PIPELINE_MAX_PATTERN_LENGTH = 255
PIPELINE_EXECUTION_MODES = ("QUEUED", "SUPERSEDED", "PARALLEL")
# EventBridge PutRule, Name.
EVENT_RULE_NAME = NameRule("EventBridge rule name", re.compile(r"[\.\-_A-Za-z0-9]+"), 1, 64,
                           "letters, digits, . - and _")
CODEBUILD_PROJECT_NAME = NameRule("CodeBuild project name", re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_]{1,149}"), 2, 150,
                                  "a letter or digit, then letters, digits, - and _")
CODEBUILD_TIMEOUT_MINUTES = (5, 2160)
CODEBUILD_QUEUED_TIMEOUT_MINUTES = (5, 480)
CODEBUILD_CACHE_MODES = ("LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE", "LOCAL_CUSTOM_CACHE")
CODEBUILD_VARIABLE_TYPES = ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER")
CONNECTION_NAME = NameRule("CodeConnections connection name", re.compile(r".+", re.DOTALL), 1, 32, "any text")
CONNECTION_PROVIDERS = ("GitHub", "GitLab", "Bitbucket")  # the hosted ones; self-managed need a host
CODEDEPLOY_NAME = NameRule("CodeDeploy name", re.compile(r"[A-Za-z0-9+=,.@_-]+"), 1, 100,
                           "letters, digits and + = , . @ _ -")
CODEDEPLOY_MAX_ALARMS = 10
CODEDEPLOY_ROLLBACK_EVENTS = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")
NOTIFICATION_RULE_NAME = NameRule("notification rule name", re.compile(r"[A-Za-z0-9\-_ ]+"), 1, 64,
                                  "letters, digits, spaces, - and _")
NOTIFICATION_MAX_TARGETS = 10
SECRET_NAME = NameRule("Secrets Manager secret name", re.compile(r"[A-Za-z0-9/_+=.@-]+"), 1, 512,
                       "letters, digits and / _ + = . @ -")
# S3 general purpose buckets: 3..63 lower-case letters, digits, dots and hyphens, starting and ending with a
# letter or digit. (The AWS provider's bucket_prefix appends 26 characters, so a prefix has at most 37.)
S3_BUCKET_NAME = NameRule("S3 bucket name", re.compile(r"(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]*[a-z0-9]"
                                                       r"(?<!-s3alias)(?<!--ol-s3)(?<!\.mrap)(?<!--x-s3)"), 3, 63,
                          "lower-case letters, digits, . and -, starting and ending with a letter or digit")
# The AWS provider's bucket_prefix, name_prefix: id.PrefixedUniqueId appends 26 characters (terraform-plugin-sdk).
UNIQUE_ID_SUFFIX_LENGTH = 26
S3_BUCKET_PREFIX_MAX = 63 - UNIQUE_ID_SUFFIX_LENGTH
# S3 bucket settings (S3 API reference: PutBucketEncryption, PutBucketOwnershipControls, PutBucketVersioning,
# PutBucketLifecycleConfiguration). "Disabled" versioning is the provider's, for a bucket never versioned.
S3_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
S3_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
S3_OBJECT_OWNERSHIPS = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")
S3_VERSIONING_STATUSES = ("Enabled", "Suspended", "Disabled")
S3_LIFECYCLE_STATUSES = ("Enabled", "Disabled")
S3_LIFECYCLE_MAX_ID = 255
# Secrets Manager DeleteSecret's RecoveryWindowInDays; the provider's 0 means "delete without recovery".
SECRET_RECOVERY_DAYS = (7, 30)
# IAM (IAM and AWS STS quotas): whitespace is not counted in a policy's size.
IAM_POLICY_NAME = NameRule("IAM policy name", re.compile(r"[\w+=,.@-]+", re.ASCII), 1, 128,
                           "ASCII letters, digits and + = , . @ _ -")
IAM_MANAGED_POLICY_MAX_CHARS = 6144
IAM_ROLE_INLINE_POLICIES_MAX_CHARS = 10240  # all of a role's inline policies together
IAM_MANAGED_POLICIES_PER_ROLE = 10
# CodeBuild: the compute types each environment type runs on (build-env-ref-compute-types.html); environment
# types not listed here are not checked.
CODEBUILD_GENERAL_COMPUTE = ("BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
                             "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE")
CODEBUILD_LAMBDA_COMPUTE = ("BUILD_LAMBDA_1GB", "BUILD_LAMBDA_2GB", "BUILD_LAMBDA_4GB", "BUILD_LAMBDA_8GB",
                            "BUILD_LAMBDA_10GB")
CODEBUILD_COMPUTE_TYPES = {"LINUX_CONTAINER": CODEBUILD_GENERAL_COMPUTE, "ARM_CONTAINER": CODEBUILD_GENERAL_COMPUTE,
                           "LINUX_LAMBDA_CONTAINER": CODEBUILD_LAMBDA_COMPUTE,
                           "ARM_LAMBDA_CONTAINER": CODEBUILD_LAMBDA_COMPUTE}
CODEBUILD_CACHE_TYPES = ("NO_CACHE", "S3", "LOCAL")
# CodePipeline.
PIPELINE_TYPES = ("V1", "V2")
PIPELINE_MIN_STAGES = 2
# "Quotas in AWS CodePipeline": actions in one stage (also the most that run in parallel there), and in a pipeline.
PIPELINE_MAX_ACTIONS_PER_STAGE = 50
PIPELINE_MAX_ACTIONS = 500
PIPELINE_CONFIGURATION_VALUE_LENGTH = (1, 1000)
PIPELINE_RESERVED_NAMESPACES = ("codepipeline", "variables")  # execution and (V2) pipeline-level variables
# The action types this project uses: (category, provider) -> required configuration keys, and how many input
# and output artifacts the action takes (CodePipeline user guide, "Valid input and output artifacts for each
# action type", and each action's reference page).
PIPELINE_ACTION_TYPES = {
    ("Source", "CodeStarSourceConnection"): (("ConnectionArn", "FullRepositoryId", "BranchName"), (0, 0), (1, 1)),
    ("Build", "CodeBuild"): (("ProjectName",), (1, 5), (0, 5)),
    ("Test", "CodeBuild"): (("ProjectName",), (1, 5), (0, 5)),
    ("Invoke", "Lambda"): (("FunctionName",), (0, 5), (0, 5)),
}
# CodeDeploy.
CODEDEPLOY_COMPUTE_PLATFORMS = ("Server", "Lambda", "ECS")
CODEDEPLOY_TRAFFIC_TYPES = ("TimeBasedCanary", "TimeBasedLinear", "AllAtOnce")
CODEDEPLOY_SHIFT_PERCENT = (1, 99)
CODEDEPLOY_SHIFT_INTERVAL_MINUTES = (1, 2880)  # at most 2 days between the first and the last shift
CODEDEPLOY_SERVER_DEFAULTS = ("CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime",
                              "CodeDeployDefault.AllAtOnce")
# CodeStar Notifications: event type ids by the service of the rule's resource (dtconsole "Events for
# notification rules").
NOTIFICATION_DETAIL_TYPES = ("BASIC", "FULL")
NOTIFICATION_TARGET_TYPES = ("SNS", "AWSChatbotSlack", "AWSChatbotMicrosoftTeams")
NOTIFICATION_EVENT_PREFIXES = {"codepipeline": "codepipeline-pipeline-", "codedeploy": "codedeploy-application-",
                               "codebuild": "codebuild-project-", "codecommit": "codecommit-repository-"}

# EventBridge Scheduler CreateSchedule (botocore's scheduler 2021-06-30 model): Name and GroupName 1..64 of
# [0-9a-zA-Z-_.]; RetryPolicy.MaximumRetryAttempts 0..185 and MaximumEventAgeInSeconds 60..86400;
# FlexibleTimeWindow.MaximumWindowInMinutes 1..1440. ScheduleExpression (1..256) and ScheduleExpressionTimezone
# (1..50) are policies/cost/schedule.py's (the policy pack loads it too).
SCHEDULE_NAME = NameRule("EventBridge Scheduler schedule name", re.compile(r"[0-9a-zA-Z_.-]+"), 1, 64,
                         "letters, digits and - _ .")
SCHEDULE_RETRY_ATTEMPTS = (0, 185)
SCHEDULE_MAX_EVENT_AGE_SECONDS = (60, 86400)
SCHEDULE_FLEXIBLE_WINDOW_MINUTES = (1, 1440)
SCHEDULE_WINDOW_MODES = ("OFF", "FLEXIBLE")
SCHEDULE_STATES = ("ENABLED", "DISABLED")
SCHEDULE_ACTIONS_AFTER_COMPLETION = ("NONE", "DELETE")
# The Schedule's DeadLetterConfig.Arn (a standard queue: Scheduler does not deliver to FIFO queues) and its
# Target.RoleArn, as the model's patterns give them.
SCHEDULE_DLQ_ARN = re.compile(r"arn:aws[a-z-]*:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+")
SCHEDULE_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# Lambda PutFunctionEventInvokeConfig: MaximumRetryAttempts 0..2, MaximumEventAgeInSeconds 60..21600 (6 hours).
LAMBDA_ASYNC_RETRY_ATTEMPTS = (0, 2)
LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS = (60, 21600)
# The services an asynchronous invocation's on-failure destination may be (Lambda developer guide,
# "Capturing records of Lambda asynchronous invocations"): SQS, SNS, Lambda, EventBridge and S3.
LAMBDA_FAILURE_DESTINATION_SERVICES = ("sqs", "sns", "lambda", "events", "s3")
# SQS CreateQueue: QueueName 1..80 of [A-Za-z0-9_-] (a FIFO queue's ends in .fifo); the attributes' ranges from the
# API reference's Attributes list (MaximumMessageSize up to 1 MiB since 2025).
SQS_QUEUE_NAME = NameRule("SQS queue name", re.compile(r"[A-Za-z0-9_-]+(\.fifo)?"), 1, 80,
                          "letters, digits, - and _ (a FIFO queue's ending in .fifo)")
SQS_RETENTION_SECONDS = (60, 1_209_600)  # 1 minute .. 14 days
SQS_VISIBILITY_TIMEOUT_SECONDS = (0, 43_200)
SQS_DELAY_SECONDS = (0, 900)
SQS_MAX_MESSAGE_BYTES = (1024, 1_048_576)
SQS_RECEIVE_WAIT_SECONDS = (0, 20)
