"""The `functionfirst` command: serve the app, manage keys, start the sandbox EHR."""

from __future__ import annotations

import argparse
import os
import sys

from launch.errors import LaunchError
from smartapp.config import KEYS, ConfigError

USAGE = """usage: functionfirst {serve,keys,sandbox} ...

  serve [--host H] [--port P]   run the app (werkzeug's threaded server: development and sandbox;
                                in production run gunicorn 'smartapp:create_app()')
  keys generate|rotate|prune|show [--path FILE]
                                manage the signing keys (default file: FUNCTIONFIRST_KEYS)
  sandbox ...                   start the sandbox EHR with the app (python -m sandbox --help)
"""


def serve(argv: list[str]) -> int:
    """Run the app on werkzeug's threaded server; configuration errors print one line."""
    parser = argparse.ArgumentParser(prog="functionfirst serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    from werkzeug.serving import WSGIRequestHandler, run_simple

    from smartapp import create_app

    try:
        app = create_app()
    except (ConfigError, LaunchError) as exc:
        print(f"functionfirst: configuration error: {exc}", file=sys.stderr)
        return 2

    class QuietHandler(WSGIRequestHandler):
        """Request lines without the query string (it carries codes and state: smart.md 70)."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = self.path.split("?", 1)[0]
            self.log("info", '"%s %s" %s %s', self.command, path, code, size)

    run_simple(args.host, args.port, app, threaded=True, request_handler=QuietHandler)
    return 0


def keys(argv: list[str]) -> int:
    """Pass `keys ...` to the launch package's key tool (`--path` is an alias of `--file`)."""
    from launch.keys import cli

    translated = ["--file" if arg == "--path" else arg for arg in argv]
    translated = [
        f"--file={arg.split('=', 1)[1]}" if arg.startswith("--path=") else arg for arg in translated
    ]
    return cli(translated, default_path=os.environ.get(KEYS) or None)


def main(argv: list[str] | None = None) -> int:
    """Dispatch a sub-command; `functionfirst --help` lists them."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        # The sandbox stands apart (no project package imports it): run it as its own module.
        os.execv(sys.executable, [sys.executable, "-m", "sandbox", *args[1:]])  # noqa: S606
    if args and args[0] == "serve":
        return serve(args[1:])
    if args and args[0] == "keys":
        return keys(args[1:])
    print(USAGE, file=sys.stderr if args[:1] not in (["-h"], ["--help"]) else sys.stdout)
    return 0 if args[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    raise SystemExit(main())
