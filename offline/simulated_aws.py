"""Simulated providers for Pulumi's mock engine: what AWS and Docker would answer to `pulumi up`.

Each resource gets the outputs its real provider computes (ARNs, URLs, a pushed image's digest)
so that everything downstream of them is known, as it is during a real update.
"""

import hashlib
import secrets
from typing import Optional

import pulumi
from pulumi.runtime import rpc

ACCOUNT_ID = "123456789012"


def _short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class SimulatedCloud(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes like the AWS and Docker providers.

    `image_size_bytes` is what ECR reports for the pushed image. None means the image has not
    been pushed, as in a preview before the first `up`: its digest is unknown, so the engine
    never asks ECR for its size and everything built on either stays unknown.
    """

    def __init__(self, region: str = "eu-west-1", image_size_bytes: Optional[int] = None):
        self.region = region
        self.image_size_bytes = image_size_bytes

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if not args.custom:
            return "", {}
        inputs = dict(args.inputs)
        name = inputs.get("name") or f"{args.name}-{_short_hash(args.name, 7)}"
        outputs = {"name": name, **self._computed(args.typ, name, inputs)}
        return outputs.pop("id", name), {**inputs, **outputs}

    def _computed(self, typ: str, name: str, inputs: dict) -> dict:
        if typ == "aws:ecr/repository:Repository":
            return {"arn": self._arn("ecr", f"repository/{name}"), "registryId": ACCOUNT_ID,
                    "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com/{name}"}
        if typ == "docker:index/image:Image":
            repository = inputs["imageName"].rsplit(":", 1)[0]
            digest = hashlib.sha256(inputs["imageName"].encode()).hexdigest()
            pushed = self.image_size_bytes is not None
            return {"id": f"sha256:{digest}", "baseImageName": inputs["imageName"],
                    "registryServer": repository.split("/", 1)[0],
                    "repoDigest": f"{repository}@sha256:{digest}" if pushed else rpc.UNKNOWN}
        if typ == "aws:lambda/function:Function":
            arn = self._arn("lambda", f"function:{name}")
            return {"arn": arn, "version": "1", "qualifiedArn": f"{arn}:1",
                    "invokeArn": f"arn:aws:apigateway:{self.region}:lambda:path/functions/{arn}/invocations"}
        if typ == "aws:lambda/alias:Alias":
            return {"arn": self._arn("lambda", f"function:{inputs['functionName']}:{name}")}
        if typ == "aws:lambda/functionUrl:FunctionUrl":
            url_id = _short_hash(f"{inputs['functionName']}:{inputs.get('qualifier')}", 32)
            return {"functionUrl": f"https://{url_id}.lambda-url.{self.region}.on.aws/", "urlId": url_id}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": self._arn("logs", f"log-group:{name}")}
        if typ == "aws:sqs/queue:Queue":
            return {"arn": self._arn("sqs", name),
                    "url": f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{name}"}
        if typ == "aws:iam/role:Role":
            return {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"}
        return {"arn": self._arn(typ.split(":")[1].split("/")[0], name)}

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/deployer",
                    "userId": "AIDAEXAMPLE", "id": ACCOUNT_ID}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            # A fresh password on every call, as ECR hands out: a diff that depends on it would show.
            return {"userName": "AWS", "password": secrets.token_urlsafe(24),
                    "proxyEndpoint": f"https://{ACCOUNT_ID}.dkr.ecr.{self.region}.amazonaws.com"}
        if args.token == "aws:ecr/getImage:getImage" and self.image_size_bytes is not None:
            return {"imageDigest": args.args.get("imageDigest"), "imageSizeInBytes": self.image_size_bytes,
                    "repositoryName": args.args.get("repositoryName")}
        raise NotImplementedError(f"the simulated cloud does not answer {args.token}")
