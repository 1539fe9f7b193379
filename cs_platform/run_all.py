"""``manage.py run_all``: the web server, a Celery worker and Celery beat as one foreground command.

The three run as child processes, each in its own process group so that a signal reaches a child's
own children too (runserver's reloader, the worker's pool). Ctrl-C / SIGTERM to this process is passed
on to every child; when any child exits, the others are stopped and this command exits too, so a
crashed worker never leaves a half-working stack behind.

The children get this process's environment. When ``DATABASE_URL`` is unset, the settings import of
this process has already started the embedded PostgreSQL; its URL is handed down as ``DATABASE_URL``
so the children use the same server without each going through the embedded start-up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

STOP_GRACE_SECONDS = 15


@dataclass
class Child:
    name: str
    argv: list[str]
    # Whether a stop signal goes to the whole process group. Celery's main process stops its own pool
    # (signalling the pool directly makes it log errors); runserver's reloader does not stop its child.
    signal_group: bool = False
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = field(default=None, repr=False)


def child_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")
    env["PYTHONUNBUFFERED"] = "1"
    if not env.get("DATABASE_URL"):
        from cs_platform.embedded_db import embedded_database_urls

        # Already running and set up: this only reads the URIs (app role, owner role).
        env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = embedded_database_urls(var_dir)
    return env


def commands(*, base_dir: Path, var_dir: Path, host: str, port: int, reload: bool,
             concurrency: int) -> list[Child]:
    python = sys.executable
    web = [python, str(base_dir / "manage.py"), "runserver", f"{host}:{port}"]
    if not reload:
        web.append("--noreload")
    celery = [python, "-m", "celery", "-A", "cs_platform"]
    return [
        Child("web", web, signal_group=True),
        Child("worker", [*celery, "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                         "--hostname", f"worker-{os.getpid()}@%h"]),
        Child("beat", [*celery, "beat", "--loglevel=INFO", "--schedule", str(var_dir / "celerybeat-schedule")]),
    ]


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _pump(name: str, stream: IO[str], out: IO[str], lock: threading.Lock) -> None:
    width = 6
    for line in stream:
        with lock:
            out.write(f"{name:<{width}}| {line}")
            out.flush()


class Supervisor:
    def __init__(self, children: Sequence[Child], *, env: dict[str, str], cwd: Path,
                 out: IO[str] = sys.stdout) -> None:
        self.children = list(children)
        self.env = env
        self.cwd = cwd
        self.out = out
        self._lock = threading.Lock()
        self._stop_signal: int | None = None

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(f"{'run_all':<6}| {text}\n")
            self.out.flush()

    def start(self) -> None:
        for child in self.children:
            child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                child.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True,
            )
            child.pump = threading.Thread(target=_pump, args=(child.name, child.process.stdout, self.out,
                                                              self._lock), daemon=True)
            child.pump.start()
            self.say(f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")

    def _on_signal(self, signum: int, frame) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def _signal_all(self, signum: int) -> None:
        for child in self.children:
            if child.process is not None and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    if child.signal_group:
                        os.killpg(child.process.pid, signum)
                    else:
                        os.kill(child.process.pid, signum)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        self._signal_all(signum)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and any(c.process.poll() is None for c in self.children if c.process):
            time.sleep(0.2)
        if any(c.process.poll() is None for c in self.children if c.process):
            self.say("children still running after the grace period: killing them")
        # Each child leads its own process group: whatever is left in one (a stuck pool process, an
        # orphaned reloader child) goes too, so no stray process keeps the port or the queue.
        for child in self.children:
            if child.process is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.process.pid, signal.SIGKILL)
        for child in self.children:
            if child.process is not None:
                child.process.wait()
                if child.pump is not None:
                    child.pump.join(timeout=2)

    def run(self, banner: Sequence[str] = ()) -> int:
        """Start, wait for a signal or the first child to exit, stop the rest; return an exit code."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            for line in banner:
                self.say(line)
            while True:
                if self._stop_signal is not None:
                    self.say(f"got {signal.Signals(self._stop_signal).name}: stopping all")
                    self.stop(signal.SIGTERM)
                    return 0
                for child in self.children:
                    code = child.process.poll()
                    if code is not None:
                        self.say(f"{child.name} exited with code {code}: stopping the others")
                        self.stop(signal.SIGTERM)
                        return code if code > 0 else 1  # killed by a signal (negative) or a clean exit
                time.sleep(0.3)
        except BaseException:
            self.stop(signal.SIGTERM)
            raise
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
