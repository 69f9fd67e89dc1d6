"""Headless commands (SPEC R32): thin wrappers that call ``AppService`` and print for people or scripts.

Every refusal is a sentence on stderr with a non-zero exit code (2 refused, 1 failed, 3 deferred,
4 needs your decision);
``--json`` output is stable for scripts.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields as dc_fields
from dataclasses import is_dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from desktop_app import config
from desktop_app.app import (
    NEEDS_DECISION,
    AppService,
    ServiceError,
    SyncView,
    describe,
)
from desktop_app.cli.exits import (
    EXIT_FAILED,
    EXIT_NEEDS_DECISION,
    EXIT_OK,
    EXIT_REFUSED,
    RUN_EXIT,
    CommandError,
    exit_code,
)
from desktop_app.connectors.errors import AuthExpired
from desktop_app.domain import mapping as dmapping
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.mapping import MappingRow
from desktop_app.domain.run import OptInMode, RunStatus
from desktop_app.domain.schedule import Schedule, parse_schedule
from desktop_app.domain.settings import (
    NO_SUBSCRIPTION_FIELD,
    LawfulBasis,
    SubscriptionType,
    SyncSettings,
    double_opt_in_explanation,
)
from desktop_app.engine.progress import CancelToken, Progress

log = logging.getLogger(__name__)

def _service() -> AppService:
    paths = config.app_paths()
    config.setup_logging(paths)
    return AppService(paths)


def command(fn: Callable) -> Callable:
    """Run a handler with a service; turn every known failure into a sentence and an exit code."""

    @functools.wraps(fn)
    def wrapper(args) -> int:
        svc = None
        try:
            svc = _service()
            return fn(svc, args)
        except CommandError:
            raise
        except Exception as exc:  # one translator for the CLI and the window (service.describe)
            said = describe(exc)
            if said.unexpected:
                log.error("command %s failed", fn.__name__)
            hint = ""
            if isinstance(exc, AuthExpired) and svc is not None:
                # R42: remembered, so `connect` accepts the same organization again.
                try:
                    svc.mark_reconnect_needed()
                    hint = " " + _reconnect_hint(svc)
                except Exception:
                    log.exception("could not record that the sign-in needs reconnecting")
            raise CommandError(said.message + hint, kind=said.kind, title=said.title) from None
        finally:
            if svc is not None:
                svc.close()

    return wrapper


# ---------------------------------------------------------------------- output helpers


def _jsonable(value):
    if isinstance(value, RunCounts):
        return value.as_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dc_fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _print_json(value) -> None:
    print(json.dumps(_jsonable(value), indent=2, ensure_ascii=False))


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    rows = [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _local(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else "—"


# ---------------------------------------------------------------------- connect


def _choose_org(svc: AppService, orgs: list, wanted: str | None) -> int:
    current = svc.connection()
    if current is not None and current.needs_reconnect:
        return _reconnect_org(svc, orgs, wanted, current)
    if wanted is None and len(orgs) != 1:
        print("Several organizations are available; choose one with --org ORG_ID:")
        _table(["ORG ID", "NAME", "OWNER"], [(o.org_id, o.name, o.email) for o in orgs])
        return EXIT_REFUSED
    info = svc.choose_organization(wanted or orgs[0].org_id)
    gdpr = ("on (the account has a Lawful Basis field)" if info.gdpr_enabled else
            "not shown by Zoho's API (say whether it is on with sync create --gdpr on|off)")
    print(f"Connected “{info.org_name}” ({info.org_id}) as {info.books_owner_email}"
          f"{' — Sandbox' if info.is_sandbox else ''}. GDPR compliance: {gdpr}.")
    if info.owner_warning:  # R3: a warning, never a refusal
        print(f"Warning: {info.owner_warning}", file=sys.stderr)
    print("Next: desktop-app sync create --list NAME …")
    return EXIT_OK


def _reconnect_org(svc: AppService, orgs: list, wanted: str | None, current) -> int:
    """R42: signed in again while the old sign-in is dead: the connected organization, kept."""
    if wanted is None:
        wanted = current.org_id if any(str(o.org_id) == current.org_id for o in orgs) else (
            orgs[0].org_id if len(orgs) == 1 else None)
    if wanted is None:
        raise CommandError(f"The account you signed in with has no organization “{current.org_name}” "
                           f"({current.org_id}); sign in with the account that owns it to reconnect.")
    info = svc.choose_organization(wanted)
    print(f"Reconnected “{info.org_name}” ({info.org_id}) as {info.user_email or info.books_owner_email}"
          f"{' — Sandbox' if info.is_sandbox else ''}. The sync, its mapping and history are kept.")
    if svc.sync() is not None:
        print("Next: desktop-app sync run")
    return EXIT_OK


@command
def connect_sandbox(svc: AppService, args) -> int:
    return _choose_org(svc, svc.sign_in_sandbox(), args.org)


@command
def connect_zoho(svc: AppService, args) -> int:
    secret = os.environ.get(config.ENV_CLIENT_SECRET)
    if not secret:
        if not sys.stdin.isatty():
            raise CommandError(f"Set {config.ENV_CLIENT_SECRET} to the client secret (it is never taken "
                               "as a flag).")
        secret = getpass.getpass("Client secret (not shown): ")
    if not args.code:
        print("Opening your browser to sign in to Zoho… (waiting for the answer)")
    orgs = svc.sign_in_zoho(args.dc, args.client_id, secret, code=args.code)
    return _choose_org(svc, orgs, args.org)


# ---------------------------------------------------------------------- what the accounts offer


@command
def orgs(svc: AppService, args) -> int:
    items = svc.organizations()
    if args.json:
        _print_json(items)
    else:
        _table(["ORG ID", "NAME", "OWNER", "TIME ZONE", "PLAN"],
               [(o.org_id, o.name, o.email, o.time_zone, o.plan_name) for o in items])
    return EXIT_OK


@command
def lists(svc: AppService, args) -> int:
    items = svc.lists()
    if args.json:
        _print_json(items)
    else:
        _table(["LIST KEY", "NAME", "CONTACTS"], [(m.key, m.name, m.contacts) for m in items])
    return EXIT_OK


@command
def topics(svc: AppService, args) -> int:
    items = svc.topics()
    if args.json:
        _print_json(items)
    else:
        _table(["TOPIC ID", "NAME"], [(t.id, t.name) for t in items])
        if len(items) <= 1:
            print("Topics can be chosen only when the account has more than one topic.")
    return EXIT_OK


@command
def fields(svc: AppService, args) -> int:
    books, campaigns = svc.books_fields(), svc.campaigns_fields()
    if args.json:
        _print_json({"books": books, "campaigns": campaigns})
    else:
        print("Zoho Books fields:")
        _table(["KEY", "LABEL", "TYPE", "COST"],
               [(f.key, f.label, f.type.value, "1 call per customer" if f.needs_detail else "")
                for f in books])
        print("\nZoho Campaigns fields:")
        _table(["DISPLAY NAME", "TYPE", "MANDATORY", "CUSTOM"],
               [(f.display_name, f.type.value, "yes" if f.mandatory else "", "yes" if f.custom else "")
                for f in campaigns])
    return EXIT_OK


# ---------------------------------------------------------------------- sync create / edit


def _resolve_list(svc: AppService, wanted: str):
    found = svc.lists()
    for m in found:
        if wanted in (m.key, m.name) or wanted.casefold() == m.name.casefold():
            return m
    names = ", ".join(f"“{m.name}”" for m in found) or "none"
    raise CommandError(f"There is no Zoho Campaigns list “{wanted}”. Lists: {names}.")


def _parse_maps(specs: Sequence[str]) -> list[MappingRow]:
    """``Books field=Campaigns field[:new]`` → rows after the default Email/First/Last rows."""
    by_label = {f.label.casefold(): f for f in dmapping.BOOKS_STANDARD_FIELDS}
    rows = list(dmapping.default_mapping())
    for spec in specs:
        if "=" not in spec:
            raise CommandError(f"--map takes 'Books field=Campaigns field[:new]', got “{spec}”.")
        books, target = (part.strip() for part in spec.split("=", 1))
        new = False
        if target.lower().endswith(":new"):
            target, new = target[:-4].strip(), True
        field = dmapping.books_field(books) or by_label.get(books.casefold())
        key = field.key if field else books
        if not target and field is not None and new:
            target = dmapping.new_field_name(field)
        rows = [r for r in rows if not (r.books_key == key and not r.locked)]
        rows.append(MappingRow(key, target, new))
    return rows


def _settings_from_args(svc: AppService, args, current: SyncView | None) -> SyncSettings:
    if args.list_:
        chosen = _resolve_list(svc, args.list_)
        list_key, list_name = chosen.key, chosen.name
    else:
        list_key, list_name = current.list_key, current.list_name
    try:
        subscription = SubscriptionType.parse(args.subscription or current.subscription_type)
        gdpr = {"on": True, "off": False}[args.gdpr] if args.gdpr else (current.gdpr if current else None)
        basis_text = args.lawful_basis if args.lawful_basis is not None else (current and current.lawful_basis)
        basis = LawfulBasis.parse(basis_text) if basis_text else None
        schedule = (parse_schedule(args.schedule) if args.schedule else
                    parse_schedule(current.schedule_spec) if current else Schedule.default())
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    topics = tuple(args.topic) if args.topic is not None else (current.topic_ids if current else ())
    update_empty = args.update_empty if args.update_empty is not None else bool(current and current.update_empty)
    return SyncSettings(list_key=list_key, list_name=list_name, subscription_type=subscription,
                        topic_ids=topics, lawful_basis=basis, update_empty=update_empty, schedule=schedule,
                        gdpr=gdpr)


def _confirm_disclaimer(svc: AppService, settings: SyncSettings, accepted: bool) -> None:
    preview = svc.preview_initiate(settings)
    print(f"Disclaimer about auto-upgrade: this sync would add {preview.counted(preview.marketing_additions)} "
          f"contacts as Marketing contacts (of {preview.counted(preview.customers)} customers). If your Zoho "
          "Campaigns plan's contact limit is exceeded and auto-upgrade is on, the plan may be upgraded and charged. "
          + ("Non-marketing contacts do not count toward the limit." if preview.subscription_settable
             else NO_SUBSCRIPTION_FIELD)
          + (f" {preview.eta_text}" if preview.eta_text else ""))
    if accepted:
        return
    if sys.stdin.isatty():
        if input("Accept and continue? [y/N] ").strip().lower() in ("y", "yes"):
            return
        raise CommandError("Not accepted; nothing was changed.")
    raise CommandError("Add --yes to accept the auto-upgrade disclaimer.")


@command
def sync_create(svc: AppService, args) -> int:
    if svc.sync() is not None:
        raise CommandError("A sync already exists; only one sync can be set up. Use 'desktop-app sync edit'.")
    settings = _settings_from_args(svc, args, None)
    rows = _parse_maps(args.map or [])
    problems = svc.validate(settings, rows)
    if problems:
        raise CommandError("The sync cannot be created:\n  - " + "\n  - ".join(problems))
    _confirm_disclaimer(svc, settings, args.yes)
    view = svc.create_sync(settings, rows)
    print(f"Sync created: {view.list_name}, {view.schedule_text.lower()}. The first sync starts now.")
    if getattr(args, "no_run", False):
        return EXIT_OK
    return _run(svc, trigger="initiate", force_full=True)


_EDIT_OPTIONS = ("list_", "subscription", "topic", "lawful_basis", "gdpr", "update_empty", "schedule", "map")


@command
def sync_edit(svc: AppService, args) -> int:
    current = svc.sync()
    if current is None:
        raise CommandError("No sync is configured yet; create one with 'desktop-app sync create'.")
    accept = getattr(args, "accept_double_opt_in", False)
    if accept and all(getattr(args, name, None) is None for name in _EDIT_OPTIONS):
        return _accept_double_opt_in(svc, current)
    settings = _settings_from_args(svc, args, current)
    rows = (_parse_maps(args.map) if args.map is not None else
            list(current.mapping))
    problems = svc.validate(settings, rows)
    if problems:
        raise CommandError("The sync cannot be changed:\n  - " + "\n  - ".join(problems))
    view = svc.edit_sync(settings, rows)
    print(f"Sync updated: {view.list_name}, {view.schedule_text.lower()}.")
    if accept:
        return _accept_double_opt_in(svc, view)
    if view.list_key != current.list_key:
        print("The next run checks first whether the new list sends confirmation emails (double opt-in).")
    return EXIT_OK


def _accept_double_opt_in(svc: AppService, current: SyncView) -> int:
    if current.opt_in_mode == OptInMode.DIRECT:
        print(f"The list “{current.list_name}” adds contacts directly (no confirmation email); nothing to "
              "accept.")
        return EXIT_OK
    view = svc.accept_double_opt_in()
    print(f"Double opt-in accepted for “{view.list_name}”: the next run sends each new customer a "
          "confirmation email, and they join the list after confirming (shown as awaiting confirmation). "
          "Run it now with: desktop-app sync run")
    return EXIT_OK


# ---------------------------------------------------------------------- run


class _ProgressLine:
    """One updating line on a terminal; a line per phase change elsewhere (logs, CI)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.last_phase = None
        self.last_eta = ""

    def __call__(self, p: Progress) -> None:
        total = f"/{p.total:,}" if p.total else ""
        c = p.counts
        text = (f"{p.phase_label}: {p.done:,}{total} — added {c.added:,}, updated {c.updated:,}, "
                f"unchanged {c.unchanged:,}, skipped {c.skipped:,}"
                + (f", awaiting {c.awaiting:,}" if c.awaiting else ""))
        if self.tty:
            self.stream.write("\r" + (text + (f" — {p.eta_text}" if p.eta_text else ""))[:200].ljust(200))
            self.stream.flush()
        elif p.phase != self.last_phase:
            self.stream.write(text + "\n")
        if p.eta_text and p.eta_text != self.last_eta and (not self.tty or p.phase != self.last_phase):
            if not self.tty:  # logs and CI: a line whenever the estimate says something new
                self.stream.write(f"Estimate: {p.eta_text}\n")
            self.last_eta = p.eta_text
        self.last_phase = p.phase

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


