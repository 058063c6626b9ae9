"""The profile page in headless Chromium: charts and tables render from the service, and a screenshot is kept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

try:
    from service_support import running_service
except ImportError:
    from tests.service_support import running_service

ARTIFACTS = Path(__file__).with_name("artifacts")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--virtual-time-budget=20000"]


def chromium() -> str:
    """The Chromium binary; a missing one fails the test (it is part of the test environment, see .ci/run)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `apt-get update && apt-get install -y chromium` (Debian package), "
                    "as .ci/run does before `make test`")
    return found


def browse(url: str, profile_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """Headless Chromium with a fresh profile folder, on a page of the local service only."""
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}", *extra, url],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def service(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("page"), summary.warehouse_path, summary.run_id) as running:
        yield running


def test_the_profile_of_a_kreis_renders_charts_tables_and_definitions(service, tmp_path):
    result = browse(f"{service.url}/profile/09162#key={service.keys['09162']}", tmp_path / "chromium", "--dump-dom")
    dom = result.stdout
    assert 'data-ready="true"' in dom, (result.stderr[-2000:], dom[:2000])
    assert "data-error" not in dom
    profile = requests.get(f"{service.url}/api/regions/09162/profile",
                           headers={"Authorization": f"Bearer {service.keys['09162']}"}, timeout=30).json()
    cards = len(profile["indicators"])
    charts = 2 * sum(1 for indicator in profile["indicators"] if indicator["series"])
    assert cards >= 9 and charts >= 18
    assert f'data-indicators="{cards}"' in dom and f'data-charts="{charts}"' in dom
    assert dom.count('class="indicator"') == cards
    assert "<h1 id=\"region-name\">München, Landeshauptstadt</h1>" in dom
    assert "kreisfreie stadt, 300k and more inhabitants, 22 Kreise including this one" in dom
    assert "49.0" in dom and "38.7" in dom and "37.1" in dom  # ARB06: München, Bayern, Germany
    assert "Foreign registered unemployed divided by all registered unemployed" in dom  # the catalogue definition
    assert "regio 13211-02-05-4" in dom  # sources
    assert '<option value="09162" selected="">München, Landeshauptstadt (09162)</option>' in dom
    assert service.keys["09162"] not in dom  # the key left the address bar


def test_screenshot_of_the_profile_is_kept_as_an_artefact(service, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "profile.png"
    screenshot.unlink(missing_ok=True)
    result = browse(f"{service.url}/profile/09162#key={service.keys['state']}", tmp_path / "chromium",
                    f"--screenshot={screenshot}", "--window-size=1280,2000")
    assert screenshot.exists() and screenshot.stat().st_size > 50_000, result.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_a_key_the_page_asks_for_one(service, tmp_path):
    dom = browse(f"{service.url}/profile/09162", tmp_path / "chromium", "--dump-dom").stdout
    assert '<section id="key-form" class="panel">' in dom  # shown, no longer hidden
    assert 'data-ready="false"' in dom
