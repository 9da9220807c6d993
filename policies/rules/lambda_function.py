"""Rules on `aws:lambda/function:Function`: what it runs on, how big, from which image."""

import re

from pulumi_policy import ReportViolation, ResourceValidationArgs, Severity

from rules.common import LAMBDA_FUNCTION, LAMBDA_MAX_MEMORY_MB, is_image_function, resource_rule, schema, setting

# Written by components/container_function.py from the size ECR reports for the pushed image.
IMAGE_SIZE_TAG = "lambdakit:image-size-bytes"
_DIGEST_REFERENCE = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")

_ARCHITECTURE = schema(allowedArchitectures={
    "type": "array", "items": {"type": "string", "enum": ["arm64", "x86_64"]}, "default": ["arm64"],
    "description": "Architectures a function may run on."})
_MEMORY = schema(
    minMemoryMb={"type": "integer", "minimum": 128, "maximum": LAMBDA_MAX_MEMORY_MB, "default": 1024,
                 "description": "Least memory for a container-image function (CPU scales with memory)."},
    maxMemoryMb={"type": "integer", "minimum": 128, "maximum": LAMBDA_MAX_MEMORY_MB, "default": LAMBDA_MAX_MEMORY_MB,
                 "description": "Most memory a function may have; never above Lambda's 10240 MB."},
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
    refused = [a for a in list(args.props.get("architectures") or ["x86_64"]) if a not in allowed]
    if refused:
        report(f"'{args.name}' runs on {', '.join(refused)}; allowed: {', '.join(allowed)}. "
               "Set the stack's architecture to arm64 (cheaper per GB-second, and the image is built for it).")


@resource_rule("lambda-memory", "Lambda memory stays within the configured range and Lambda's maximum.",
               Severity.MEDIUM, _MEMORY, LAMBDA_FUNCTION)
def lambda_memory(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    low, high = setting(config, _MEMORY, "minMemoryMb"), setting(config, _MEMORY, "maxMemoryMb")
    memory = int(args.props.get("memorySize") or 128)  # Lambda's default when none is given
    if not low <= memory <= high:
        report(f"'{args.name}' has {memory} MB; allowed: {low}..{high} MB.")


@resource_rule("lambda-image-size", "A function's image is no larger than the configured limit, as ECR measured it.",
               Severity.HIGH, _IMAGE_SIZE, LAMBDA_FUNCTION)
def lambda_image_size(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props):
        return
    limit_mb = setting(args.get_config(), _IMAGE_SIZE, "maxImageSizeMb")
    recorded = (args.props.get("tags") or {}).get(IMAGE_SIZE_TAG)
    if recorded is None:
        report(f"'{args.name}' does not carry the {IMAGE_SIZE_TAG} tag, so its image size cannot be checked; "
               "build the image with the ContainerImage component.")
    elif int(recorded) / 1_000_000 > limit_mb:
        report(f"'{args.name}' runs an image of {int(recorded) / 1_000_000:.1f} MB; the limit is {limit_mb} MB.")


@resource_rule("lambda-image-by-digest", "Functions reference their image by digest, never by a mutable tag.",
               Severity.HIGH, _DIGEST, LAMBDA_FUNCTION)
def lambda_image_by_digest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_image_function(args.props) or setting(args.get_config(), _DIGEST, "allowMutableTags"):
        return
    image_uri = args.props.get("imageUri") or ""
    if not _DIGEST_REFERENCE.match(image_uri):
        report(f"'{args.name}' references {image_uri!r}; use repository@sha256:<digest> so what runs "
               "cannot change under the same name.")
