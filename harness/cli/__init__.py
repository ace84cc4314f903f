"""The ``sik-llms`` command line: ``main`` (in ``harness.cli.main``) dispatches to one module
per subcommand in ``harness.cli.commands``."""

from harness.cli.main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
