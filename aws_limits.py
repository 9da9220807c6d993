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
