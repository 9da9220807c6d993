"""What each part of the delivery pipeline may do, as IAM statements: the pipeline itself and its four
CodeBuild projects (test, build, deploy, release). Actions are named one by one (the pack refuses "*"), and every
Resource is one of this stack's resources, by ARN, by name prefix or by tag, except where the service has
no resource-level permission for an action (said beside each).

The deploy project runs `pulumi up`, so it may change every resource of the stack, and is the most
powerful thing here; what it may not do is change the pipeline's own roles (its own included): a change to
those is applied by a person, with their own credentials (README, "The delivery pipeline").
"""

from dataclasses import dataclass

from components.canary_release import DEPLOYMENT_GROUP, deployment_configs_of
from function_settings import dead_letter_queue_name
from settings import BUILD_STAGES

# The deploy role's managed policies, by concern (one inline policy could not hold them).
DEPLOY_CONCERNS = ("functions", "monitoring", "delivery", "schedules")
# The services the stack's roles are passed to: its functions, build projects, pipeline, releases, restart rule and
# schedules.
PASSED_TO = ("lambda", "codebuild", "codepipeline", "codedeploy", "events", "scheduler")


@dataclass(frozen=True)
class StackScope:
    """Where the stack lives and what its names start with: everything a statement's Resource is made of."""

    partition: str
    region: str
    account: str
    prefix: str  # <project>-<stack>: every name of the stack starts with it
    tags: dict[str, str]  # project and stack: the tags every taggable resource of the stack carries

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def role(self, name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"

    def tagged(self) -> dict:
        """The condition that a resource is this stack's, by its tags."""
        return {"StringEquals": {f"aws:ResourceTag/{key}": self.tags[key] for key in ("project", "stack")}}

    def tagging(self) -> dict:
        """The condition that a resource is created with this stack's tags."""
        return {"StringEquals": {f"aws:RequestTag/{key}": self.tags[key] for key in ("project", "stack")}}


@dataclass(frozen=True)
class Artifacts:
    bucket_arn: str
    key_arn: str


def connection_service(connection_arn: str) -> str:
    """codeconnections, or codestar-connections for older connections: IAM's prefix must be the ARN's."""
    return connection_arn.split(":")[2]


def _allow(sid: str, actions: list[str], resources, condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    return {**statement, "Condition": condition} if condition else statement


def _own_logs(scope: StackScope, project: str) -> dict:
    group = scope.arn("logs", f"log-group:/aws/codebuild/{project}")
    return _allow("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [group, f"{group}:*"])


def _read_artifacts(artifacts: Artifacts) -> list[dict]:
    return [_allow("ReadArtifacts", ["s3:GetObject", "s3:GetObjectVersion"], f"{artifacts.bucket_arn}/*"),
            # What CodeBuild's own generated roles hold on the bucket, for the source download.
            _allow("ReadArtifactBucket", ["s3:GetBucketLocation", "s3:GetBucketAcl"], artifacts.bucket_arn),
            _allow("DecryptArtifacts", ["kms:Decrypt"], artifacts.key_arn)]


def pipeline_statements(scope: StackScope, artifacts: Artifacts, connection_arn: str, project_arns: list[str],
                        gate_arn: str) -> list[dict]:
    """The pipeline's role: the source through the connection, artifacts in and out, its builds and its gate."""
    return [
        _allow("UseTheConnection", [f"{connection_service(connection_arn)}:UseConnection"], connection_arn),
        # The connection's source action uploads its zip with an ACL: without PutObjectAcl the Source stage fails
        # with "Upload to S3 failed with the following error: Access Denied" (aws/aws-cdk#13557).
        _allow("WriteAndReadArtifacts", ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl",
                                         "s3:PutObjectVersionAcl"], f"{artifacts.bucket_arn}/*"),
        # As AWS's documented CodePipeline service-role policy holds: S3 checks the bucket's owner with it.
        _allow("ReadArtifactBucket", ["s3:GetBucketVersioning", "s3:GetBucketLocation", "s3:GetBucketAcl"],
               artifacts.bucket_arn),
        _allow("EncryptArtifacts", ["kms:Decrypt", "kms:GenerateDataKey"], artifacts.key_arn),
        _allow("RunTheBuilds", ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], project_arns),
        _allow("InvokeTheScanGate", ["lambda:InvokeFunction"], gate_arn),
        # CodePipeline's Lambda action looks the function up by name first; ListFunctions has no resource.
        _allow("FindTheScanGate", ["lambda:ListFunctions"], "*"),
    ]


def test_statements(scope: StackScope, artifacts: Artifacts, project: str) -> list[dict]:
    """The test project: read the source and write its log; it reaches nothing of the stack."""
    return [_own_logs(scope, project), *_read_artifacts(artifacts)]


def build_statements(scope: StackScope, artifacts: Artifacts, project: str) -> list[dict]:
    """The build project: read the source, push each function's image to that function's repository. By the stack's
    name prefix (as the boundary and the deploy role): a commit that adds a function changes no policy of the
    pipeline's own roles, which only a person may change."""
    return [
        _own_logs(scope, project),
        *_read_artifacts(artifacts),
        # A registry token is asked for the account, never for a repository: "*" is the only Resource it takes.
        _allow("LogInToEcr", ["ecr:GetAuthorizationToken"], "*"),
        _allow("PushTheImages", ["ecr:DescribeImages", *_ECR_PUSH, "ecr:GetDownloadUrlForLayer"],
               scope.arn("ecr", f"repository/{scope.prefix}-*")),
    ]


def release_statements(scope: StackScope, artifacts: Artifacts, project: str) -> list[dict]:
    """The release project: start a CodeDeploy deployment of a function's alias (one build per function), follow it,
    and stop it (rolling back) when it outlasts its wait. Every function's application is named after the function,
    its group `live`: by the stack's name prefix, so that a new function, like a new canary setting, changes no policy
    of the pipeline's."""
    p = scope.prefix
    return [
        _own_logs(scope, project),
        *_read_artifacts(artifacts),
        # IAM checks GetAlias against the function's own ARN, not the alias's.
        _allow("ReadTheAliases", ["lambda:GetAlias"], scope.arn("lambda", f"function:{p}-*")),
        _allow("StartTheReleases", ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
               scope.arn("codedeploy", f"deploymentgroup:{p}-*/{DEPLOYMENT_GROUP}")),
        _allow("ReadTheCanaries", ["codedeploy:GetDeploymentConfig"],
               scope.arn("codedeploy", "deploymentconfig:" + deployment_configs_of(f"{p}-*"))),
        # StopDeployment has no resource-level permission.
        _allow("StopAnOverdueRelease", ["codedeploy:StopDeployment"], "*"),
        _allow("RegisterTheRevisions", ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"],
               scope.arn("codedeploy", f"application:{p}-*")),
    ]


# Pushing an image: what `docker push` asks of ECR (the build's push, and a new function's first image, which
# `pulumi up` builds: the pipeline's Build stage has no action for a function before its first deploy).
_ECR_PUSH = ["ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
             "ecr:CompleteLayerUpload", "ecr:PutImage"]
# What `pulumi up` of the stack calls, per service, on the resources named with the stack's prefix.
_LAMBDA = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:GetFunction", "lambda:GetFunctionConfiguration",
           "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion",
           "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:PutFunctionConcurrency",
           "lambda:DeleteFunctionConcurrency", "lambda:GetRuntimeManagementConfig", "lambda:TagResource",
           "lambda:UntagResource", "lambda:ListTags", "lambda:CreateAlias", "lambda:GetAlias", "lambda:UpdateAlias",
           "lambda:DeleteAlias", "lambda:PutProvisionedConcurrencyConfig", "lambda:GetProvisionedConcurrencyConfig",
           "lambda:DeleteProvisionedConcurrencyConfig", "lambda:CreateFunctionUrlConfig",
           "lambda:GetFunctionUrlConfig", "lambda:UpdateFunctionUrlConfig", "lambda:DeleteFunctionUrlConfig",
           "lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy",
           # A scheduled function's retries and dead-letter destination, on its alias (the provider updates with Put).
           "lambda:PutFunctionEventInvokeConfig", "lambda:GetFunctionEventInvokeConfig",
           "lambda:DeleteFunctionEventInvokeConfig"]
