"""Entry point: `python -m offline preview --stack dev`."""

import sys

from offline.preview import main

if len(sys.argv) < 2 or sys.argv[1] != "preview":
    sys.exit("usage: python -m offline preview [--stack STACK] [options]; see python -m offline preview --help")
sys.exit(main(sys.argv[2:]))
