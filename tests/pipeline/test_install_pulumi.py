"""pipeline/install-pulumi.sh: the Deploy stage's Pulumi CLI, the version requirements.txt pins, installed only
when its SHA-256 is the one Pulumi's GitHub release lists.

The script runs for real under bash, in a temporary copy of what it reads, with HOME and TMPDIR of its own and a
fake `curl` first on PATH that serves local files by URL (and records each URL): nothing leaves the machine.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

VERSION = "3.272.0"
ARCHIVE = f"pulumi-v{VERSION}-linux-arm64.tar.gz"
ARCHIVE_URL = f"https://get.pulumi.com/releases/sdk/{ARCHIVE}"
CHECKSUMS_URL = f"https://github.com/pulumi/pulumi/releases/download/v{VERSION}/pulumi-{VERSION}-checksums.txt"
# requirements.txt as the project writes it: other pulumi-* pins around the SDK's.
REQUIREMENTS = f"""# The program's own dependencies.
pulumi-aws==7.51.1
pulumi=={VERSION}
pulumi-docker==5.2.0
"""


def pulumi_archive(version: str = VERSION, marker: str = "") -> bytes:
    """A release archive as Pulumi ships it: a pulumi/ folder with the CLI and its language hosts."""
    cli = f'#!/bin/sh\n# {marker}\n[ "$1" = version ] && echo "v{version}"\n'.encode()
    host = b"#!/bin/sh\nexit 0\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in (("pulumi/pulumi", cli), ("pulumi/pulumi-language-python", host)):
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode = len(content), 0o755
            archive.addfile(entry, io.BytesIO(content))
    return buffer.getvalue()


def checksums(listed: dict[str, bytes]) -> str:
    """The release's checksums file: `<sha256>  <name>` per asset, as sha256sum writes it."""
    return "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in listed.items())


class Installer:
    """A scratch checkout with the script and a requirements.txt, a HOME, a TMPDIR and a fake curl."""

    def __init__(self, root: Path, requirements: str):
        self.checkout, self.home, self.tmp, self.served = (root / "checkout", root / "home", root / "tmp",
                                                          root / "served")
        for folder in (self.checkout / "pipeline", self.home, self.tmp, self.served, root / "bin"):
            folder.mkdir(parents=True)
        (self.checkout / "pipeline" / "install-pulumi.sh").write_bytes(
            (PROJECT_DIR / "pipeline" / "install-pulumi.sh").read_bytes())
        (self.checkout / "requirements.txt").write_text(requirements)
        self.routes: dict[str, str] = {}
        self.asked = root / "curl-urls.txt"
        self.bin = root / "bin"
        curl = self.bin / "curl"
        curl.write_text(f"""#!{sys.executable}
# curl -fsSL --retry N -o FILE URL, answered from local files; an unknown URL is a 404 (exit 22, as with -f).
import json, shutil, sys
args = sys.argv[1:]
url, output = args[-1], args[args.index("-o") + 1]
with open({str(self.asked)!r}, "a") as asked:
    asked.write(url + "\\n")
routes = json.load(open({str(root / "routes.json")!r}))
if url not in routes:
    sys.stderr.write(f"curl: (22) The requested URL returned error: 404\\n")
    sys.exit(22)
shutil.copyfile(routes[url], output)
""")
        curl.chmod(0o755)

    def serve(self, url: str, content: bytes) -> None:
        path = self.served / str(len(self.routes))
        path.write_bytes(content)
        self.routes[url] = str(path)

    def run(self) -> subprocess.CompletedProcess:
        (self.asked.parent / "routes.json").write_text(json.dumps(self.routes))
        environment = {"PATH": f"{self.bin}{os.pathsep}/usr/bin:/bin", "HOME": str(self.home),
                       "TMPDIR": str(self.tmp), "LC_ALL": "C"}
        return subprocess.run(["bash", "pipeline/install-pulumi.sh"], cwd=self.checkout, env=environment,
                              capture_output=True, text=True, timeout=60)

    def urls(self) -> list[str]:
        return self.asked.read_text().splitlines() if self.asked.exists() else []

    @property
    def installed(self) -> Path:
        return self.home / ".pulumi" / "bin"


@pytest.fixture
def installer(tmp_path) -> Installer:
    return Installer(tmp_path, REQUIREMENTS)


