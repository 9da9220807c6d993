"""Rules on `aws:lambda/function:Function`: what it runs on, how big, from which image."""

import re

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from cost.wire import number, text, texts
from rules.common import (LAMBDA_FUNCTION, LAMBDA_MAX_MEMORY_MB, LAMBDA_MIN_MEMORY_MB, is_image_function, resource_rule,
                          schema, setting)
from rules.image_size import IMAGE_SIZE_TAG, measure

_DIGEST_REFERENCE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")

_ARCHITECTURE = schema(allowedArchitectures={
    "type": "array", "items": {"type": "string", "enum": ["arm64", "x86_64"]}, "default": ["arm64"],
    "description": "Architectures a function may run on."})
_MEMORY_RANGE = {"type": "integer", "minimum": LAMBDA_MIN_MEMORY_MB, "maximum": LAMBDA_MAX_MEMORY_MB}
_MEMORY = schema(
    minMemoryMb={**_MEMORY_RANGE, "default": 1024,
                 "description": "Least memory for a container-image function (CPU scales with memory); "
                                "a zip function may have Lambda's least, 128 MB."},
    maxMemoryMb={**_MEMORY_RANGE, "default": LAMBDA_MAX_MEMORY_MB,
                 "description": "Most memory any function, image or zip, may have; never above Lambda's 10240 MB."},
)
_IMAGE_SIZE = schema(maxImageSizeMb={
    "type": "integer", "minimum": 1, "maximum": 10240, "default": 500,
    "description": "Largest image (compressed, as ECR reports it; 1 MB = 1,000,000 bytes) a function may run."})
_DIGEST = schema(allowMutableTags={
    "type": "boolean", "default": False, "description": "Let functions reference images by tag."})


@resource_rule("lambda-architecture", "Lambda functions run on arm64 (Graviton).",
               Severity.HIGH, _ARCHITECTURE, LAMBDA_FUNCTION)
def lambda_architecture(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = setting(args.get_config(), _ARCHITECTURE, "allowedArchitectures")
    # Lambda runs a function that names no architecture on x86_64.
    refused = [a for a in texts(args.props.get("architectures"), "architectures") or ["x86_64"] if a not in allowed]
    if refused:
        report(f"'{args.name}' runs on {', '.join(refused)}; allowed: {', '.join(allowed)}. "
               "Set the stack's architecture to arm64 (cheaper per GB-second, and the image is built for it).")


@resource_rule("lambda-memory", "Container-image functions have at least the configured memory; "
               "no function has more than the configured maximum (never above Lambda's 10240 MB).",
               Severity.MEDIUM, _MEMORY, LAMBDA_FUNCTION)
def lambda_memory(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config, image = args.get_config(), is_image_function(args.props)
    # The floor is for images only: they are larger and start slower, and CPU scales with memory. A small
    # zip function at Lambda's least, 128 MB, is a legitimate choice. The ceiling is for every function.
    low = setting(config, _MEMORY, "minMemoryMb") if image else LAMBDA_MIN_MEMORY_MB
    high = setting(config, _MEMORY, "maxMemoryMb")
    memory = number(args.props.get("memorySize"), "memorySize") or LAMBDA_MIN_MEMORY_MB  # Lambda's default
    if not low <= memory <= high:
        report(f"'{args.name}' has {memory} MB; allowed for {'an image' if image else 'a zip'} function: "
               f"{low}..{high} MB.")


@resource_rule("lambda-image-size", "A function's image is no larger than the configured limit, as ECR measured it.",
               Severity.HIGH, _IMAGE_SIZE, LAMBDA_FUNCTION)
def lambda_image_size(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props):
        return
    limit_mb = setting(args.get_config(), _IMAGE_SIZE, "maxImageSizeMb")
    measured = measure(args.props)
    # An image that could not be measured is lambda-image-size-unmeasured's to report, at its own level.
    if measured.size_bytes is not None and measured.size_bytes / 1_000_000 > limit_mb:
        report(f"'{args.name}' runs an image of {measured.size_bytes / 1_000_000:.1f} MB; the limit is {limit_mb} MB "
               f"({measured.source}).")


# pulumi_policy's report callback has no level of its own: a second policy carries "could not measure",
# advisory unless the user's config makes it mandatory.
@resource_rule("lambda-image-size-unmeasured",
               "Whether the size of a function's image can be measured: lambda-image-size needs it to judge the image.",
               Severity.MEDIUM, None, LAMBDA_FUNCTION, enforcement_level=EnforcementLevel.ADVISORY)
def lambda_image_size_unmeasured(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props):
        return
    try:
        measured = measure(args.props)
    except UnknownValueError:
        return  # during preview: lambda-image-size already says it could not run, once is enough
    if measured.size_bytes is None:
        report(f"'{args.name}': the size of its image cannot be checked: {measured.reason}. Tag the function "
               f"{IMAGE_SIZE_TAG} with the size in bytes, or run the pack with credentials allowed "
               "ecr:DescribeImages on the repository.")


@resource_rule("lambda-image-by-digest", "Functions reference their image by digest, never by a mutable tag.",
               Severity.HIGH, _DIGEST, LAMBDA_FUNCTION)
def lambda_image_by_digest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props) or setting(args.get_config(), _DIGEST, "allowMutableTags"):
        return
    image_uri = text(args.props.get("imageUri"), "imageUri")
    if not image_uri:
        report(f"'{args.name}' names no image (imageUri); reference one as repository@sha256:<digest> so what runs "
               "cannot change under the same name.")
    elif not _DIGEST_REFERENCE.match(image_uri):
        report(f"'{args.name}' references {image_uri!r}; use repository@sha256:<digest> so what runs "
               "cannot change under the same name.")