_ECR = ["ecr:CreateRepository", "ecr:DeleteRepository", "ecr:DescribeRepositories", "ecr:PutImageScanningConfiguration",
        "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
        "ecr:SetRepositoryPolicy", "ecr:GetRepositoryPolicy", "ecr:DeleteRepositoryPolicy", "ecr:TagResource",
        "ecr:UntagResource", "ecr:ListTagsForResource", "ecr:DescribeImages", "ecr:DescribeImageScanFindings"]
_ROLES = ["iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:TagRole", "iam:UntagRole",
          "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
          "iam:GetRolePolicy"]
# What gives a role its permissions: allowed only on a role that carries the stack's boundary (IAM checks
# iam:PermissionsBoundary against the role's boundary, or the one CreateRole sets).
_ROLE_GRANTS = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
                "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"]
# A refresh reads the managed policies of the state (the deploy role's own, the boundary); none may change here.
_POLICY_READS = ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags"]
_POLICY_CHANGES = ["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
                   "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"]
# Changing a role's permissions: refused on the pipeline's own roles, whatever else allows it.
_ROLE_CHANGES = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy",
                 "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:TagRole",
                 "iam:UntagRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"]
# Registry-wide enhanced scanning: ECR enables Inspector with the caller's own permissions ("IAM permissions
# required for enhanced scanning", Amazon ECR User Guide). Held whether the stack scans so or not, so that switching
# it on through the pipeline changes no policy of the pipeline's.
_ENHANCED_SCANNING = ["ecr:PutRegistryScanningConfiguration", "ecr:GetRegistryScanningConfiguration",
                      "inspector2:Enable", "inspector2:Disable", "inspector2:ListAccountPermissions",
                      "inspector2:ListCoverage", "inspector2:ListFindings"]
