"""``python -m core.cli`` is now ``python -m explorer`` (docs/cli.md).

The command line is an entry point above every layer (docs/architecture.md §Layers), so it
left ``core/``. For one release this module still works: it says so on stderr and runs the
new command in its place (``os.execv``: a new program, not an import, so ``core/`` keeps
importing nothing above it). Same arguments, same output, same exit codes.
"""
import os
import sys

NEW_COMMAND = "python -m explorer"


def main():
    """Tell the user the new command on stderr, then become it."""
    print(f"note: `python -m core.cli` is now `{NEW_COMMAND}`; running that.",
          file=sys.stderr, flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "explorer", *sys.argv[1:]])


if __name__ == "__main__":
    main()
