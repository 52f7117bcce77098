"""`python -m reports RUN_DIR`: write the run's report.html and print its path."""

from __future__ import annotations

import sys
from pathlib import Path

from reports import RunFolderError, build_report

USAGE = "usage: python -m reports RUN_DIR"


def main(argv: list[str] | None = None) -> int:
    """Build the report of the run folder named on the command line; 0 on success."""
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if len(args) != 1:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        path = build_report(Path(args[0]))
    except RunFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
