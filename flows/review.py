"""The review step of a flow run: after the quality gate, before publish, the indicator diff goes into the run log
and a Prefect artifact, and a formula changed without a version bump stops the publish."""

from __future__ import annotations

import logging

from prefect.artifacts import create_markdown_artifact
from prefect.logging.handlers import APILogHandler

from flows.settings import Settings
from warehouse.review import Diff, diff_files, diff_markdown

ARTIFACT_KEY = "indicator-diff"
progress = logging.getLogger("imon.progress")  # the terminal of `imon run`
# The flow run's log on the Prefect server. Prefect's own flow-run logger is quieted to CRITICAL (flows/__init__.py),
# so the diff goes there through a logger of its own that only the server's log handler hears.
run_log = logging.getLogger("imon.review")


def review_before_publish(settings: Settings) -> Diff:
    """The diff of the working warehouse against the current snapshot, logged and kept as the run's artifact."""
    diff = diff_files(settings.warehouse_path, settings.published_dir)
    if not any(isinstance(handler, APILogHandler) for handler in run_log.handlers):
        run_log.addHandler(APILogHandler())
        run_log.setLevel(logging.INFO)
        run_log.propagate = False
    line = f"indicator diff against {diff.published or 'nothing published'}: {diff.summary()}"
    progress.info(line)
    run_log.info(line)
    for error in diff.errors:
        run_log.error("not published: %s (bump the version in its SQL header)", error)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=diff_markdown(diff), description=diff.summary()[:500])
    return diff