# Ctrl-C, SIGTERM (logout, systemctl stop, kill) and SIGHUP (the terminal closed) all stop a run at
# the next batch boundary: the batch in flight is committed, the run is recorded cancelled, and the
# next run continues from its checkpoint. The exit code says which signal (128 + its number).
STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP"))
                     if s is not None)
_REASONS = {"SIGINT": "interrupted", "SIGTERM": "stopped by SIGTERM", "SIGHUP": "stopped by SIGHUP"}


def _run(svc: AppService, *, trigger: str, force_full: bool = False) -> int:
    cancel = CancelToken()
    line = _ProgressLine()
    received: list[int] = []

    def on_signal(signum, frame):
        received.append(signum)
        cancel.cancel(_REASONS.get(signal.Signals(signum).name, "stopped"))
        with contextlib.suppress(OSError, ValueError):  # SIGHUP: the terminal may be gone
            sys.stderr.write("\nStopping after the current batch…\n")

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    try:
        outcome = svc.run_sync(trigger=trigger, force_full=force_full, progress=line, cancel=cancel)
    except ServiceError as exc:
        if exc.title == "Reconnect to Zoho":  # R42: no run was started, nothing was added to history
            print(f"{exc.message}\n{_reconnect_hint(svc)}", file=sys.stderr)
            return exit_code(exc.kind)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError, ValueError):
            line.close()
    c = outcome.counts
    awaiting = f", {c.awaiting:,} awaiting confirmation" if c.awaiting else ""
    print(f"Run {outcome.run_id} ({outcome.kind}) {outcome.status}: {c.total:,} customers — "
          f"{c.added:,} added, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.skipped:,} skipped"
          f"{awaiting}.")
    if outcome.status == NEEDS_DECISION:
        _explain_decision(svc, c.awaiting)
    elif outcome.error:
        print(outcome.error, file=sys.stderr)
    if outcome.resume_at:
        print(f"It continues after {_local(outcome.resume_at)}.", file=sys.stderr)
    if c.skipped:
        print("See why with: desktop-app export-skipped --out skipped.csv")
    if outcome.status == "failed" and svc.needs_reconnect():
        print(_reconnect_hint(svc), file=sys.stderr)
    if outcome.status == "cancelled" and received:
        return 128 + int(received[0])
    return RUN_EXIT.get(RunStatus(outcome.status), EXIT_FAILED)


