"""Delivery: the CodeBuild projects a pipeline starts, the pipeline's action minutes and the artifact bucket
that keeps each run's artifacts."""

import math

from .estimate import Charge
from .meter import DAYS_PER_MONTH, HOURS_PER_MONTH, Context, Pricer
from .plan import CODEBUILD_PROJECT, PIPELINE, Resource, Unpriced, pipeline_actions

# A pipeline action that is neither a build nor a wait is counted as one action minute (a source fetch).
SHORT_ACTION_MINUTES = 1


def build_minutes(project: Resource, context: Context) -> float:
    per_run = context.plan.runs_per_pipeline_run(project) or 0
    usage = context.need_usage()
    return per_run * usage.pipeline_runs_per_month * usage.build_minutes_per_run


def build_hours(project: Resource, context: Context) -> float:
    """Hours of a month in which the project builds: each turn of a run within ceil(minutes / 60) hours (the builds
    of one turn, one per function, run at once)."""
    turns = context.plan.turns_per_pipeline_run(project)
    usage = context.need_usage()
    return min(HOURS_PER_MONTH, turns * usage.pipeline_runs_per_month * math.ceil(usage.build_minutes_per_run / 60))


def _codebuild_project(project: Resource, context: Context) -> list[Charge]:
    minutes = build_minutes(project, context)
    if not minutes:
        return [Charge(0.0, "no pipeline of this stack starts it; billed per build minute when run")]
    environment, compute = project.text("environment.type"), project.text("environment.computeType")
    return [context.meter.charge(f"codebuild.{environment}.{compute}", minutes,
                                 f"{minutes:,.0f} build minutes on {environment} {compute}")]


def _pipeline(pipeline: Resource, context: Context) -> list[Charge]:
    if pipeline.get("pipelineType", "V1") != "V2":
        return [context.meter.charge("codepipeline.v1-active-pipeline", 1, "1 active V1 pipeline")]
    usage = context.need_usage()
    minutes = 0.0
    for action in pipeline_actions(pipeline):
        if action.get("category") == "Approval" or action.get("owner") == "Custom":
            continue  # "charged for all action types except for manual approval and custom action types"
        provider = action.get("provider")
        # A Lambda invoke action bills until its function ends the job: the scan gate, until ECR's scan is done.
        minutes += (usage.build_minutes_per_run if provider == "CodeBuild" else
                    usage.scan_minutes_per_run if provider == "Lambda" else SHORT_ACTION_MINUTES)
    total = minutes * usage.pipeline_runs_per_month
    return [context.meter.charge("codepipeline.action-minute", total,
                                 f"{usage.pipeline_runs_per_month} runs × {minutes:.0f} action minutes")]


def _bucket(bucket: Resource, context: Context) -> list[Charge]:
    days = context.plan.expiration_days(bucket)
    if not context.plan.stores_artifacts_in(bucket):
        return [Charge(0.0, "nothing in this stack writes to it")]
    if days is None:
        raise Unpriced("no lifecycle rule expires its objects, so its storage grows every month")
    usage = context.need_usage()
    stored_gb = usage.pipeline_runs_per_month * usage.artifact_mb_per_run / 1024 * days / DAYS_PER_MONTH
    return [context.meter.charge("s3.storage", stored_gb,
                                 f"{usage.pipeline_runs_per_month} runs × {usage.artifact_mb_per_run} MB of artifacts "
                                 f"a month, kept {days} days")]


PRICERS: dict[str, Pricer] = {
    "aws:s3/bucket:Bucket": _bucket,
    CODEBUILD_PROJECT: _codebuild_project,
    PIPELINE: _pipeline,
}
