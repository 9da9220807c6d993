"""`python -m pipeline.push_image`: the Build stage's image, under the tag the program computes, built once.

ECR is botocore's Stubber (it checks every request against ECR's model); Docker is a fake `docker` first on
PATH that records what it is asked to do. The digest printed on stdout is what the buildspec exports, so
nothing else may reach stdout.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.stub import Stubber

import pipeline.push_image as push_image
from components.container_image import content_tag, image_build
from tests.conftest import PROJECT_DIR, stubbed_client

ACCOUNT = "123456789012"
REGISTRY = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
REPOSITORY = "lambdakit-prod-api"
REPOSITORY_URL = f"{REGISTRY}/{REPOSITORY}"
APP, PLATFORM = "api", "linux/arm64"
DIGEST = "sha256:" + hashlib.sha256(b"the image ECR holds").hexdigest()
PASSWORD = "eyJwYXlsb2FkIjoiZmFrZSBFQ1IgcGFzc3dvcmQifQ=="  # ECR's are long base64 JSON; the test's is short
PUSHED_AT = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def the_tag() -> str:
    """The tag the program itself gives the image it builds from functions/<app>."""
    context = Path("functions", APP)
    return content_tag(context, image_build(context, PLATFORM, {}))


def image_details(tag: str, digest: str = DIGEST) -> dict:
    """DescribeImages as ECR answers it for one tagged image."""
    return {"imageDetails": [{
        "registryId": ACCOUNT, "repositoryName": REPOSITORY, "imageDigest": digest, "imageTags": [tag],
        "imageSizeInBytes": 52_428_800, "imagePushedAt": PUSHED_AT,
        "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "artifactMediaType": "application/vnd.docker.container.image.v1+json"}]}


def describe_request(tag: str) -> dict:
    return {"repositoryName": REPOSITORY, "imageIds": [{"imageTag": tag}]}


def not_found(stub: Stubber, tag: str) -> None:
    stub.add_client_error(
        "describe_images", "ImageNotFoundException",
        f"The image with imageId {{imageDigest:'null', imageTag:'{tag}'}} does not exist within the repository "
        f"with name '{REPOSITORY}' in the registry with id '{ACCOUNT}'", 400, expected_params=describe_request(tag))


def authorization(stub: Stubber) -> None:
    stub.add_response("get_authorization_token", {"authorizationData": [{
        "authorizationToken": base64.b64encode(f"AWS:{PASSWORD}".encode()).decode(),
        "expiresAt": datetime(2025, 6, 2, 0, 0, tzinfo=timezone.utc), "proxyEndpoint": f"https://{REGISTRY}"}]}, {})


@pytest.fixture
def ecr():
    with stubbed_client("ecr", "eu-west-1") as stubbed:
        yield stubbed


class FakeDocker:
    """A `docker` first on PATH: records each call (argv, stdin) as a JSON line, prints noise on stdout, and
    fails the subcommands in `fail_on` ("*": every one, for a test in which docker must not run at all)."""

    def __init__(self, folder: Path, fail_on: tuple[str, ...]):
        self.log = folder / "docker-calls.jsonl"
        script = folder / "docker"
        script.write_text(f"""#!{sys.executable}
