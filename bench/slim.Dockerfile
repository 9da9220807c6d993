# For bench/function_image.py: the function's image before the final stage FROM scratch (issue 25), kept to
# measure the new one against: the same builder, and a final stage on the python:3.12-slim-bookworm base.
#
# The `api` function's image: dependencies resolved in a builder stage; the final stage holds
# only the Python runtime, the Lambda runtime interface client, its dependencies and the code.
#
# Base images are build arguments, pinned by digest (the multi-platform index of
# python:3.12-slim-bookworm). Both must be the same Python; the builder also needs pip. They come
# from ECR Public's mirror of Docker's official images (same digests): Docker Hub limits anonymous
# pulls per address, and CodeBuild's builds share addresses, so a Build would fail now and then
# with HTTP 429.
# Platform: `docker build --platform linux/arm64` (the default of the stacks) or linux/amd64.
ARG BUILDER_IMAGE=public.ecr.aws/docker/library/python:3.12-slim-bookworm@sha256:a116514e19457bcb7af7efe9c3dd0b9b71e85b317694e7882a1c52aa15a78134
ARG RUNTIME_IMAGE=public.ecr.aws/docker/library/python:3.12-slim-bookworm@sha256:a116514e19457bcb7af7efe9c3dd0b9b71e85b317694e7882a1c52aa15a78134

FROM ${BUILDER_IMAGE} AS builder
WORKDIR /build
COPY requirements.txt .
# Wheels only: nothing is compiled, so no compiler is needed anywhere. Bytecode is compiled here
# because Lambda's filesystem is read-only: a module without its .pyc is recompiled on every cold
# start. unchecked-hash .pyc files stay valid whatever the copied files' timestamps.
RUN python3 -m pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: \
        --target /opt/deps -r requirements.txt \
 && rm -rf /opt/deps/bin \
 && python3 -m compileall -q --invalidation-mode unchecked-hash /opt/deps
COPY app.py /var/task/
RUN python3 -m compileall -q --invalidation-mode unchecked-hash /var/task

FROM ${RUNTIME_IMAGE}
# The final stage runs no installer: take pip away if the base carries one.
RUN if python3 -m pip --version >/dev/null 2>&1; then python3 -m pip uninstall --yes --quiet pip; fi
COPY --from=builder /opt/deps /opt/deps
COPY --from=builder /var/task /var/task
ENV PYTHONPATH=/opt/deps \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LAMBDA_TASK_ROOT=/var/task
WORKDIR /var/task
USER 10001:10001
ENTRYPOINT ["python3", "-m", "awslambdaric"]
CMD ["app.handler"]
