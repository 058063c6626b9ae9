"""Prefect global concurrency limits shared by every imon run on a Prefect server, whichever worker runs it.

`imon-warehouse` (1 slot): held by the part of a deployed run that writes the warehouse, so a second
run waits for the first instead of failing on DuckDB's file lock. `imon-genesis-<instance>-<account>`
(3 slots): GENESIS ends the longest requests beyond three parallel ones per account, so a pull holds
one slot of its account while it downloads.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager, nullcontext
from typing import Iterator

from flows.settings import GENESIS_INSTANCES, Settings

WAREHOUSE_LIMIT = "imon-warehouse"
GENESIS_PARALLEL_REQUESTS = 3


def genesis_limit_name(instance) -> str:
    """The limit of one GENESIS instance and account; the account appears only as a hash, never by name."""
    account = hashlib.sha256(f"{instance.username}\0{instance.token}".encode()).hexdigest()[:12]
    return f"imon-genesis-{instance.name}-{account}"


def ensure_limit(name: str, limit: int) -> bool:
    """Create the global concurrency limit unless it exists (an operator may have changed its slots); True if created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=limit))
        except ObjectAlreadyExists:  # another worker created it a moment ago
            return False
        return True


def genesis_limits(settings: Settings) -> list[str]:
    """The limits of the GENESIS accounts configured in this environment (instances with credentials)."""
    return [genesis_limit_name(settings.genesis_instance(name)) for name in settings.live_instances()]


@contextmanager
def warehouse_slot() -> Iterator[None]:
    """Hold the one warehouse-writing slot; waits (without a deadline) while another run holds it."""
    from prefect.concurrency.sync import concurrency

    ensure_limit(WAREHOUSE_LIMIT, 1)
    # a run outlives a short server outage: losing the lease renewal does not end the run
    with concurrency(WAREHOUSE_LIMIT, occupy=1, strict=True, raise_on_lease_renewal_failure=False):
        yield


def source_slot(source: str, settings: Settings):
    """One of the GENESIS account's parallel-request slots when runs share a Prefect server; else nothing to hold.

    Without PREFECT_API_URL a run has its own temporary server and the per-process cap in
    sources/genesis.py is the only one needed; the offline replay has no account to spare.
    """
    if source not in GENESIS_INSTANCES or not settings.environ.get("PREFECT_API_URL"):
        return nullcontext()
    instance = settings.genesis_instance(source)
    if not instance.has_credentials:
        return nullcontext()
    return _held(genesis_limit_name(instance), GENESIS_PARALLEL_REQUESTS)


@contextmanager
def _held(name: str, limit: int) -> Iterator[None]:
    from prefect.concurrency.sync import concurrency

    ensure_limit(name, limit)
    with concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False):
        yield