_LOG_GROUPS = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
               "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource", "logs:PutMetricFilter",
               "logs:DeleteMetricFilter", "logs:DescribeMetricFilters"]
_ALARMS = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
           "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"]
_BUDGETS = ["budgets:ViewBudget", "budgets:ModifyBudget", "budgets:TagResource", "budgets:UntagResource",
            "budgets:ListTagsForResource"]
_TOPICS = ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:TagResource",
           "sns:UntagResource", "sns:ListTagsForResource", "sns:Subscribe", "sns:Unsubscribe",
           "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic"]
_KEYS = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
         "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
         "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion"]
_BUCKET = ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucketTagging", "s3:PutBucketTagging",
           "s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:GetEncryptionConfiguration",
           "s3:PutEncryptionConfiguration", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock",
           "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls", "s3:GetBucketPolicy",
           "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:GetLifecycleConfiguration",
           "s3:PutLifecycleConfiguration", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite",
           "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging",
           "s3:GetReplicationConfiguration", "s3:GetBucketObjectLockConfiguration"]
_DELIVERY = ["codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:DeleteProject",
             "codebuild:BatchGetProjects"]
_PIPELINE = ["codepipeline:CreatePipeline", "codepipeline:UpdatePipeline", "codepipeline:DeletePipeline",
             "codepipeline:GetPipeline", "codepipeline:TagResource", "codepipeline:UntagResource",
             "codepipeline:ListTagsForResource"]
_CODEDEPLOY = ["codedeploy:CreateApplication", "codedeploy:GetApplication", "codedeploy:DeleteApplication",
               "codedeploy:CreateDeploymentGroup", "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup",
               "codedeploy:DeleteDeploymentGroup", "codedeploy:CreateDeploymentConfig",
               "codedeploy:GetDeploymentConfig", "codedeploy:DeleteDeploymentConfig", "codedeploy:TagResource",
               "codedeploy:UntagResource", "codedeploy:ListTagsForResource"]
