"""Entry point: `python -m offline preview --stack dev`, `python -m offline rehearse --stack prod`."""

import sys

from offline import preview, rehearse

COMMANDS = {"preview": preview.main, "rehearse": rehearse.main}

if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
    print("usage: python -m offline {preview,rehearse} [options]; see python -m offline preview --help",
          file=sys.stderr)
    sys.exit(2)  # a usage error, as argparse ends one
sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
