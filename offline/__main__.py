"""Entry point: `python -m offline preview --stack dev`, `python -m offline rehearse --stack prod`."""

import sys

from offline import preview, rehearse

COMMANDS = {"preview": preview.main, "rehearse": rehearse.main}

USAGE = "usage: python -m offline {preview,rehearse} [options]; see python -m offline preview --help"

if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
    print(USAGE)
    sys.exit(0)
if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    unknown = f"unknown command {sys.argv[1]!r}\n" if len(sys.argv) > 1 else ""
    print(f"{unknown}{USAGE}", file=sys.stderr)
    sys.exit(2)  # a usage error, as argparse ends one
sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