_NOTIFICATIONS = ["codestar-notifications:CreateNotificationRule", "codestar-notifications:UpdateNotificationRule",
                  "codestar-notifications:DeleteNotificationRule", "codestar-notifications:DescribeNotificationRule",
                  "codestar-notifications:TagResource", "codestar-notifications:UntagResource",
                  "codestar-notifications:ListTagsForResource"]
_EVENT_RULES = ["events:PutRule", "events:DescribeRule", "events:DeleteRule", "events:EnableRule",
                "events:DisableRule", "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule",
                "events:TagResource", "events:UntagResource", "events:ListTagsForResource"]
# A scheduled function's schedule (in the account's default group) and its dead-letter queue.
_SCHEDULES = ["scheduler:CreateSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule",
              "scheduler:DeleteSchedule"]
_QUEUES = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:TagQueue",
           "sqs:UntagQueue", "sqs:ListQueueTags"]
_SECRET = ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret",
           "secretsmanager:GetResourcePolicy", "secretsmanager:TagResource", "secretsmanager:UntagResource"]


@dataclass(frozen=True)
class DeployReach:
    """What the stack holds that the deploy role reaches by ARN rather than by prefix."""

    connection_arn: str
    token_secret_arn: str
    boundary_arn: str  # the boundary every role the deploy role creates or changes must carry


