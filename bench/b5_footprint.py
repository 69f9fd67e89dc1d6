"""B5 Footprint: cold start to a visible window, and the client's peak memory for full runs.

Cold start: a fresh ``python`` process imports the GUI, builds the real ``GuiSession`` (main
window, controller, scheduler) on a new app home and shows the window offscreen; the time runs
from just before the parent spawns the process until the main window received its first Paint
event (the child prints one line then). Repeated ``--starts`` times; the first is the coldest
(file cache permitting).

Peak memory: ``ru_maxrss`` of a fresh client process that does one full first sync (limits off,
Sandbox in its own process), per size. A size whose run would take longer than ``--max-minutes``
(estimated linearly from the previous size) is not run: its memory is extrapolated linearly from
the measured sizes and marked EXTRAPOLATED.

    .venv/bin/python bench/b5_footprint.py [--customers 100000,1000000] [--max-minutes 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time

import common

# Each start script builds ``window`` (and may set ``after_paint``), then runs PAINT_WATCH.
PAINT_WATCH = r"""
t_built = time.perf_counter()
painted = []

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not painted:
            painted.append(time.perf_counter())
        return False

watch = Watch()
window.installEventFilter(watch)
window.show()
t_shown = time.perf_counter()
deadline = t_shown + 10
while not painted and time.perf_counter() < deadline:
    app.processEvents()
end = painted[0] if painted else time.perf_counter()
print("PAINTED", flush=True)
after_paint()
t_ready = time.perf_counter()
import json
print(json.dumps({"import": t_import - t0, "build": t_built - t_import, "show": t_shown - t_built,
                  "paint": end - t_shown, "painted": bool(painted), "ready": t_ready - end}), flush=True)
