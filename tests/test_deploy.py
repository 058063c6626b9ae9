"""The systemd units in deploy/: each process may write what it writes and no more (README, running at a state office)."""

from __future__ import annotations

import re
from pathlib import Path

from flows.settings import PROJECT_ROOT, load_settings

DEPLOY = PROJECT_ROOT / "deploy"


def unit(name: str) -> tuple[dict[str, list[str]], str]:
    """A unit's [Service] settings (a key may repeat: its values are joined) and its whole text."""
    text = (DEPLOY / name).read_text(encoding="utf-8")
    settings: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).extend(value.split())
    return settings, text


def documented_environment(text: str) -> dict[str, str]:
    """The path settings a unit's comment names for /etc/imon/imon.env (NAME=/path)."""
    return dict(re.findall(r"\b((?:IMON|PREFECT)_[A-Z_]+)=(/[^\s,]+)", text))


def paths(settings: dict[str, list[str]], key: str) -> list[Path]:
    return [Path(p.lstrip("-")) for p in settings.get(key, [])]


def inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def test_the_worker_can_write_everything_a_run_writes_and_not_the_services_store():
    settings, text = unit("imon-worker.service")
    environment = documented_environment(text)
    run = load_settings(environment)
    writable = paths(settings, "ReadWritePaths")
    written = {"warehouse": run.warehouse_path.parent, "landing zone": run.landing_dir, "register": run.register_dir,
               "published snapshots": run.published_dir, "Prefect home": Path(environment["PREFECT_HOME"])}
    assert {name: path for name, path in written.items() if not inside(path, writable)} == {}
    assert settings["ProtectSystem"] == ["strict"]
    hidden = paths(settings, "InaccessiblePaths")
    assert inside(run.service_dir, hidden) and not inside(run.service_dir, writable)


def test_the_service_reads_only_the_published_snapshots_and_writes_only_its_store():
    settings, _ = unit("imon-service.service")
    environment = dict(value.split("=", 1) for value in settings["Environment"] if value.startswith("IMON_"))
    service = load_settings(environment)
    assert paths(settings, "ReadWritePaths") == [service.service_dir]
    assert paths(settings, "ReadOnlyPaths") == [service.published_dir]
    _, worker_text = unit("imon-worker.service")
    working = load_settings(documented_environment(worker_text)).warehouse_path.parent
    assert inside(working, paths(settings, "InaccessiblePaths"))  # the unpublished warehouse is not served
    assert settings["ProtectSystem"] == ["strict"]