def release_assets(installer: Installer, archive: bytes, listed: dict[str, bytes]) -> None:
    installer.serve(ARCHIVE_URL, archive)
    installer.serve(CHECKSUMS_URL, checksums(listed).encode())


OTHER_ASSETS = {f"pulumi-v{VERSION}-linux-x64.tar.gz": b"x64", f"pulumi-v{VERSION}-darwin-arm64.tar.gz": b"darwin",
                f"pulumi-v{VERSION}-windows-x64.zip": b"windows"}


def test_a_verified_archive_is_installed_into_home_and_its_version_printed(installer):
    archive = pulumi_archive()
    release_assets(installer, archive, {**OTHER_ASSETS, ARCHIVE: archive})

    finished = installer.run()

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == f"v{VERSION}"
    assert sorted(p.name for p in installer.installed.iterdir()) == ["pulumi", "pulumi-language-python"]
    assert os.access(installer.installed / "pulumi", os.X_OK)
    assert list(installer.tmp.iterdir()) == []  # the download folder is removed


def test_it_downloads_the_pinned_version_from_get_pulumi_com_and_its_checksums_from_github(installer):
    archive = pulumi_archive()
    release_assets(installer, archive, {ARCHIVE: archive})
    assert installer.run().returncode == 0
    assert installer.urls() == [ARCHIVE_URL, CHECKSUMS_URL]


def test_a_tampered_archive_is_refused_and_nothing_installed(installer):
    published = pulumi_archive()
    release_assets(installer, pulumi_archive(marker="tampered on the way"), {ARCHIVE: published})

    finished = installer.run()

    assert finished.returncode != 0
    assert f"{ARCHIVE}: FAILED" in finished.stdout + finished.stderr
    assert not (installer.home / ".pulumi").exists()
    assert list(installer.tmp.iterdir()) == []


def test_checksums_that_do_not_list_the_archive_are_refused(installer):
    archive = pulumi_archive()
    release_assets(installer, archive, OTHER_ASSETS)

    finished = installer.run()

    assert finished.returncode != 0
    assert f"the checksums of v{VERSION} do not list {ARCHIVE}" in finished.stderr
    assert not (installer.home / ".pulumi").exists()


def test_a_checksum_listed_for_a_longer_name_does_not_count(installer):
    """Only the line for exactly this archive counts, not one whose name merely ends with it."""
    archive = pulumi_archive()
    release_assets(installer, archive, {f"x{ARCHIVE}": archive, f"{ARCHIVE}.sig": archive})
    finished = installer.run()
    assert finished.returncode != 0
    assert f"do not list {ARCHIVE}" in finished.stderr
    assert not (installer.home / ".pulumi").exists()


def test_a_download_that_fails_installs_nothing(installer):
    installer.serve(CHECKSUMS_URL, checksums({ARCHIVE: pulumi_archive()}).encode())  # the archive is a 404
    finished = installer.run()
    assert finished.returncode == 22
    assert not (installer.home / ".pulumi").exists()


def test_requirements_without_a_pulumi_pin_are_refused_before_any_download(tmp_path):
    installer = Installer(tmp_path, "pulumi-aws==7.51.1\npulumi-docker==5.2.0\n")
    finished = installer.run()
    assert finished.returncode == 1
    assert "requirements.txt pins no pulumi==<version>" in finished.stderr
    assert installer.urls() == []


def test_with_the_projects_requirements_it_fetches_the_sdks_version(tmp_path):
    """The CLI is the version of the SDK the program runs with (requirements.txt, installed in the venv)."""
    sdk = metadata.version("pulumi")
    installer = Installer(tmp_path, (PROJECT_DIR / "requirements.txt").read_text())
    archive_name = f"pulumi-v{sdk}-linux-arm64.tar.gz"
    archive = pulumi_archive(sdk)
    installer.serve(f"https://get.pulumi.com/releases/sdk/{archive_name}", archive)
    installer.serve(f"https://github.com/pulumi/pulumi/releases/download/v{sdk}/pulumi-{sdk}-checksums.txt",
                    checksums({archive_name: archive}).encode())
    finished = installer.run()
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == f"v{sdk}"
    assert installer.urls()[0].endswith(f"/pulumi-v{sdk}-linux-arm64.tar.gz")
