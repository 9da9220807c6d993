"""Every container function is built by the same Dockerfile (docs/function.md#the-image): the final stage FROM
scratch with only what a function runs, whatever the function."""

import re

from tests.conftest import PROJECT_DIR

API_DOCKERFILE = PROJECT_DIR / "functions" / "api" / "Dockerfile"


def test_every_container_function_has_the_same_dockerfile():
    dockerfiles = sorted(PROJECT_DIR.glob("functions/*/Dockerfile"))
    assert API_DOCKERFILE in dockerfiles
    different = [str(path.relative_to(PROJECT_DIR)) for path in dockerfiles
                 if path.read_bytes() != API_DOCKERFILE.read_bytes()]
    assert different == [], "copy functions/api/Dockerfile over these (docs/function.md#the-image)"


def test_the_final_stage_is_scratch_and_the_only_base_is_the_pinned_builder():
    text = API_DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?$", text, re.MULTILINE)
    assert stages == [("${BUILDER_IMAGE}", "builder"), ("scratch", "")]
    assert re.findall(r"^ARG (\w+)=", text, re.MULTILINE) == ["BUILDER_IMAGE"]
    # Nothing of the builder's reaches the final stage but the folder it assembles.
    final = re.split(r"^FROM scratch$", text, flags=re.MULTILINE)[1]
    assert re.findall(r"^(?:COPY|ADD|RUN)\b.*$", final, re.MULTILINE) == ["COPY --from=builder /rootfs /"]