import json, sys
stdin = sys.stdin.read() if "--password-stdin" in sys.argv else ""
with open({str(self.log)!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
print("docker's own output, never the digest")
fail_on = {list(fail_on)!r}
sys.exit(1 if "*" in fail_on or sys.argv[1] in fail_on else 0)
""")
        script.chmod(0o755)

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []


def fake_docker(tmp_path, monkeypatch, fail_on: tuple[str, ...] = ()) -> FakeDocker:
    folder = tmp_path / "bin"
    folder.mkdir()
    docker = FakeDocker(folder, fail_on)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return docker


@pytest.fixture(autouse=True)
def in_the_project(monkeypatch):
    """The paths push_image uses are relative to the checkout, as in CodeBuild."""
    monkeypatch.chdir(PROJECT_DIR)


# --- existing_digest ---------------------------------------------------------------------------------------

def test_a_tag_the_repository_holds_gives_its_digest(ecr):
    client, stub = ecr
    stub.add_response("describe_images", image_details("d35d3fdd94f5be68"), describe_request("d35d3fdd94f5be68"))
    assert push_image.existing_digest(client, REPOSITORY, "d35d3fdd94f5be68") == DIGEST


def test_a_tag_the_repository_does_not_hold_gives_nothing(ecr):
    client, stub = ecr
    not_found(stub, "d35d3fdd94f5be68")
    assert push_image.existing_digest(client, REPOSITORY, "d35d3fdd94f5be68") == ""


def test_another_ecr_error_is_not_taken_for_a_missing_image(ecr):
    client, stub = ecr
    stub.add_client_error("describe_images", "RepositoryNotFoundException",
                          f"The repository with name '{REPOSITORY}' does not exist in the registry with id '{ACCOUNT}'",
                          400, expected_params=describe_request("d35d3fdd94f5be68"))
    with pytest.raises(client.exceptions.RepositoryNotFoundException):
        push_image.existing_digest(client, REPOSITORY, "d35d3fdd94f5be68")


# --- push --------------------------------------------------------------------------------------------------

def test_an_image_already_pushed_is_not_built_again(ecr, tmp_path, monkeypatch):
    client, stub = ecr
    docker = fake_docker(tmp_path, monkeypatch, fail_on=("*",))
    stub.add_response("describe_images", image_details(the_tag()), describe_request(the_tag()))
    assert push_image.push(client, REPOSITORY_URL, APP, PLATFORM) == DIGEST
    assert docker.calls() == []


def test_a_new_image_is_logged_in_built_pushed_and_its_digest_read_back(ecr, tmp_path, monkeypatch):
    client, stub = ecr
    docker = fake_docker(tmp_path, monkeypatch)
    tag = the_tag()
    not_found(stub, tag)
    authorization(stub)
    stub.add_response("describe_images", image_details(tag), describe_request(tag))

    assert push_image.push(client, REPOSITORY_URL, APP, PLATFORM) == DIGEST

    build = image_build(Path("functions", APP), PLATFORM, {})
    image = f"{REPOSITORY_URL}:{tag}"
    assert docker.calls() == [
        {"argv": ["login", "--username", "AWS", "--password-stdin", REGISTRY], "stdin": PASSWORD},
        {"argv": ["build", "--platform", build["platform"], "--file", build["dockerfile"], "--tag", image,
                  build["context"]], "stdin": ""},
        {"argv": ["push", image], "stdin": ""},
    ]
    assert (PROJECT_DIR / build["dockerfile"]).is_file() and (PROJECT_DIR / build["context"]).is_dir()
    # The registry password travels on stdin only, never on a command line (which `ps` shows).
    assert all(PASSWORD not in " ".join(call["argv"]) for call in docker.calls())


def test_a_failed_build_pushes_nothing_and_fails(ecr, tmp_path, monkeypatch):
    client, stub = ecr
    docker = fake_docker(tmp_path, monkeypatch, fail_on=("build",))
    not_found(stub, the_tag())
    authorization(stub)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        push_image.push(client, REPOSITORY_URL, APP, PLATFORM)
    assert failed.value.cmd[:2] == ["docker", "build"]
    assert [call["argv"][0] for call in docker.calls()] == ["login", "build"]


def test_the_pipeline_pushes_the_image_the_program_would_build(prod_run):
    """The program's own docker.Image of the api in the prod run: same build inputs, same tag, and the repository its
    Image action pushes to."""
    program = prod_run.under(APP).one("docker:index/image:Image").inputs
    build = image_build(Path("functions", APP), PLATFORM, {})
    assert program["build"] == build
    repository_url, tag = program["imageName"].rsplit(":", 1)
    assert tag == the_tag()
    assert push_image.build_command(build, program["imageName"]) == [
        "docker", "build", "--platform", PLATFORM, "--file", f"functions/{APP}/Dockerfile", "--tag",
        program["imageName"], f"functions/{APP}"]
    [action] = [a for stage in prod_run.one("aws:codepipeline/pipeline:Pipeline").inputs["stages"]
                for a in stage["actions"] if a["name"] == f"Image-{APP}"]
    given = {v["name"]: v["value"] for v in json.loads(action["configuration"]["EnvironmentVariables"])}
    assert (given["APP"], given["PLATFORM"], given["REPOSITORY_URL"]) == (APP, PLATFORM, repository_url)


def test_build_arguments_are_passed_sorted_before_the_context():
    build = image_build(Path("functions", APP), PLATFORM, {"B": "2", "A": "1"})
    assert push_image.build_command(build, "r:t")[-5:] == ["--build-arg", "A=1", "--build-arg", "B=2",
                                                           f"functions/{APP}"]


def test_every_ecr_call_is_one_the_build_role_may_make(prod_run, ecr, tmp_path, monkeypatch):
    client, stub = ecr
    fake_docker(tmp_path, monkeypatch)
    called = []
    client.meta.events.register("before-parameter-build.ecr", lambda model, **_: called.append(f"ecr:{model.name}"))
    not_found(stub, the_tag())
    authorization(stub)
    stub.add_response("describe_images", image_details(the_tag()), describe_request(the_tag()))
    push_image.push(client, REPOSITORY_URL, APP, PLATFORM)
    [policy] = [p for p in prod_run.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"].endswith("-build")]
    allowed = {action for statement in json.loads(policy.inputs["policy"])["Statement"]
               if statement["Effect"] == "Allow" for action in statement["Action"]}
    assert set(called) == {"ecr:DescribeImages", "ecr:GetAuthorizationToken"}
    assert set(called) <= allowed


# --- main: stdout is the digest and nothing else -------------------------------------------------------------

def test_main_prints_only_the_digest_on_stdout(ecr, tmp_path, monkeypatch, capfd):
    client, stub = ecr
    fake_docker(tmp_path, monkeypatch)
    not_found(stub, the_tag())
    authorization(stub)
    stub.add_response("describe_images", image_details(the_tag()), describe_request(the_tag()))
    monkeypatch.setattr(push_image.boto3, "client", lambda service: {"ecr": client}[service])
    assert push_image.main(["--app", APP, "--platform", PLATFORM, "--repository-url", REPOSITORY_URL]) == 0
    out, err = capfd.readouterr()
    assert out == f"{DIGEST}\n"
    assert "docker's own output" in err


@pytest.mark.parametrize("missing", ["--app", "--platform", "--repository-url"])
def test_main_refuses_a_missing_option(missing, monkeypatch, capsys):
    monkeypatch.setattr(push_image.boto3, "client", lambda service: pytest.fail("no client without every option"))
    given = {"--app": APP, "--platform": PLATFORM, "--repository-url": REPOSITORY_URL}
    del given[missing]
    with pytest.raises(SystemExit) as exited:
        push_image.main([word for pair in given.items() for word in pair])
    assert exited.value.code == 2
    assert missing in capsys.readouterr().err
