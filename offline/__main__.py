"""Entry point: `python -m offline preview --stack dev`, `python -m offline rehearse --stack prod`."""

import importlib
import sys

# Each command's module, imported only when that command runs: a preview need not load the rehearsal's.
COMMANDS = {"preview": "offline.preview", "rehearse": "offline.rehearse"}

USAGE = "usage: python -m offline {preview,rehearse} [options]; see python -m offline preview --help"

if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
    print(USAGE)
    sys.exit(0)
if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    unknown = f"unknown command {sys.argv[1]!r}\n" if len(sys.argv) > 1 else ""
    print(f"{unknown}{USAGE}", file=sys.stderr)
    sys.exit(2)  # a usage error, as argparse ends one
sys.exit(importlib.import_module(COMMANDS[sys.argv[1]]).main(sys.argv[2:]))