def deploy_statements(scope: StackScope, artifacts: Artifacts, project: str, reach: DeployReach) -> dict[str, list]:
    """The deploy project's permissions, as managed policies by concern (one inline policy could not hold them:
    IAM caps a role's inline policies at 10,240 characters together)."""
    p = scope.prefix
    pipeline_roles = [scope.role(f"{p}-{stage}") for stage in ("pipeline", *BUILD_STAGES)]
    # The boundary and the deploy role's own policies: what holds the pipeline's power in place.
    held_policies = [reach.boundary_arn, scope.arn("iam", f"policy/{project}-*", region=False)]
    functions = [
        _own_logs(scope, project),
        *_read_artifacts(artifacts),
        _allow("PulumiAccessToken", ["secretsmanager:GetSecretValue"], reach.token_secret_arn),
        _allow("Functions", _LAMBDA, scope.arn("lambda", f"function:{p}-*")),
        # The program asks which functions exist (to keep a live image); ListFunctions has no resource.
        _allow("ListFunctions", ["lambda:ListFunctions"], "*"),
        _allow("Repositories", _ECR, scope.arn("ecr", f"repository/{p}-*")),
        # A function's first deploy builds and pushes its image in `up` (the pack still judges its scan).
        _allow("FirstImages", _ECR_PUSH, scope.arn("ecr", f"repository/{p}-*")),
        _allow("LogInToEcr", ["ecr:GetAuthorizationToken"], "*"),
        _allow("Roles", _ROLES, scope.role(f"{p}-*")),
        _allow("RolesWithinTheBoundary", _ROLE_GRANTS, scope.role(f"{p}-*"),
               {"StringEquals": {"iam:PermissionsBoundary": reach.boundary_arn}}),
        _allow("ReadPolicies", _POLICY_READS, scope.arn("iam", f"policy/{p}-*", region=False)),
        _allow("PassRoles", ["iam:PassRole"], scope.role(f"{p}-*"),
               {"StringEquals": {"iam:PassedToService": [f"{s}.amazonaws.com" for s in PASSED_TO]}}),
        {"Sid": "NotThePipelinesRoles", "Effect": "Deny", "Action": _ROLE_CHANGES, "Resource": pipeline_roles},
        # A role keeps its boundary, and who may use a role is a person's change.
        {"Sid": "TheBoundaryStays", "Effect": "Deny",
         "Action": ["iam:DeleteRolePermissionsBoundary", "iam:UpdateAssumeRolePolicy"], "Resource": "*"},
        {"Sid": "NotThePipelinesPolicies", "Effect": "Deny", "Action": _POLICY_CHANGES, "Resource": held_policies},
        # The registry's configuration is one per account and Region, and Inspector's calls have no
        # resource-level permissions.
        _allow("RegistryScanning", _ENHANCED_SCANNING, "*"),
        _allow("InspectorsServiceLinkedRole", ["iam:CreateServiceLinkedRole"],
               scope.arn("iam", "role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2",
                         region=False),
               {"StringEquals": {"iam:AWSServiceName": "inspector2.amazonaws.com"}}),
    ]
    groups = [scope.arn("logs", f"log-group:/aws/{service}/{p}-*") for service in ("lambda", "codebuild")]
    monitoring = [
        _allow("LogGroups", _LOG_GROUPS, groups),
        # Describe and query-definition calls have no resource-level permissions.
        _allow("ReadLogGroups", ["logs:DescribeLogGroups", "logs:DescribeQueryDefinitions", "logs:PutQueryDefinition",
                                 "logs:DeleteQueryDefinition"], "*"),
        _allow("Alarms", _ALARMS, scope.arn("cloudwatch", f"alarm:{p}-*")),
        _allow("Dashboard", ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
               scope.arn("cloudwatch", f"dashboard/{p}", region=False)),
        _allow("Topics", _TOPICS, scope.arn("sns", f"{p}-*")),
        # Budgets is global: a budget's ARN has no Region.
        _allow("Budget", _BUDGETS, scope.arn("budgets", f"budget/{p}-*", region=False)),
        _allow("Keys", _KEYS, scope.arn("kms", "key/*"), scope.tagged()),
        _allow("CreateKeys", ["kms:CreateKey"], "*", scope.tagging()),
        # An alias call is checked against the alias and against its key: each by what it can be known by.
        _allow("KeyAliases", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], scope.arn("kms", f"alias/{p}-*")),
        _allow("KeysOfAliases", ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"], scope.arn("kms", "key/*"),
               scope.tagged()),
        _allow("ListAliases", ["kms:ListAliases"], "*"),
    ]
    delivery = [
        _allow("ArtifactBucket", _BUCKET, f"arn:{scope.partition}:s3:::{p}-artifacts-*"),
        _allow("BuildProjects", _DELIVERY, scope.arn("codebuild", f"project/{p}-*")),
        _allow("Pipeline", _PIPELINE, scope.arn("codepipeline", p)),
        _allow("Releases", _CODEDEPLOY, [scope.arn("codedeploy", f"application:{p}-*"),
                                         scope.arn("codedeploy", f"deploymentgroup:{p}-*/*"),
                                         scope.arn("codedeploy", f"deploymentconfig:{p}-*")]),
        _allow("Notifications", _NOTIFICATIONS, scope.arn("codestar-notifications", "notificationrule/*"),
               scope.tagged()),
        _allow("CreateNotifications", ["codestar-notifications:CreateNotificationRule",
                                       "codestar-notifications:TagResource"],
               scope.arn("codestar-notifications", "notificationrule/*"), scope.tagging()),
        _allow("Connection", [f"{connection_service(reach.connection_arn)}:{action}" for action in
                              ("GetConnection", "PassConnection", "ListTagsForResource", "TagResource")],
               reach.connection_arn),
        _allow("TokenSecret", _SECRET, reach.token_secret_arn),
        _allow("RestartRule", _EVENT_RULES, scope.arn("events", f"rule/{p}-*")),
    ]
    schedules = [
        _allow("Schedules", _SCHEDULES, scope.arn("scheduler", f"schedule/default/{p}-*")),
        _allow("DeadLetterQueues", _QUEUES, scope.arn("sqs", dead_letter_queue_name(f"{p}-*"))),
    ]
    return {"functions": functions, "monitoring": monitoring, "delivery": delivery, "schedules": schedules}
