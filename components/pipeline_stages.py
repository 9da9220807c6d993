"""The delivery pipeline's stages for a stack's functions: which action does what, under which name and namespace,
with which variables, and whether CodePipeline takes that many.

    Source   Source                the commit, through the connection
    Build    Test         (run 1)  the project's tests, once for every function
             Image-<name> (run 2)  one per function, in parallel: the function's image built and pushed unless its
                                   content tag is pushed already (then its digest is kept); exports IMAGE_DIGEST
    Scan     Scan-<name>           one per function, in parallel: the scan gate on that digest; exports imageDigest
                                   and entry, <name>=<digest>
    Deploy   PulumiUp     (run 1)  one `pulumi up` with every function's scanned digest; exports FUNCTION_VERSIONS,
                                   {function name: the version it has after the update}
             Canary-<name>(run 2)  one per function, in parallel: that function's CodeDeploy canary, of its version
                                   in FUNCTION_VERSIONS

An Image action's namespace is its own name: #{Image-<name>.IMAGE_DIGEST}. A Scan action's is Scan<n>, n the
function's place among the stack's (from 1), so that the Deploy action's one configuration value holds the stack's
every digest in 16 characters a function, #{Scan<n>.entry}, whatever the functions' names (with the names in the
references, 2 × the name + 22 characters: 18 functions of 15-character names filled it). A failing action fails its stage, but the actions running beside it go on to their end
(CodePipeline User Guide, "Retry a failed action in a stage": "all actions that are still in progress continue
working"): one function's canary rolled back leaves another's release standing.

CodePipeline's quotas ("Quotas in AWS CodePipeline", docs.aws.amazon.com/codepipeline/latest/userguide/limits.html)
that grow with the functions: at most 50 actions in a stage (and 50 in parallel, 50 in sequence), 500 in a pipeline,
and 1000 characters in one action configuration value, which the Deploy action's EnvironmentVariables must hold for
every function. The Deploy stage binds first: PulumiUp and one Canary action a function, 49 functions at most. Output variables are bounded at 122,880 bytes an action together, and a resolved configuration at
100 KB: FUNCTION_VERSIONS takes some 30 bytes a function. Action names take 1..100 of letters, digits and . @ - _,
namespaces 1..100 of letters, digits and @ - _ (both case sensitive); a function's folder name (1..31 of a-z, 0-9,
-) fits either.
"""

import json
from typing import Iterable

from aws_limits import PIPELINE_CONFIGURATION_VALUE_LENGTH, PIPELINE_MAX_ACTIONS, PIPELINE_MAX_ACTIONS_PER_STAGE
from aws_limits import PIPELINE_NAMESPACE, PIPELINE_STAGE_OR_ACTION_NAME
TEST_ACTION, DEPLOY_ACTION, DEPLOY_NAMESPACE = "Test", "PulumiUp", "Deploy"
IMAGE_DIGEST = "IMAGE_DIGEST"  # what an Image action's build exports (pipeline/buildspec-build.yml)
# What the scan gate exports of a passed image, given its function (functions/scan-gate/app.py): <function>=<digest>,
# an entry of lambdakit:imageDigests.
SCANNED_ENTRY = "entry"
FUNCTION_VERSIONS = "FUNCTION_VERSIONS"  # what the PulumiUp action's build exports (pipeline/buildspec-deploy.yml)
# The stack setting the PulumiUp action fills with the scanned digests (an array of NAME=sha256:…, Pulumi.yaml).
IMAGE_DIGESTS_SETTING = "imageDigests"


def image_action(name: str) -> str:
    return f"Image-{name}"


def scan_action(name: str) -> str:
    return f"Scan-{name}"


def scan_namespace(place: int) -> str:
    """The Scan action's namespace of the stack's `place`-th function (from 1)."""
    return f"Scan{place}"


def canary_action(name: str) -> str:
    return f"Canary-{name}"


def reference(namespace: str, variable: str) -> str:
    return f"#{{{namespace}.{variable}}}"


def build_variables(variables: dict) -> list[dict]:
    """A CodeBuild action's EnvironmentVariables (plain text: nothing secret travels this way)."""
    return [{"name": key, "value": value, "type": "PLAINTEXT"} for key, value in variables.items()]


def scan_parameters(repository_name: str, name: str) -> str:
    """The scan gate's UserParameters for one function's image (the gate's thresholds come from its GATE_DEFAULTS)."""
    return json.dumps({"repositoryName": repository_name, "function": name,
                       "imageDigest": reference(image_action(name), IMAGE_DIGEST)})


def deploy_variables(names: Iterable[str]) -> dict[str, str]:
    """What the PulumiUp action's build gets: every function's scanned digest, as NAME=<digest> words (the entries
    of lambdakit:imageDigests), each as its Scan action exported it."""
    return {"IMAGE_DIGESTS": " ".join(reference(scan_namespace(place), SCANNED_ENTRY)
                                      for place, _ in enumerate(names, start=1))}


def deploy_configuration_value(names: Iterable[str]) -> str:
    """The PulumiUp action's EnvironmentVariables exactly as the pipeline declares it."""
    return json.dumps(build_variables(deploy_variables(names)))


def stage_sizes(count: int) -> dict[str, int]:
    """How many actions each stage holds for `count` functions."""
    return {"Source": 1, "Build": 1 + count, "Scan": count, "Deploy": 1 + count}


def layout_problems(names: list[str]) -> list[str]:
    """What CodePipeline would refuse in the pipeline of these functions; each problem names the limit."""
    sizes = stage_sizes(len(names))
    problems = [f"the {stage} stage would hold {size} actions for {len(names)} functions; CodePipeline takes at most "
                f"{PIPELINE_MAX_ACTIONS_PER_STAGE} a stage" for stage, size in sizes.items() if size > PIPELINE_MAX_ACTIONS_PER_STAGE]
    if sum(sizes.values()) > PIPELINE_MAX_ACTIONS:
        problems.append(f"the pipeline would hold {sum(sizes.values())} actions; CodePipeline takes at most "
                        f"{PIPELINE_MAX_ACTIONS}")
    length, most = len(deploy_configuration_value(names)), PIPELINE_CONFIGURATION_VALUE_LENGTH[1]
    if length > most:
        problems.append(f"the {DEPLOY_ACTION} action's EnvironmentVariables (every function's digest reference) would "
                        f"be {length} characters; CodePipeline takes at most {most} in one configuration value: "
                        "fewer functions")
    for name in names:
        for rule, made in ((PIPELINE_STAGE_OR_ACTION_NAME, canary_action(name)),
                           (PIPELINE_STAGE_OR_ACTION_NAME, scan_action(name)), (PIPELINE_NAMESPACE, image_action(name))):
            if problem := rule.problem(made):
                problems.append(f"{rule.what} {made!r}: {problem}")
    return problems
