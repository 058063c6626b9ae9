"""Shared pytest fixtures."""

# --- begin: Prefect's temporary server on a busy machine ----------------------------------------
import os

# the flow starts a temporary Prefect server; on a loaded 2-core machine it can take longer than
# Prefect's default 20 s to answer, which fails a run before it starts
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# --- end: Prefect's temporary server --------------------------------------------------------------

# --- begin: one worker per core (pytest-xdist, `make test`) -------------------------------------
import atexit
import shutil
import tempfile

if os.environ.get("PYTEST_XDIST_WORKER"):
    # each worker's temporary Prefect server gets its own home (its SQLite database): two servers
    # writing one database lock each other out
    _prefect_home = tempfile.mkdtemp(prefix=f"imon-prefect-{os.environ['PYTEST_XDIST_WORKER']}-")
    os.environ["PREFECT_HOME"] = _prefect_home
    atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)
    # xdist workers inherit COLUMNS/LINES of the controller's terminal (80×24 when there is none);
    # rich would then wrap the CLI's tables and messages the tests read, unlike a plain `pytest` run
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)


def pytest_collection_modifyitems(config, items):
    """Files with end-to-end (`slow`) tests first, so one long file does not start last on a worker."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: file order kept within each group
# --- end: one worker per core ------------------------------------------------------------------------

# --- begin: the offline warehouse, built once per pytest run by the real flow --------------------
import duckdb
import pytest


PREFECT_HOME_OF_BUILT = "prefect-home"  # beside the sample warehouse: the Prefect records of its run


def _prefect_server_on(prefect_home):
    """A temporary Prefect server (as `imon run` starts it) keeping its records in `prefect_home`."""
    from flows import prefect_server

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_HOME", str(prefect_home))  # read once, when the server process starts
        return prefect_server.TemporaryServer()


def _build_sample(directory):
    """The offline sample through the flow as `imon run` runs it, on a temporary Prefect server of its own.

    The server keeps its records (the run's artifacts and logs) beside the sample, so a test on any
    worker can read them later (`built_prefect_api`); it is stopped once the run's logs are sent.
    """
    server = _prefect_server_on(directory / PREFECT_HOME_OF_BUILT)  # comes up while the pipeline (with GX) is imported
    try:
        from prefect.logging.handlers import APILogWorker
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.pipeline import pipeline

        with temporary_settings(updates={PREFECT_API_URL: server.wait(120)}):
            summary = pipeline(warehouse=str(directory / "imon.duckdb"))
            APILogWorker.drain_all(timeout=60)  # the run's logs reach the server before it stops
        return summary
    finally:
        server.stop()


@pytest.fixture
def built_prefect_api(built):
    """The API URL of a temporary Prefect server on the records (artifacts, logs) of the `built` run."""
    server = _prefect_server_on(built[1] / PREFECT_HOME_OF_BUILT)
    try:
        yield server.wait(180)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A warehouse built from the offline sample by the real flow, and the run summary.

    Built once per `pytest` run: under xdist the first worker to ask builds it (a file lock keeps the
    others waiting) and every worker reads the same files. Tests only read it (DuckDB allows many
    read-only processes on one file); a test that changes a warehouse takes `built_copy`.
    """
    import pickle

    from filelock import FileLock

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        directory = tmp_path_factory.mktemp("offline")
        return _build_sample(directory), directory
    shared = tmp_path_factory.getbasetemp().parent  # the run's temporary root, above each worker's own
    directory, summary_file = shared / "offline", shared / "offline-summary.pickle"
    with FileLock(str(shared / "offline.lock")):
        if not summary_file.exists():
            shutil.rmtree(directory, ignore_errors=True)  # what a failed build in another worker left
            directory.mkdir()
            summary_file.write_bytes(pickle.dumps(_build_sample(directory)))
    return pickle.loads(summary_file.read_bytes()), directory


@pytest.fixture
def built_copy(built, tmp_path):
    """A copy of the session's warehouse file, with its landing zone and snapshots beside it, to change."""
    import shutil

    summary, directory = built
    for name in ("landing", "published"):
        shutil.copytree(directory / name, tmp_path / name)
    shutil.copy(summary.warehouse_path, tmp_path / "imon.duckdb")
    return tmp_path / "imon.duckdb"


@pytest.fixture
def warehouse(built):
    """A read-only connection to the session's offline warehouse."""
    connection = duckdb.connect(str(built[0].warehouse_path), read_only=True)
    yield connection
    connection.close()
# --- end: the offline warehouse -------------------------------------------------------------------

# --- begin: fake GENESIS service (sources layer; tests/fake_genesis) ---------------------------
import pytest

try:
    from fake_genesis import FakeGenesis  # tests/ is on sys.path when it is not a package
except ImportError:
    from tests.fake_genesis import FakeGenesis


@pytest.fixture
def fake_genesis():
    """A local GENESIS service on 127.0.0.1 built from the recorded cassettes; fails the test on protocol errors."""
    server = FakeGenesis().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.protocol_errors, f"requests the live service would refuse: {server.protocol_errors}"


@pytest.fixture
def genesis_client(fake_genesis):
    """Factory: a GenesisClient for an instance of the fake service, without real sleeping."""
    from sources.genesis import GenesisClient, instance_from_env

    def make(name="regio", *, token=False, username=None, password=None, **options):
        environ = fake_genesis.environ(name, token=token, username=username, password=password)
        options = {"sleep": lambda seconds: None, "backoff_seconds": 0.01, "poll_interval_seconds": 1, **options}
        return GenesisClient(instance_from_env(name, environ), **options)

    return make
# --- end: fake GENESIS service ------------------------------------------------------------------
