"""What one execution of the pipeline comes to, and the rehearsal's clock for each stage."""

from dataclasses import dataclass, field

from offline.rehearsal.canary import CanaryOutcome

PIPELINE = "aws:codepipeline/pipeline:Pipeline"
PROJECT = "aws:codebuild/project:Project"
# How long each stage takes on the clock (minutes): the tests, then the images side by side. A basic scan on push
# completes a minute or two after the push.
TEST_MINUTES, IMAGE_MINUTES, SCAN_MINUTES, DEPLOY_MINUTES, GATE_RETRY_MINUTES = 4, 2, 2, 4, 1


class StageFailed(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(f"{stage}: {reason}")
        self.stage, self.reason = stage, reason


@dataclass
class Execution:
    status: str = "InProgress"  # Succeeded | Failed | Cancelled
    stage: str = ""  # where it ended
    reason: str = ""
    kind: str = "STANDARD"  # or ROLLBACK: the Deploy stage run again with an earlier execution's source and variables
    digests: dict[str, str] = field(default_factory=dict)  # function (folder) -> the digest the scan gate passed
    pushed: list[str] = field(default_factory=list)  # the functions whose image this run built and pushed
    versions: dict[str, str] = field(default_factory=dict)  # function name -> its version after `pulumi up`
    canaries: dict[str, CanaryOutcome] = field(default_factory=dict)  # function name -> its canary, when one ran
    unchanged: list[str] = field(default_factory=list)  # function names whose alias ran their version already
    notified: list[str] = field(default_factory=list)  # events the alarm topic received
    variables: dict[str, dict[str, str]] = field(default_factory=dict)  # namespace -> what its action exported
    definition: str = ""  # the pipeline's stages as the execution ran them (a rollback needs the same structure)
