"""The ``sik-llms`` command line: a thin dispatcher over importable functions.

Each subcommand lives in ``harness/cli/commands/<name>.py`` and defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``, and may name what it needs beyond the base
install: ``EXTRA`` (the pip extra, e.g. ``"load"``) and ``REQUIRES`` (the modules that extra
brings). Modules are imported only when their command runs, so ``sik-llms --help`` stays fast and
a missing optional extra only affects the command that needs it, with one line saying which extra
to install instead of a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import importlib.util
import signal
import sys
import threading
import traceback
from collections.abc import Sequence

from harness.user_input import OneLineParser, UserError, check_args, debug_tracebacks, one_line

COMMANDS: dict[str, str] = {
    "demo": "an offline, deterministic tour of the guide's X-ray view (the main job)",
    "replay": "replay every LLM call of a vcrpy cassette through sik_llms and print its span tree",
    "record": "record the project's cassette suite against the simulator (or a real provider)",
    "simulate": "run the OpenAI / Anthropic provider simulator on loopback",
    "collect": "run a loopback OTLP/HTTP collector that counts and stores what arrives",
    "scan": "scan cassettes (or any files) for key-shaped secrets",
    "semconv": "check sik_llms's telemetry against the OpenTelemetry GenAI conventions on recordings",
    "bench": "measure what telemetry costs per call, next to the bare SDKs and the peers",
    "load": "run bounded locust loads against the simulator and summarise them",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sik-llms",
        description="sik-llms: an LLM client with honest OpenTelemetry, and the harness that tests it.",
        epilog="Run 'sik-llms COMMAND --help' for a command's options. Start with 'sik-llms demo'.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def missing_modules(modules: Sequence[str]) -> list[str]:
    """The modules among ``modules`` (dotted names allowed) that cannot be imported here."""

    def absent(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is None
        except ModuleNotFoundError:  # a parent package is missing
            return True

    return [m for m in modules if absent(m)]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        if argv and argv[0] not in ("-h", "--help"):
            print(
                f"sik-llms: unknown command {argv[0]!r} (choose from {', '.join(COMMANDS)})",
                file=sys.stderr,
            )
            return 2
        parser.print_help()
        return 0
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(f"harness.cli.commands.{name}")
    if missing := missing_modules(getattr(module, "REQUIRES", ())):
        extra = getattr(module, "EXTRA", "harness")
        print(
            f"sik-llms {name}: needs the '{extra}' extra (missing {', '.join(missing)}): "
            f"pip install 'sik-llms[{extra}]'",
            file=sys.stderr,
        )
        return 2
    sub = OneLineParser(prog=f"sik-llms {name}", description=module.HELP)
    module.add_arguments(sub)
    args = sub.parse_args(rest)
    # Bad input is one line and a non-zero exit, whichever command and wherever it is found:
    # shared options are checked before the command starts, and what a command raises is
    # rendered here (UserError / ValueError: 2; OSError and anything unexpected: 1).
    previous = _stop_on_sigterm()
    try:
        check_args(name, args)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Terminated:
        return 128 + signal.SIGTERM
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except (UserError, ValueError) as exc:
        _fail(name, one_line(exc), exc)
        return 2
    except OSError as exc:
        _fail(name, _os_error(args, exc), exc)
        return 1
    except Exception as exc:
        _fail(
            name, f"unexpected error: {one_line(exc)} (set SIK_LLMS_TRACEBACK=1 to see where)", exc
        )
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM reached a command: raised in the main thread so every ``finally`` (workers,
    simulators, collectors the command started) runs before the process exits with 143."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def _stop_on_sigterm() -> object | None:
    """Turn SIGTERM into ``Terminated`` while a command runs (main thread only; the previous
    handler is returned so an in-process caller gets it back). Python's default for SIGTERM
    ends the process at once, leaving the subprocesses a command started running."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_terminated)


def _os_error(args: argparse.Namespace, exc: OSError) -> str:
    port = getattr(args, "port", None)
    if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL) and port is not None:
        host = getattr(args, "host", None) or "127.0.0.1"
        return f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port (0 picks a free one)"
    return one_line(exc)


def _fail(name: str, message: str, exc: BaseException) -> None:
    if debug_tracebacks():
        traceback.print_exception(exc)
    print(f"sik-llms {name}: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
