"""The Build and Scan stages of one execution, action by action as the pipeline defines them:

    Build   each run order's actions side by side: the Test action's project runs the tests; each Image action's
            project asks ECR for its function's content tag and pushes a new image only when the repository lacks it
            (an image whose inputs did not change keeps its digest), with a Docker daemon only in a privileged
            project; it exports IMAGE_DIGEST
    Scan    every gate invocation side by side: each waits (CodePipeline invokes it again) until ECR's scan of its
            image is complete, and exports imageDigest and entry when it passes; a kept image's scan completed when it was
            first pushed

What a CodeBuild action does is its project's buildspec's (pipeline/buildspec-*.yml). `run` is the execution's
PipelineRun (delivery.py): its calls, as each principal, its variables, and its state of the account.
"""

import json
from pathlib import Path

from aws_account.authority import Principal
from components.container_image import content_tag, image_build
from offline.engine import _working_directory
from offline.rehearsal.execution import GATE_RETRY_MINUTES, IMAGE_MINUTES, SCAN_MINUTES, TEST_MINUTES, StageFailed
from policies.scan_findings import Finding, Outcome, Scan, Thresholds, judge

STAGE_BUILD, STAGE_SCAN = "Build", "Scan"
ECR_PUSH = ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage")


def _tests(run, role: Principal, action: dict, project: dict) -> None:
    run.timeline.event(STAGE_BUILD, role.name, f"{action['name']}: the project's tests passed, once for every "
                                               "function")


def _image(run, role: Principal, action: dict, project: dict) -> None:
    """pipeline/push_image.py: the function's image pushed under its content tag, or the one the tag holds kept."""
    given = run.action_variables(STAGE_BUILD, action)
    repository = run.state("aws:ecr/repository:Repository", repositoryUrl=given["REPOSITORY_URL"])
    with _working_directory(run.checkout):
        context = Path("functions", given["APP"])
        tag = content_tag(context, image_build(context, given["PLATFORM"], {}))
    run.call(STAGE_BUILD, role, "ecr:DescribeImages", repository["arn"])
    digest = run.cloud.repositories[repository["name"]].tags.get(tag)
    if digest:
        run.timeline.event(STAGE_BUILD, role.name, f"{action['name']}: {repository['name']}:{tag} is already pushed; "
                                                   "not built again", digest)
    else:
        if not project["environment"].get("privilegedMode"):
            raise StageFailed(STAGE_BUILD, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock "
                                           "(the project is not privileged)")
        run.call(STAGE_BUILD, role, "ecr:GetAuthorizationToken", "*")
        for call in ECR_PUSH:
            run.call(STAGE_BUILD, role, call, repository["arn"])
        digest = run.cloud.push_built_image(repository["name"], tag)
        run.timeline.event(STAGE_BUILD, role.name, f"{action['name']}: pushed {repository['name']}:{tag}", digest)
        run.execution.pushed.append(given["APP"])
        run.pushed_repositories.add(repository["name"])
    run.execution.digests[given["APP"]] = digest
    run.export(action, {"IMAGE_DIGEST": digest})


# What each buildspec's build does here, and how long it takes.
BUILDSPECS = {"pipeline/buildspec-test.yml": (_tests, TEST_MINUTES), "pipeline/buildspec-build.yml": (_image,
                                                                                                      IMAGE_MINUTES)}


def build(run, pipeline_role: Principal) -> None:
    """The Build stage's run orders in turn: one run order's builds start together and take as long as the
    longest; each does its work (what it asks of ECR, what it tells) as it ends."""
    for actions in run.runs_of(STAGE_BUILD):
        started = [(action, *run.start_build(STAGE_BUILD, pipeline_role, action)) for action in actions]
        run.timeline.advance(max(BUILDSPECS[project["source"]["buildspec"]][1] for _, _, project in started))
        for action, role, project in started:
            BUILDSPECS[project["source"]["buildspec"]][0](run, role, action, project)


def _judge(run, pipeline_role: Principal, gate: dict, action: dict, started: float) -> Outcome:
    """One invocation of the gate for the action's image, as the gate's role; what it decided."""
    parameters = json.loads(run.resolve(STAGE_SCAN, action["configuration"]["UserParameters"]))
    repository = run.state("aws:ecr/repository:Repository", name=parameters["repositoryName"])
    pushed = repository["name"] in run.pushed_repositories
    run.call(STAGE_SCAN, pipeline_role, "lambda:InvokeFunction", gate["arn"])
    role = run.assume(STAGE_SCAN, "lambda", gate["role"])
    run.call(STAGE_SCAN, role, "ecr:DescribeImageScanFindings", repository["arn"])
    # What the commit brings in is found in the images it pushes; a kept image passed its scan before.
    counts = run.findings if pushed else {}
    found = tuple(Finding(f"CVE-2026-{severity}-{n}", severity, "YES") for severity, count in counts.items()
                  for n in range(count))
    done = not pushed or run.timeline.minute - started >= SCAN_MINUTES
    scan = Scan(image=f"{repository['name']}@{parameters['imageDigest']}", status="COMPLETE" if done else
                "IN_PROGRESS", findings=found, counts=dict(counts), listed=len(found), completed=done)
    verdict = judge(scan, Thresholds.from_mapping(run.settings.gate_defaults))
    run.call(STAGE_SCAN, role, "codepipeline:PutJobFailureResult" if verdict.outcome is Outcome.FAIL else
             "codepipeline:PutJobSuccessResult", "*")
    run.timeline.event(STAGE_SCAN, role.name, f"{action['name']}: {verdict.outcome.value}", verdict.reason)
    if verdict.outcome is Outcome.PASS:
        # What the gate exports of a passed image that the pipeline reads (functions/scan-gate/app.py,
        # output_variables): the digest, and the function's entry of the stack's imageDigests.
        digest = parameters["imageDigest"]
        run.export(action, {"imageDigest": digest,
                            **({"entry": f"{parameters['function']}={digest}"} if parameters.get("function") else {})})
    return verdict.outcome


def scan(run, pipeline_role: Principal) -> None:
    """Every gate, minute by minute, until each has passed or failed; the stage fails when one fails."""
    gate = run.state("aws:lambda/function:Function", name=run.settings.scan_gate_function_name)
    started = run.timeline.minute  # the images were pushed as the Build stage ended
    run.call(STAGE_SCAN, pipeline_role, "lambda:ListFunctions", "*")
    waiting, failures = [a for actions in run.runs_of(STAGE_SCAN) for a in actions], []
    while waiting:
        outcomes = {action["name"]: _judge(run, pipeline_role, gate, action, started) for action in waiting}
        failures += [name for name, outcome in outcomes.items() if outcome is Outcome.FAIL]
        waiting = [action for action in waiting if outcomes[action["name"]] is Outcome.WAIT]
        if waiting:
            run.timeline.advance(GATE_RETRY_MINUTES)
    if failures:
        raise StageFailed(STAGE_SCAN, f"{', '.join(failures)} failed: the scan gate found what it fails on")
