"""``desktop-app``: the command line (``main``), its parser, commands and exit codes."""

from desktop_app.cli.exits import (
    EXIT_DEFERRED,
    EXIT_FAILED,
    EXIT_NEEDS_DECISION,
    EXIT_OK,
    EXIT_REFUSED,
    CommandError,
)
from desktop_app.cli.main import HANDLERS, command_path, main
from desktop_app.cli.parser import SCHEDULE_HELP, build_parser

__all__ = ["EXIT_DEFERRED", "EXIT_FAILED", "EXIT_NEEDS_DECISION", "EXIT_OK", "EXIT_REFUSED", "HANDLERS",
           "SCHEDULE_HELP", "CommandError", "build_parser", "command_path", "main"]