def _reconnect_hint(svc: AppService) -> str:
    conn = svc.connection()
    how = ("desktop-app connect sandbox" if conn is None or conn.is_sandbox else
           f"desktop-app connect zoho --dc {conn.data_center or 'US'} --client-id CLIENT_ID")
    name = f" to “{conn.org_name}”" if conn else ""
    return (f"Sign in again{name} with: {how} — the sync, its mapping and history are kept; scheduled "
            "runs wait until then.")


def _explain_decision(svc: AppService, awaiting: int) -> None:
    """The run stopped at a double opt-in list: what happened, and the two ways on (stdout)."""
    view = svc.sync()
    name = view.list_name if view else "chosen"
    sent = (f" {awaiting:,} customer{' has' if awaiting == 1 else 's have'} been sent one already; nobody "
            "else was written." if awaiting else "")
    print(f"Needs your decision: {double_opt_in_explanation(name)}{sent}")
    print("  Accept confirmation emails:  desktop-app sync edit --accept-double-opt-in")
    print("  Or choose another list:      desktop-app sync edit --list NAME")


@command
def sync_run(svc: AppService, args) -> int:
    if args.if_due:
        view = svc.sync()
        if view is None:
            raise CommandError("No sync is configured yet; create one with 'desktop-app sync create'.")
        if view.paused:
            print("The sync is paused; nothing to do.")
            return EXIT_OK
        if svc.needs_reconnect():  # R42: pause, don't add a failed row per slot
            print("Zoho no longer accepts the app's sign-in (it expired or was revoked); no scheduled run "
                  "until it is reconnected. " + _reconnect_hint(svc))
            return EXIT_OK
        if view.needs_decision:
            print("The last run is waiting for your decision; no scheduled run until then.")
            _explain_decision(svc, view.last_run.counts.awaiting)
            return EXIT_NEEDS_DECISION
        if not svc.is_due(datetime.now(UTC)):
            print(f"Not due yet; next run {_local(view.next_run_at)}.")
            return EXIT_OK
        return _run(svc, trigger="scheduled", force_full=args.full)
    return _run(svc, trigger="cli", force_full=args.full)


