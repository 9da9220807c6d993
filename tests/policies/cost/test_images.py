"""Container images (policies/cost/images.py): ECR repositories, the images their lifecycle keeps and the image each
holds, and enhanced scanning."""

from dataclasses import replace

import pytest
from pytest import approx

from policies.cost.plan import IMAGE_SIZE_TAG, UNKNOWN, Resource
from tests.policies.cost.builders import (ACCOUNT, REGION, REPOSITORY, SCANNING, ecr_lifecycle, function, kms_key,
                                          line, priced, repository, resource, scanning, stack_function)


# ECR repository.

def test_repository_stores_the_image_times_the_images_its_lifecycle_keeps():
    # 536,870,912 B = 0.5 GiB × 20 images = 10 GiB-months × $0.10 = $1.00
    fn = function(tags={IMAGE_SIZE_TAG: "536870912"})
    item = line(priced([fn, repository(), ecr_lifecycle(keep=20)]), REPOSITORY)
    assert item.usd == approx(1.00)
    assert item.basis.startswith("20 images × 536.9 MB")


def test_repository_without_a_count_rule_is_unknown():
    item = line(priced([function(), repository()]), REPOSITORY)
    assert item.usd is None and "no lifecycle rule bounds" in item.basis


@pytest.mark.parametrize("props", [
    {"imageUri": UNKNOWN},                         # the image is not pushed yet
    {"tags": {IMAGE_SIZE_TAG: UNKNOWN}},           # nor its size known
    {"tags": {"app": "api"}},                      # no size recorded
])
def test_repository_whose_image_size_is_not_known_is_unknown_and_the_rest_still_adds_up(props):
    result = priced([function(**props), repository(), ecr_lifecycle(keep=20), kms_key()])
    assert line(result, REPOSITORY).usd is None
    assert result.partial
    assert result.total == approx(1.00)  # the key; the function, which nothing calls, $0


def test_repository_no_function_runs_from_costs_nothing():
    item = line(priced([function(), repository("other"), ecr_lifecycle(20, "other")]), REPOSITORY, "other")
    assert item.usd == 0 and item.basis == "holds no image a function of this stack runs"


@pytest.mark.parametrize("scan_type, usd", [("ENHANCED", 1.00), ("BASIC", 0.0)])
def test_enhanced_scanning_scans_one_image_a_pipeline_run(scan_type, usd):
    # 10 runs = 10 images pushed × $0.10 = $1.00; basic scanning is free
    assert line(priced([scanning(scan_type)]), SCANNING, "scanning").usd == approx(usd)


# Several functions: each repository holds its own function's image.

def pushed_image(short: str, repository_resource: Resource) -> Resource:
    """The image the program builds and pushes to a function's repository (its name made from the repository's URL)."""
    return resource("docker:index/image:Image", short, {"imageName": UNKNOWN, "repoDigest": UNKNOWN},
                    {"imageName": (repository_resource.urn,), "registry": (repository_resource.urn,)})


def image_function(short: str, image_uri: str = UNKNOWN, size: str = "84000000", via: tuple = ()) -> Resource:
    """A function of the stack whose imageUri the engine made from `via` (by default, nothing it knows of)."""
    fn = stack_function(short, imageUri=image_uri, tags={"app": short, IMAGE_SIZE_TAG: size})
    return replace(fn, links={"imageUri": tuple(r.urn for r in via)})


def test_each_repository_is_priced_from_its_own_functions_image_while_another_is_not_pushed():
    # api's image is not pushed yet; worker's is: 20 × 500,000,000 B = 9.31 GiB × $0.10 = $0.93. Before, every
    # repository was unknown while any function's imageUri was.
    api_repo, worker_repo = repository("lambdakit-prod-api"), repository("lambdakit-prod-worker")
    worker_uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/lambdakit-prod-worker@sha256:{'8a' * 32}"
    api_image = pushed_image("api", api_repo)
    resources = [image_function("api", size=UNKNOWN, via=(api_image,)), api_image, api_repo,
                 ecr_lifecycle(20, "lambdakit-prod-api"),
                 image_function("worker", worker_uri, "500000000"), worker_repo,
                 ecr_lifecycle(20, "lambdakit-prod-worker")]
    result = priced(resources)
    assert line(result, REPOSITORY, "lambdakit-prod-worker").usd == approx(20 * 500_000_000 / 2**30 * 0.10)
    api_line = line(result, REPOSITORY, "lambdakit-prod-api")
    assert api_line.usd is None and f"tags.{IMAGE_SIZE_TAG} of api is not known until the update" in api_line.basis


def test_repositories_are_matched_to_functions_by_the_engines_dependencies_while_every_image_uri_is_unknown():
    # api's image (its imageUri made from the image pushed to its repository, two links away) is 100 MB, worker's
    # (made from its repository itself: a digest given by hand) 300 MB: 20 × each × $0.10 / GiB
    api_repo, worker_repo = repository("lambdakit-prod-api"), repository("lambdakit-prod-worker")
    api_image = pushed_image("api", api_repo)
    resources = [image_function("api", size="100000000", via=(api_image,)), api_image, api_repo,
                 image_function("worker", size="300000000", via=(worker_repo,)), worker_repo,
                 ecr_lifecycle(20, "lambdakit-prod-api"), ecr_lifecycle(20, "lambdakit-prod-worker")]
    result = priced(resources)
    assert line(result, REPOSITORY, "lambdakit-prod-api").usd == approx(20 * 100_000_000 / 2**30 * 0.10)
    assert line(result, REPOSITORY, "lambdakit-prod-worker").usd == approx(20 * 300_000_000 / 2**30 * 0.10)
    assert not result.partial


def test_a_function_whose_image_nothing_tells_leaves_every_repository_unknown():
    """An unknown imageUri with no dependency the model can follow may name any repository: it cannot be left out."""
    repo = repository("lambdakit-prod-api")
    known_uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/lambdakit-prod-api@sha256:{'8a' * 32}"
    result = priced([image_function("api", known_uri), image_function("other"), repo,
                     ecr_lifecycle(20, "lambdakit-prod-api")])
    item = line(result, REPOSITORY, "lambdakit-prod-api")
    assert item.usd is None and "imageUri of other is not known until the update" in item.basis
