"""The `api` routes written with AWS Lambda Powertools, only to measure it against the standard
library version in functions/api (bench/function_image.py): same routes, same answers."""

import os
from datetime import datetime, timezone

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
from aws_lambda_powertools.logging import correlation_paths

logger = Logger(service="api")
resolver = LambdaFunctionUrlResolver()


@resolver.get("/")
@resolver.post("/")
def root():
    request = resolver.current_event
    answer = {"message": "hello from lambdakit", "method": request.http_method, "path": request.path,
              "timestamp": datetime.now(timezone.utc).isoformat()}
    if request.http_method == "POST":
        answer["echo"] = request.json_body
    return answer


@resolver.get("/health")
def health():
    return {"status": "healthy", "environment": os.environ.get("ENVIRONMENT", "unknown")}


@resolver.get("/info")
def info():
    context = resolver.lambda_context
    return {"functionName": context.function_name, "functionVersion": context.function_version,
            "memoryLimitMb": int(context.memory_limit_in_mb), "requestId": context.aws_request_id}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL)
def handler(event, context):
    return resolver.resolve(event, context)
