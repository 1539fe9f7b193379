"""``manage.py run_all``: web server + Celery worker + Celery beat in the foreground (``make run``)."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.demo_data import DEMO_EMAIL, DEMO_PASSWORD
from cs_platform import run_all


class Command(BaseCommand):
    help = ("Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three, and all "
            "three stop when one of them exits.")
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2)")
        parser.add_argument("--reload", action="store_true", help="restart the web server when code changes")

    def handle(self, *args, port: int, host: str, concurrency: int, reload: bool, **options) -> None:
        var_dir = settings.VAR_DIR
        database = ("DATABASE_URL" if os.environ.get("DATABASE_URL")
                    else f"embedded PostgreSQL, data in {var_dir / 'pgdata'}")
        # Loading the settings has started the embedded PostgreSQL when DATABASE_URL is unset, before any
        # child exists; child_env passes its URL down so that all three use that one server.
        env = run_all.child_env(var_dir)
        children = run_all.commands(base_dir=settings.BASE_DIR, var_dir=var_dir, host=host, port=port,
                                    reload=reload, concurrency=concurrency)
        supervisor = run_all.Supervisor(children, env=env, cwd=settings.BASE_DIR)
        url_host = f"[{host}]" if ":" in host else host
        banner = [
            f"database: {database}; broker: {run_all.redact_url(settings.CELERY_BROKER_URL)}",
            f"open http://{url_host}:{port}/  -  demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}",
            "Ctrl-C stops the web server, the worker and beat.",
        ]
        sys.exit(supervisor.run(banner))
