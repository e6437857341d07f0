"""``python -m explorer``: the command line (explorer/cli.py, docs/cli.md)."""
import sys

from explorer.cli import main

sys.exit(main())