@command
def sync_pause(svc: AppService, args) -> int:
    svc.pause()
    print("Sync paused: no scheduled runs until you resume it.")
    return EXIT_OK


@command
def sync_resume(svc: AppService, args) -> int:
    view = svc.resume()
    print(f"Sync resumed. Next run: {_local(view.next_run_at) if view.next_run_at else 'now (it is due)'}.")
    return EXIT_OK


# ---------------------------------------------------------------------- status / history / export


@command
def status(svc: AppService, args) -> int:
    conn, view = svc.connection(), svc.sync()
    if args.json:
        _print_json({"connection": conn, "sync": view})
        return EXIT_OK
    if conn is None:
        print("Not connected. Start with: desktop-app connect sandbox")
        return EXIT_OK
    print(f"Organization: {conn.org_name} ({conn.org_id}){' — Sandbox' if conn.is_sandbox else ''}")
    print(f"Owner:        {conn.books_owner_email}")
    if conn.owner_warning:
        print(f"Warning:      {conn.owner_warning}")
    if view is None:
        print("Sync:         none (desktop-app sync create …)")
        return EXIT_OK
    print(f"List:         {view.list_name}")
    print(f"Subscription: {SubscriptionType(view.subscription_type).label}")
    if view.gdpr is not None:
        print(f"GDPR:         {'on' if view.gdpr else 'off'} (your answer)")
    if view.opt_in_mode == OptInMode.DOUBLE_ACCEPTED:
        print("Opt-in:       double opt-in accepted (customers join after confirming an email)")
    print(f"Schedule:     {view.schedule_text}{' (paused)' if view.paused else ''}")
    print(f"Next run:     {_local(view.next_run_at)}")
    if view.last_run:
        r = view.last_run
        print(f"Last run:     {_local(r.started_at)} {r.status} — {r.counts.total:,} total, "
              f"{r.counts.added:,} added, {r.counts.updated:,} updated, {r.counts.skipped:,} skipped"
              + (f", {r.counts.awaiting:,} awaiting confirmation" if r.counts.awaiting else ""))
        if view.needs_decision:
            _explain_decision(svc, r.counts.awaiting)
    return EXIT_OK


