"""Every fault the fake service can inject: retried to success, or a clear failure once the budget is spent."""

import threading

import pytest

from sources.errors import FetchError

FAULTS = ["reset", "http500", "http429", "truncate", "short_read", "status6"]


@pytest.mark.parametrize("kind", FAULTS)
def test_fault_is_retried_then_succeeds(fake_genesis, genesis_client, kind):
    fake_genesis.inject(kind, path="data/tablefile", retry_after=0)
    sleeps = []

    download = genesis_client("regio", sleep=sleeps.append).tablefile("12411-01-01-4")

    assert download.body[:2] == b"PK" and download.size == 24326
    assert fake_genesis.request_count == 2 and len(sleeps) == 1


@pytest.mark.parametrize("kind, reason", [
    ("reset", "ConnectionError"),
    ("http500", "HTTP 500"),
    ("http429", "HTTP 429"),
    ("truncate", "truncated or damaged zip body"),
    ("short_read", "ChunkedEncodingError"),
    ("status6", "GENESIS status 6"),
])
def test_fault_fails_clearly_after_the_retry_budget(fake_genesis, genesis_client, kind, reason):
    fake_genesis.inject(kind, times=None, retry_after=0)

    with pytest.raises(FetchError) as caught:
        genesis_client("regio", max_attempts=3).tablefile("12411-01-01-4")
    assert str(caught.value).startswith("regio 12411-01-01-4: data/tablefile failed after 3 attempts; last problem: ")
    assert reason in str(caught.value)
    assert fake_genesis.request_count == 3


def test_slow_answer_times_out_and_is_retried(fake_genesis, genesis_client):
    # the first answer is held until the client has timed out and asked again; the second comes at once
    fake_genesis.inject("delay", path="data/tablefile", until_next_request=True, seconds=60)

    download = genesis_client("regio", timeout=(5, 1)).tablefile("12411-01-01-4")

    assert download.size == 24326 and fake_genesis.request_count == 2


def test_retry_after_is_honoured(fake_genesis, genesis_client):
    fake_genesis.inject("http429", retry_after=7)
    sleeps = []

    genesis_client("regio", sleep=sleeps.append).metadata_table("12411-01-01-4")

    assert sleeps and sleeps[0] >= 7


def test_backoff_grows_exponentially_with_jitter(fake_genesis, genesis_client):
    fake_genesis.inject("http500", times=4)
    sleeps = []

    genesis_client("regio", sleep=sleeps.append, backoff_seconds=1.0).metadata_table("12411-01-01-4")

    assert len(sleeps) == 4
    for attempt, seconds in enumerate(sleeps, start=1):
        assert 2 ** (attempt - 1) <= seconds <= 1.5 * 2 ** (attempt - 1)


def test_concurrency_cap_is_shared_by_all_clients_of_an_account(fake_genesis, genesis_client):
    fake_genesis.inject("delay", path="data/tablefile", times=None, seconds=0.15)
    clients = [genesis_client("zensus") for _ in range(8)]
    results, errors = [], []

    def fetch(client):
        try:
            results.append(client.tablefile("1000A-0000"))
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=fetch, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors and len(results) == 8
    assert 2 <= fake_genesis.max_in_flight <= 3


def test_one_client_shared_by_threads_respects_the_cap(fake_genesis, genesis_client):
    fake_genesis.inject("delay", times=None, seconds=0.1)
    client = genesis_client("regio")
    threads = [threading.Thread(target=client.metadata_table, args=("12411-01-01-4",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert fake_genesis.request_count == 8
    assert fake_genesis.max_in_flight <= 3
