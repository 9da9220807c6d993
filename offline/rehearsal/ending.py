"""What the stack does when an execution ends otherwise than Succeeded: CodeStar Notifications tells the alarm topic
(the stack's notification rule), and EventBridge starts a cancelled execution again (the stack's restart rule).

`run` is the execution's PipelineRun (delivery.py)."""

from typing import Optional

from aws_account.authority import Principal

FAILED = "codepipeline-pipeline-pipeline-execution-failed"
CANCELED = "codepipeline-pipeline-pipeline-execution-canceled"
# CodePipeline's words for an execution its own Deploy redefined.
REDEFINED = "the pipeline's definition was updated before the pipeline execution could be completed"


def notify(run, event: str) -> None:
    """The notification rule, if it covers `event`, publishes to the alarm topic as CodeStar Notifications."""
    rules = [r.outputs for r in run.cloud._resources_of("aws:codestarnotifications/notificationRule:NotificationRule")
             if event in r.outputs["eventTypeIds"]]
    for rule in rules:
        topic = rule["targets"][0]["address"]
        service = run.authority.service("codestar-notifications")
        context = {"aws:SourceAccount": run.cloud.account_id, "aws:SourceArn": rule["arn"]}
        key = run.state("aws:sns/topic:Topic", arn=topic)["kmsMasterKeyId"]
        through_sns = {"kms:ViaService": f"sns.{run.cloud.region}.amazonaws.com"}
        verdicts = [run.timeline.call("Notify", run.authority.decide(service, "sns:Publish", topic, context))]
        verdicts += [run.timeline.call("Notify", run.authority.decide(service, action, key, through_sns))
                     for action in ("kms:GenerateDataKey", "kms:Decrypt")]
        if all(v.allowed for v in verdicts):  # a refused delivery is lost, as SNS loses it
            run.execution.notified.append(event)
            run.timeline.event("Notify", "codestar-notifications", f"{event} published to the alarm topic")


def failed(run, reason: str) -> None:
    execution = run.execution
    execution.status, execution.reason = "Failed", reason
    run.timeline.event(execution.stage, "codepipeline", "execution Failed", reason)
    notify(run, FAILED)


def cancelled(run) -> None:
    execution = run.execution
    execution.status, execution.reason = "Cancelled", REDEFINED
    run.timeline.event("Deploy", "codepipeline", "execution Cancelled", REDEFINED)
    notify(run, CANCELED)


def restart_if_cancelled(run) -> bool:
    """EventBridge's rules for a CANCELED execution: True when one started a new execution."""
    started = False
    pipeline = run.state("aws:codepipeline/pipeline:Pipeline", name=run.names.pipeline)
    for rule in run.cloud._resources_of("aws:cloudwatch/eventRule:EventRule"):
        pattern = rule.inputs.get("eventPattern") or "{}"
        if '"CANCELED"' not in pattern or run.names.pipeline not in pattern:
            continue
        for target in run.cloud._resources_of("aws:cloudwatch/eventTarget:EventTarget"):
            if target.inputs.get("rule") != rule.outputs["name"] or target.inputs.get("arn") != pipeline["arn"]:
                continue
            role: Principal = run.assume("Restart", "events", target.inputs["roleArn"], rule.outputs["arn"])
            run.call("Restart", role, "codepipeline:StartPipelineExecution", pipeline["arn"])
            run.timeline.event("Restart", "events", f"a new execution of {run.names.pipeline} started")
            started = True
    return started


def rolls_back(run, executions: list) -> Optional[object]:
    """The execution CodePipeline rolls a failed Deploy stage back to, when the stage is configured to roll back
    (onFailure ROLLBACK): the newest that succeeded in that stage on the pipeline's current structure, and not
    itself a rollback (CodePipeline User Guide, "Configuring stage rollback"); None otherwise."""
    last = executions[-1]
    stage = next(s for s in run.state("aws:codepipeline/pipeline:Pipeline", name=run.names.pipeline)["stages"]
                 if s["name"] == "Deploy")
    if last.status != "Failed" or last.stage not in ("Deploy", "Canary") or \
            (stage.get("onFailure") or {}).get("result") != "ROLLBACK":
        return None
    return next((e for e in reversed(executions[:-1]) if e.status == "Succeeded" and e.kind == "STANDARD"
                 and e.definition == last.definition), None)
