"""The `functionfirst` command: serve the app, manage keys, start the sandbox EHR."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch a sub-command; `functionfirst --help` lists them."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        # The sandbox stands apart (no project package imports it): run it as its own module.
        os.execv(sys.executable, [sys.executable, "-m", "sandbox", *args[1:]])  # noqa: S606
    print("usage: functionfirst {sandbox} ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
