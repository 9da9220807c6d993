"""How big is the image a function runs: the one measurement `lambda-image-size` and
`lambda-image-size-unmeasured` share, so they can never disagree about the same function."""

import functools
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from cost.plan import IMAGE_SIZE_TAG
from cost.wire import text
from rules.aws import AWS_ERRORS, client, describe_error, ecr_image


@dataclass(frozen=True)
class Measurement:
    size_bytes: Optional[int]  # None: could not be measured, see `reason`
    source: str = ""           # where the size came from, for the message
    reason: str = ""


def measure(props: Mapping[str, Any]) -> Measurement:
    """The tag lambdakit wrote when it pushed the image; for any other function, ask ECR."""
    tags = props.get("tags")
    recorded = tags.get(IMAGE_SIZE_TAG) if isinstance(tags, Mapping) else None
    if isinstance(recorded, str) and recorded.isdecimal():  # what int() reads: isdigit() also passes "²"
        return Measurement(int(recorded), f"recorded in the {IMAGE_SIZE_TAG} tag")
    image_uri = text(props.get("imageUri"), "imageUri")
    if not image_uri:
        return Measurement(None, reason="the function names no imageUri")
    return _ask_ecr(image_uri)


@functools.cache  # one answer per image for the whole update: both policies must see the same one
def _ask_ecr(image_uri: str) -> Measurement:
    image = ecr_image(image_uri)
    if image is None:
        return Measurement(None, reason=f"{image_uri!r} is not an ECR image URI, so ECR cannot be asked for its size")
    try:
        details = client("ecr", image.region).describe_images(
            registryId=image.account, repositoryName=image.repository, imageIds=[image.image_id])["imageDetails"]
    except AWS_ERRORS as error:
        return Measurement(None, reason=f"ECR could not be asked about {image_uri}: {describe_error(error)}")
    size = details[0].get("imageSizeInBytes") if details else None
    if size is None:
        return Measurement(None, reason=f"ECR reports no size for {image_uri}")
    return Measurement(int(size), f"as ECR reports it for {image_uri}")