@command
def history(svc: AppService, args) -> int:
    runs = svc.runs()
    if args.json:
        _print_json([{**_jsonable(r), "duration_seconds": r.duration_seconds} for r in runs])
        return EXIT_OK
    if not runs:
        print("No runs yet.")
        return EXIT_OK
    _table(["RUN", "SYNC TIME", "KIND", "STATUS", "TOTAL", "ADDED", "UPDATED", "AWAITING", "UNCHANGED",
            "SKIPPED", "DURATION"],
           [(r.id, _local(r.started_at), r.kind, r.status, r.counts.total, r.counts.added, r.counts.updated,
             r.counts.awaiting, r.counts.unchanged, r.counts.skipped,
             f"{r.duration_seconds:.0f} s" if r.duration_seconds is not None else "—") for r in runs])
    for r in runs:
        if r.error:
            print(f"Run {r.id}: {r.error}")
        for note in r.notes[:HISTORY_NOTES]:
            print(f"Run {r.id}: {note}")
        if len(r.notes) > HISTORY_NOTES:
            print(f"Run {r.id}: … and {len(r.notes) - HISTORY_NOTES:,} more notes (history --json shows all).")
    return EXIT_OK


HISTORY_NOTES = 3  # notes shown per run in the text history (e.g. "Interrupted at …")


@command
def export_skipped(svc: AppService, args) -> int:
    count = svc.export_skipped(Path(args.out), args.run_id)
    print(f"Wrote {count:,} skipped records to {args.out}")
    return EXIT_OK


@command
def disable(svc: AppService, args) -> int:
    if not args.yes:
        raise CommandError(
            "Disabling stops the schedule, removes the sync and its mapping, and revokes and deletes the "
            "Zoho tokens. Contacts already in Zoho Campaigns stay there. The history is kept unless you add "
            "--delete-history. Add --yes to go ahead.")
    if svc.connection() is None:
        raise CommandError("Nothing to disable: no organization is connected.")
    svc.disable(delete_history=args.delete_history)
    print("Integration disabled." + (" History deleted." if args.delete_history else " History kept."))
    return EXIT_OK
