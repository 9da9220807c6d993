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

