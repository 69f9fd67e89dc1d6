"""The ``desktop-app`` command line: its arguments (argparse), in one table-like function."""

from __future__ import annotations

import argparse

from desktop_app import __version__
from desktop_app.config import APP_DISPLAY_NAME, DATA_CENTERS
from desktop_app.connectors.auth import SELF_CLIENT_SCOPES

SCHEDULE_HELP = "every-1h|every-2h|every-4h|every-6h|every-12h|daily@HH:MM|weekly@mon@HH:MM"


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-app",
        description=f"{APP_DISPLAY_NAME}: sync Zoho Books customers into a Zoho Campaigns list. "
        "With no command, opens the window (on the Sandbox when nothing is configured).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--minimized", action="store_true",
                        help="open in the tray without showing the window (as at login); without a tray, the "
                        "window opens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    # --- sandbox
    sb = sub.add_parser("sandbox", help="the embedded Zoho-compatible Sandbox server")
    sbs = sb.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = sbs.add_parser("serve", help="run the Sandbox server in the foreground")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    serve.add_argument("--customers", type=int, default=None, help="seed N customers (default 1500)")
    serve.add_argument("--seed", type=int, default=None, help="random seed (same seed, same data)")
    serve.add_argument("--latency-ms", type=int, default=0, help="added latency per call")
    serve.add_argument("--fault-rate", type=float, default=0.0, help="share of calls that fail (0..1)")
    serve.add_argument("--limits", default="on", help="on | off | scale=K (divide every window by K)")
    serve.add_argument("--owner-email", default=None, help="Campaigns account owner (R3 tests)")
    serve.add_argument("--reset", action="store_true", help="discard the Sandbox state and seed again")
    sim = sbs.add_parser("simulate", help="edit N random customers, as a user of Books would")
    sim.add_argument("--changes", type=int, required=True)
    stats = sbs.add_parser("stats", help="the Sandbox's counts")
    _json_flag(stats)

    # --- connect
    con = sub.add_parser("connect", help="associate a Books organization and a Campaigns account")
    cons = con.add_subparsers(dest="connect_kind", metavar="KIND", required=True)
    csb = cons.add_parser("sandbox", help="use the embedded Sandbox (no account needed)")
    csb.add_argument("--org", default=None, help="organization id")
    cz = cons.add_parser("zoho", help="sign in to Zoho (browser, or a Self Client grant code)")
    cz.add_argument("--dc", required=True, choices=sorted(DATA_CENTERS), type=str.upper)
    cz.add_argument("--client-id", required=True)
    cz.add_argument("--code", default=None,
                    help="a Self Client grant code (headless sign-in; generate it with the scopes "
                         f"{SELF_CLIENT_SCOPES})")
    cz.add_argument("--org", default=None, help="organization id (needed when there are several)")

    for name, what in (("orgs", "Books organizations"), ("lists", "Campaigns mailing lists"),
                       ("topics", "Campaigns topics"), ("fields", "Books and Campaigns fields")):
        _json_flag(sub.add_parser(name, help=f"the {what} of the connected accounts"))

    # --- sync
    sy = sub.add_parser("sync", help="create, run, pause, resume or edit the sync")
    sys_ = sy.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    for action in ("create", "edit"):
        p = sys_.add_parser(action, help=f"{action} the sync (the wizard, headless)")
        p.add_argument("--list", dest="list_", required=(action == "create"), metavar="NAME_OR_KEY")
        p.add_argument("--subscription", choices=["marketing", "non-marketing"],
                       default=("marketing" if action == "create" else None))
        p.add_argument("--topic", action="append", default=None, metavar="ID")
        p.add_argument("--lawful-basis", default=None, metavar="BASIS",
                       help="only when the Campaigns account has a Lawful Basis field")
        p.add_argument("--gdpr", choices=["on", "off"], default=None,
                       help="whether GDPR compliance is on in Zoho Campaigns (asked when the account has no "
                       "Lawful Basis field)")
        p.add_argument("--update-empty", action=argparse.BooleanOptionalAction, default=None)
        p.add_argument("--schedule", default=None, metavar="SPEC", help=SCHEDULE_HELP)
        p.add_argument("--map", action="append", default=None, metavar="'Books field=Campaigns field[:new]'")
        p.add_argument("--yes", action="store_true", help="accept the auto-upgrade disclaimer")
        if action == "create":
            p.add_argument("--no-run", action="store_true", help="do not start the first sync now")
        else:
            p.add_argument("--accept-double-opt-in", action="store_true",
                           help="the list sends confirmation emails: send them to every customer (each "
                           "joins the list after confirming)")
    run = sys_.add_parser("run", help="run the sync now (exit 0 completed, 1 failed, 3 deferred, "
                          "4 needs your decision)")
    run.add_argument("--full", action="store_true", help="force a full reconciliation")
    run.add_argument("--if-due", action="store_true",
                     help="run only when the schedule says so and the sync is not paused (for cron)")
    sys_.add_parser("pause", help="stop scheduled runs")
    sys_.add_parser("resume", help="re-enable scheduled runs")

    bg = sub.add_parser("schedule", help="run the sync on its schedule while the window is closed (a systemd "
                        "user timer, a launchd agent or a Windows scheduled task around `sync run --if-due`)")
    bgs = bg.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    bgs.add_parser("install", help="install (or update) the background schedule and start it")
    bgs.add_parser("remove", help="stop and remove the background schedule")
    _json_flag(bgs.add_parser("status", help="whether the background schedule is installed and active"))
    login = sub.add_parser("autostart", help="start the app at login, minimised to the tray (its scheduler "
                           "then runs the sync all day)")
    logins = login.add_subparsers(dest="autostart_command", metavar="ACTION", required=True)
    logins.add_parser("on", help="start at login")
    logins.add_parser("off", help="do not start at login")
    logins.add_parser("status", help="whether the app starts at login")

    _json_flag(sub.add_parser("status", help="the sync, its schedule and last run"))
    _json_flag(sub.add_parser("history", help="the sync's runs"))
    ex = sub.add_parser("export-skipped", help="write a run's skipped records to CSV (R28)")
    ex.add_argument("run_id", nargs="?", type=int, default=None, metavar="RUN_ID")
    ex.add_argument("--out", required=True, metavar="FILE.csv")
    dis = sub.add_parser("disable", help="disable the integration (R27)")
    dis.add_argument("--delete-history", action="store_true")
    dis.add_argument("--yes", action="store_true", help="confirm")
    return parser