"""

COLD_START = r"""
import time
t0 = time.perf_counter()
from PySide6.QtCore import QEvent, QObject
from desktop_app import config
from desktop_app.gui.app import DeferredService, make_application
from desktop_app.gui.session import GuiSession
from desktop_app.gui.single_instance import SingleInstance, ask_running_instance, server_name
t_import = time.perf_counter()
# as gui.app.main starts it: logging, the single-instance check, the window first, then the event
# loop and the service (database, Zoho clients) on first use
paths = config.app_paths().ensure()
config.setup_logging(paths)
app = make_application()
name = server_name(str(paths.data_dir))
assert not ask_running_instance(name, "show")
instance = SingleInstance(name)
instance.listen()
service = DeferredService(paths)
session = GuiSession(service, use_tray=False)
window = session.window
after_paint = lambda: service.connection()  # the first service call: imports the rest, opens the database
""" + PAINT_WATCH

# The floor: a bare PySide6 window in the same kind of fresh process.
BARE_START = r"""
import time
t0 = time.perf_counter()
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
t_import = time.perf_counter()
app = QApplication([])
window = QMainWindow()
window.resize(900, 600)
after_paint = lambda: None
""" + PAINT_WATCH


def cold_start(script: str = COLD_START) -> dict:
    with common.bench_home() as home:
        t0 = time.perf_counter()
        proc = subprocess.Popen([common.PYTHON, "-c", script], cwd=common.REPO, env=common.bench_env(home),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        total = time.perf_counter() - t0
        detail = json.loads(proc.stdout.readline() or "{}")
        proc.wait(timeout=30)
    if line.strip() != "PAINTED":
        raise RuntimeError(f"the window did not start: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
    return {"total": total, **detail}


def memory_run(customers: int) -> dict:
    """A first sync, then a *steady* full run (a second full reconciliation on the populated list),
    each in a fresh client process."""
    with common.bench_home() as home, common.SandboxProcess(home, customers, limits="off") as sb:
        common.client(home, "setup")
        run = common.client(home, "run")
        steady = common.client(home, "run", "--full")
        return {"customers": customers, **run, "steady": steady, "seed_seconds": sb.seed_seconds}


def extrapolate(points: list[tuple[int, float]], n: int) -> float:
    if len(points) == 1:
        return points[0][1]
    (x0, y0), (x1, y1) = points[-2], points[-1]
    return y1 + (y1 - y0) / (x1 - x0) * (n - x1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=common.parse_sizes, default=[100_000, 1_000_000],
                   help="sizes for the peak-memory runs (default 100000,1000000)")
    p.add_argument("--starts", type=int, default=3, help="cold starts to time (default 3)")
    p.add_argument("--max-minutes", type=float, default=20.0,
                   help="skip (and extrapolate) a size whose run is estimated to take longer")
    args = p.parse_args()
    if args.starts < 1:
        p.error("--starts must be >= 1")

    starts, bare = [], []
    for _ in range(args.starts):  # interleaved, so both see the same machine
        starts.append(cold_start())
        bare.append(cold_start(BARE_START))
    paint_ratio = statistics.median(s["total"] for s in starts) / statistics.median(b["total"] for b in bare)
    start_rows = [[i + 1, common.fmt(s["total"], 3), common.fmt(s["import"], 3), common.fmt(s["build"], 3),
                   common.fmt(s["show"], 3), common.fmt(s["paint"], 3), "yes" if s["painted"] else "NO (timeout)",
                   common.fmt(s.get("ready", 0.0), 3)]
                  for i, s in enumerate(starts)]
    start_rows.append(["**median**", f"**{common.fmt(statistics.median(s['total'] for s in starts), 3)}**",
                       "", "", "", "", "", common.fmt(statistics.median(s.get("ready", 0.0) for s in starts), 3)])
    start_rows.append(["bare PySide6 window, median", common.fmt(statistics.median(b["total"] for b in bare), 3),
                       common.fmt(statistics.median(b["import"] for b in bare), 3), "", "", "", "", ""])
    start_rows.append(["**app ÷ bare window**", f"**{common.fmt(paint_ratio)}×**", "", "", "", "", "goal ≤ 2×", ""])

    mem_rows, measured = [], []
    steady_rss: dict[int, tuple[float, bool]] = {}
    for n in sorted(args.customers):
        if measured:
            last = measured[-1]
            estimate_min = last["wall"] / last["customers"] * n / 60
            if estimate_min > args.max_minutes:
                mb = extrapolate([(m["customers"], m["maxrss_mb"]) for m in measured], n)
                steady_mb = extrapolate([(m["customers"], m["steady"]["maxrss_mb"]) for m in measured], n)
                steady_rss[n] = (steady_mb, True)
                mem_rows.append([f"{n:,}", f"**{common.fmt(mb, 1)} (EXTRAPOLATED)**",
                                 f"**{common.fmt(steady_mb, 1)} (EXTRAPOLATED)**", "not run", "",
                                 f"estimated run {estimate_min:,.0f} min > {args.max_minutes:g}", ""])
                continue
        m = memory_run(n)
        measured.append(m)
        steady_rss[n] = (m["steady"]["maxrss_mb"], False)
        mem_rows.append([f"{n:,}", f"**{common.fmt(m['maxrss_mb'], 1)}**",
                         f"**{common.fmt(m['steady']['maxrss_mb'], 1)}**", common.fmt(m["wall"], 1),
                         common.fmt(m["cpu"], 1), f"{m['status']} ({m['counts']['total']:,} customers)",
                         common.fmt((m["db_bytes"] or 0) / 2**20, 1)])
    growth = ""
    if len(measured) >= 2:
        a, b = measured[0], measured[-1]
        per_1k = (b["maxrss_mb"] - a["maxrss_mb"]) / ((b["customers"] - a["customers"]) / 1000)
        db_per_1k = ((b["db_bytes"] or 0) - (a["db_bytes"] or 0)) / 2**20 / ((b["customers"] - a["customers"]) / 1000)
        growth = (f"Peak RSS grows {per_1k * 1024:,.1f} KiB per 1,000 customers between {a['customers']:,} and "
                  f"{b['customers']:,}; the state database grows {db_per_1k * 1024:,.1f} KiB per 1,000 (on disk).")
    common.print_report("B5 Footprint", [
        common.table("Cold start to visible window (offscreen, fresh process, new app home)",
                     ["start", "spawn → first paint (s)", "imports (s)", "build GuiSession (s)", "show() (s)",
                      "show → paint (s)", "painted", "paint → service ready (s)"], start_rows),
        common.table("Peak memory of the client process: a first sync, then a steady full run (limits off)",
                     ["customers", "first sync peak RSS (MB)", "steady full run peak RSS (MB)", "first sync wall (s)",
                      "first sync CPU (s)", "run", "app DB after (MB)"], mem_rows),
    ], [n for n in (
        "Spawn → first paint is measured by the parent (interpreter start included); the other columns by the "
        "child with time.perf_counter().",
        "Peak RSS = resource.getrusage(RUSAGE_SELF).ru_maxrss of the client process (imports included).",
        growth,
        "The steady run is a second full reconciliation of the same organization on the populated list "
        "(client.py run --full): it reads every Books page and every list member. Goal: RSS(1M) ≤ 1.3× RSS(100k).",
    ) if n])
    big, small = steady_rss.get(1_000_000), steady_rss.get(100_000)
    rss_ratio = big[0] / small[0] if big and small else "n/a"
    common.result(b5_paint_ratio=paint_ratio, b5_rss_ratio_1m_100k=rss_ratio,
                  b5_rss_1m_extrapolated=big[1] if big else "n/a")


if __name__ == "__main__":
    main()
