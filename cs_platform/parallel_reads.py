"""Independent read-only queries run side by side, each on its own database connection.

A report made of several aggregate queries (support.reports: one per family of facts) is bound by one
CPU core per query in PostgreSQL; on two cores, running them two at a time nearly halves the wait.
:func:`run_reads` does that with a small process-wide thread pool (``READ_THREADS``, default 2; 1 turns
it off). Each pool thread keeps its own Django connection (thread-local), checked for staleness before
every job as a request would.

Reads run serially on the caller's connection when the caller is inside a transaction: other
connections cannot see its uncommitted rows (the tests' transactions, an ``atomic`` block) and it may
rely on one snapshot. Jobs must only read; they see committed data as of their own statement, as any
READ COMMITTED query does.

**Tenant scope.** A pool thread does not inherit the caller's context variables, so each job runs
inside ``tenant_scope(<the caller's tenant>)`` entered in its thread (and left after it, so the thread
carries no tenant into its next job): a job's ORM reads are scoped as the caller's are, and whatever
the scope does on entry (a database setting, DESIGN.md tenancy rule 8) happens on the job's own
connection too. A caller outside any scope runs its jobs outside one, where the scoped managers raise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import close_old_connections, connection

from accounts.tenancy import current_tenant_or_none, tenant_scope

if TYPE_CHECKING:
    from accounts.models import Tenant

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 (one pool per process, created on first use, after any fork)
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.READ_THREADS, thread_name_prefix="parallel-read")
        return _pool


def _in_pool_thread(job: Callable[[], T], tenant: Tenant | None) -> T:
    close_old_connections()  # drop a connection past its max age or broken, as a request would
    if tenant is None:
        return job()
    with tenant_scope(tenant):
        return job()


def shutdown() -> None:
    """Close every pool thread's connection and the pool (tests, before their database is dropped)."""
    global _pool  # noqa: PLW0603
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    size = pool._max_workers  # noqa: SLF001 (the executor keeps its size only there)
    barrier = threading.Barrier(size)  # blocks each job until all run: every thread takes exactly one

    def close_mine() -> None:
        barrier.wait(timeout=10)
        connection.close()

    for _ in range(size):
        pool.submit(close_mine)
    pool.shutdown(wait=True)


def run_reads(jobs: dict[str, Callable[[], T]]) -> dict[str, T]:
    """``{name: job()}``, the jobs run concurrently when that is safe (module docstring)."""
    if settings.READ_THREADS <= 1 or len(jobs) < 2 or connection.in_atomic_block:
        return {name: job() for name, job in jobs.items()}
    tenant = current_tenant_or_none()
    futures = {name: _executor().submit(_in_pool_thread, job, tenant) for name, job in jobs.items()}
    return {name: future.result() for name, future in futures.items()}
