"""Shared plumbing of the benchmark scripts: a temporary app home, a Sandbox in its own process,
client runs in their own processes, machine facts and markdown tables.

The Sandbox and each measured client run live in separate processes, so a client's CPU time
(``time.process_time`` in that process, all its threads) and its peak memory (``ru_maxrss``) are
the app's alone. Seeded Sandbox files are cached under the temp dir (seeding 100,000 customers
takes a while; 1,000,000 about 100 s) and copied into each run's home.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PYTHON = sys.executable
SEED = 42
SEED_CACHE = Path(tempfile.gettempdir()) / "desktop-app-bench-seeds"
# The app's own secret store falls back to a 0600 file in the temp home (never the user's keyring).
NULL_KEYRING = "keyring.backends.null.Keyring"

if str(REPO) not in sys.path:  # scripts run as `python bench/bX.py` from the repo root
    sys.path.insert(0, str(REPO))


# ---------------------------------------------------------------------- output


def machine_facts() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table with a heading line."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def print_report(title: str, tables: Sequence[str], notes: Sequence[str] = ()) -> None:
    facts = machine_facts()
    print(f"## {title}\n")
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in facts.items()) + "\n")
    for t in tables:
        print(t + "\n")
    for n in notes:
        print(f"- {n}")
    sys.stdout.flush()


def result(**values: object) -> None:
    """The benchmark's last line: ``RESULT name=value …``, comparable run to run."""
    def text(v: object) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    print("RESULT " + " ".join(f"{k}={text(v)}" for k, v in values.items()))
    sys.stdout.flush()


def fmt(x: float, digits: int = 2) -> str:
    return f"{x:,.{digits}f}"


# ---------------------------------------------------------------------- homes and processes


def bench_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DESKTOP_APP_HOME"] = str(home)
    env["PYTHON_KEYRING_BACKEND"] = NULL_KEYRING
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    for var in ("DESKTOP_APP_ACCOUNTS_URL", "DESKTOP_APP_BOOKS_URL", "DESKTOP_APP_CAMPAIGNS_URL"):
        env.pop(var, None)
    return env


@contextlib.contextmanager
def bench_home() -> Iterator[Path]:
    """A temporary DESKTOP_APP_HOME, also set in this process (for in-process clients, B4)."""
    with tempfile.TemporaryDirectory(prefix="desktop-app-bench-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        old = {k: os.environ.get(k) for k in ("DESKTOP_APP_HOME", "PYTHON_KEYRING_BACKEND")}
        os.environ["DESKTOP_APP_HOME"] = str(home)
        os.environ["PYTHON_KEYRING_BACKEND"] = NULL_KEYRING
        try:
            yield home
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def sandbox_db_path(home: Path) -> Path:
    from desktop_app import config

    return config.app_paths({"DESKTOP_APP_HOME": str(home)}).ensure().sandbox_db_path


def seeded_file(customers: int, seed: int = SEED) -> tuple[Path, float | None]:
    """A seeded Sandbox state file (cached); second value: seconds spent seeding (None: cached)."""
    SEED_CACHE.mkdir(parents=True, exist_ok=True)
    path = SEED_CACHE / f"sandbox-{customers}-{seed}.db"
    if path.exists():
        return path, None
    partial = path.with_suffix(".partial.db")
    for p in (partial, Path(str(partial) + "-wal"), Path(str(partial) + "-shm")):
        p.unlink(missing_ok=True)
    code = ("import sys; from pathlib import Path; from desktop_app.sandbox import SandboxServer; "
            "SandboxServer(Path(sys.argv[1]), customers=int(sys.argv[2]), seed=int(sys.argv[3])).stop()")
    t0 = time.perf_counter()
    subprocess.run([PYTHON, "-c", code, str(partial), str(customers), str(seed)], check=True,
                   cwd=REPO, env=bench_env(SEED_CACHE))
    seconds = time.perf_counter() - t0
    partial.rename(path)  # stop() folded the WAL in: the file is complete on its own
    return path, seconds


def proc_cpu_seconds(pid: int) -> float | None:
    """User+system CPU of a live process from /proc (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class SandboxProcess:
    """``desktop-app sandbox serve`` in a child process, serving the home's Sandbox state file."""

    home: Path
    customers: int
    limits: str = "off"
    seed: int = SEED
    latency_ms: int = 0
    proc: subprocess.Popen | None = None
    url: str = ""
    seed_seconds: float | None = None

    def start(self) -> SandboxProcess:
        template, self.seed_seconds = seeded_file(self.customers, self.seed)
        shutil.copyfile(template, sandbox_db_path(self.home))
        argv = [PYTHON, "-m", "desktop_app", "sandbox", "serve", "--port", "0", "--customers",
                str(self.customers), "--seed", str(self.seed), "--limits", self.limits,
                "--latency-ms", str(self.latency_ms)]
        self.proc = subprocess.Popen(argv, cwd=REPO, env=bench_env(self.home), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first.startswith("Sandbox serving on "):
            self.stop()
            raise RuntimeError(f"the Sandbox did not start: {first!r} {self.proc.stderr.read()[-2000:]}")
        self.url = first.split()[3]
        return self

    def cpu_seconds(self) -> float | None:
        return proc_cpu_seconds(self.proc.pid) if self.proc else None

    def admin(self):
        from desktop_app.connectors.sandbox_admin import SandboxAdmin

        return SandboxAdmin(self.url, timeout=300)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def client(home: Path, *args: str, timeout: float | None = None) -> dict:
    """Run ``bench/client.py ARGS`` in a fresh process on ``home``; its last stdout line is JSON."""
    proc = subprocess.run([PYTHON, str(BENCH / "client.py"), *args], cwd=REPO, env=bench_env(home),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"client {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def client_process(home: Path, *args: str) -> subprocess.Popen:
    """``bench/client.py ARGS`` started in a fresh process, not waited for (kill it, or ``finish``)."""
    return subprocess.Popen([PYTHON, str(BENCH / "client.py"), *args], cwd=REPO, env=bench_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float | None = None) -> dict:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"client failed ({proc.returncode}):\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def parse_sizes(text: str) -> list[int]:
    """``"5000,100000"`` or ``"5k,1m"`` → [5000, 100000]."""
    sizes = []
    for part in text.split(","):
        p = part.strip().lower().replace("_", "")
        mult = 1_000_000 if p.endswith("m") else 1_000 if p.endswith("k") else 1
        value = float(p.rstrip("mk")) * mult
        if value <= 0:
            raise ValueError(f"customer counts must be > 0, got {part!r}")
        sizes.append(int(value))
    return sizes
