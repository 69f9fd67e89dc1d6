"""The front door: ``desktop-app`` opens the window; sub-commands do the same work headless (R32).

Each command path maps to its handler by a plain import (a frozen build's analysis sees every
one; a missing module is an ImportError at start, never "not available"). The window and the
Sandbox server are imported only when asked for (PySide6 costs a second at start), inside their
handlers below — still plain imports. Exit codes: ``cli/exits.py``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from desktop_app.cli import background, commands
from desktop_app.cli.exits import EXIT_REFUSED, CommandError, exit_code
from desktop_app.cli.parser import build_parser
from desktop_app.config.system import no_display

log = logging.getLogger(__name__)


NO_DISPLAY = ("desktop-app: there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is "
              "set). Without a desktop session, use the commands: `desktop-app sync run`, `desktop-app status`, "
              "`desktop-app history` (`desktop-app --help` lists them all).")


def _gui(args: argparse.Namespace) -> int:
    if no_display():
        print(NO_DISPLAY, file=sys.stderr)
        return EXIT_REFUSED
    from desktop_app.gui.app import main as gui_main

    return gui_main(args)


def _sandbox(name: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        from desktop_app.sandbox import cli as sandbox_cli

        return getattr(sandbox_cli, name)(args)

    handler.__name__ = f"sandbox_{name}"
    return handler


# command path -> handler; a handler takes the parsed args and returns an exit code.
HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "gui": _gui,
    "sandbox serve": _sandbox("serve"),
    "sandbox simulate": _sandbox("simulate"),
    "sandbox stats": _sandbox("stats"),
    "connect sandbox": commands.connect_sandbox,
    "connect zoho": commands.connect_zoho,
    "orgs": commands.orgs,
    "lists": commands.lists,
    "topics": commands.topics,
    "fields": commands.fields,
    "sync create": commands.sync_create,
    "sync edit": commands.sync_edit,
    "sync run": commands.sync_run,
    "sync pause": commands.sync_pause,
    "sync resume": commands.sync_resume,
    "schedule install": background.install,
    "schedule remove": background.remove,
    "schedule status": background.status,
    "autostart on": background.autostart_on,
    "autostart off": background.autostart_off,
    "autostart status": background.autostart_status,
    "status": commands.status,
    "history": commands.history,
    "export-skipped": commands.export_skipped,
    "disable": commands.disable,
}


def command_path(args: argparse.Namespace) -> str:
    if not args.command:
        return "gui"
    sub = getattr(args, f"{args.command.replace('-', '_')}_command", None)
    if args.command == "connect":
        sub = args.connect_kind
    return f"{args.command} {sub}" if sub else args.command


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = HANDLERS[command_path(args)]
    try:
        return int(handler(args) or 0)
    except CommandError as exc:
        print(f"desktop-app: {exc.message}", file=sys.stderr)
        return exit_code(exc.kind)
    except KeyboardInterrupt:
        print("desktop-app: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
