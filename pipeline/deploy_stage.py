"""`python -m pipeline.deploy_stage`: the PulumiUp action's steps around its `pulumi up`.

`digests --stack S --setting lambdakit:imageDigests` puts the digests the scan gate passed (IMAGE_DIGESTS, words
NAME=sha256:…, one per function) into the stack's array setting, as the Pulumi CLI takes an array:

    pulumi config rm --stack S lambdakit:imageDigests
    pulumi config set-all --stack S --path --plaintext 'lambdakit:imageDigests[0]=api=sha256:…' --plaintext …

- `rm` first: the pipeline deploys exactly what it scanned, whatever entries the stack file holds. Removing a key the
  file lacks is no error (sdk/go/common/resource/config/map.go, Map.Remove: a plain delete).
- `set-all --path` with one `--plaintext KEY[i]=VALUE` an entry: the CLI's documented way to fill a list ("pulumi
  config set-all --path --plaintext "names[0]"=a --plaintext "names[1]"=b will set the value to a list",
  pulumi.com/docs/iac/cli/commands/pulumi_config_set-all). It splits each pair at its first "="
  (pkg/cmd/pulumi/config/config.go, parseKeyValuePair: strings.SplitN(pair, "=", 2)), so the entry keeps its own
  "=", and under --path a value other than true, false or an integer stays a string (pulumi config set's help).

`versions` reads `pulumi stack output functions --json` on stdin and prints {function name: its version} as compact
JSON: what the action exports as FUNCTION_VERSIONS, from which each Canary action takes its own function's version.

Exit codes: 0 done, 1 a pulumi command failed, 2 bad input (a malformed digest, a name twice, an output that is not
the program's).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from typing import Optional

_ENTRY = re.compile(r"^(?P<name>[a-z0-9][a-z0-9-]{0,30})=(?P<digest>sha256:[0-9a-f]{64})$")
PUBLISHED_VERSION = re.compile(r"^[1-9][0-9]*$")  # a Lambda version number; pipeline/release.py checks it too


class BadInput(ValueError):
    pass


def digest_entries(words: str) -> list[str]:
    """The IMAGE_DIGESTS words, checked: each NAME=sha256:<64 hex>, each name once, at least one."""
    entries = words.split()
    if not entries:
        raise BadInput("IMAGE_DIGESTS is empty: the pipeline passes one NAME=sha256:… per function")
    names = []
    for entry in entries:
        found = _ENTRY.match(entry)
        if not found:
            raise BadInput(f"IMAGE_DIGESTS entry {entry!r} is not NAME=sha256:<64 hex digits> (did a scan pass?)")
        names.append(found["name"])
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise BadInput(f"IMAGE_DIGESTS names {', '.join(repeated)} more than once")
    return entries


def config_commands(stack: str, setting: str, entries: list[str]) -> list[list[str]]:
    """The two pulumi commands that make `setting` exactly these entries."""
    pairs = [word for index, entry in enumerate(entries) for word in ("--plaintext", f"{setting}[{index}]={entry}")]
    return [["pulumi", "config", "rm", "--stack", stack, setting],
            ["pulumi", "config", "set-all", "--stack", stack, "--path", *pairs]]


def function_versions(outputs: object) -> dict[str, str]:
    """{function name: version} from the stack's `functions` output ({folder: {functionName, functionVersion, …}})."""
    if not isinstance(outputs, dict) or not outputs:
        raise BadInput("the `functions` output must be an object of the stack's functions")
    versions = {}
    for name, function in outputs.items():
        if not isinstance(function, dict) or not isinstance(function.get("functionName"), str):
            raise BadInput(f"functions.{name} has no functionName")
        version = str(function.get("functionVersion"))
        if not PUBLISHED_VERSION.match(version):
            raise BadInput(f"functions.{name}.functionVersion = {version!r}: not a published version number")
        versions[function["functionName"]] = version
    return versions


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.deploy_stage", description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    digests = steps.add_parser("digests", help="IMAGE_DIGESTS into the stack's array setting")
    digests.add_argument("--stack", required=True, help="organization/project/stack")
    digests.add_argument("--setting", required=True, help="the array setting, namespace:key")
    steps.add_parser("versions", help="the `functions` output (stdin) as {function name: version}")
    args = parser.parse_args(argv)
    try:
        if args.step == "versions":
            print(json.dumps(function_versions(json.load(sys.stdin)), separators=(",", ":"), sort_keys=True))
            return 0
        commands = config_commands(args.stack, args.setting, digest_entries(os.environ.get("IMAGE_DIGESTS", "")))
    except (BadInput, json.JSONDecodeError) as bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    for command in commands:
        print("+ " + " ".join(command), file=sys.stderr, flush=True)
        if subprocess.run(command).returncode != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
