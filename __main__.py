"""lambdakit: build the function's image, push it to ECR, run it on Lambda."""

from pathlib import Path

import pulumi

from components.container_function import ContainerFunction, ContainerFunctionArgs
from components.container_image import ContainerImage, ContainerImageArgs
from settings import read_stack_settings

settings = read_stack_settings()

image = ContainerImage(settings.app, ContainerImageArgs(
    repository_name=settings.function_name,
    context_dir=Path("functions", settings.app),
    platform=settings.platform,
    scan_on_push=settings.ecr_scan_on_push,
    tag_mutability=settings.ecr_tag_mutability,
    expire_untagged_days=settings.ecr_expire_untagged_days,
    keep_last_images=settings.ecr_keep_last_images,
    force_delete=settings.ecr_force_delete,
    puller_function_name=settings.function_name,
    tags=settings.tags,
))

function = ContainerFunction(settings.app, ContainerFunctionArgs(
    function_name=settings.function_name,
    image_uri=image.image_uri,
    image_size_bytes=image.image_size_bytes,
    architecture=settings.architecture,
    memory_mb=settings.memory_mb,
    timeout_seconds=settings.timeout_seconds,
    ephemeral_storage_mb=settings.ephemeral_storage_mb,
    reserved_concurrency=settings.reserved_concurrency,
    provisioned_concurrency=settings.provisioned_concurrency,
    log_retention_days=settings.log_retention_days,
    log_level=settings.log_level,
    url_auth_type=settings.function_url_auth_type,
    cors_allow_origins=settings.cors_allow_origins,
    environment=settings.function_environment,
    tags=settings.tags,
))

pulumi.export("functionUrl", function.function_url)
pulumi.export("aliasArn", function.alias_arn)
pulumi.export("imageUri", image.image_uri)
pulumi.export("repositoryUrl", image.repository_url)
