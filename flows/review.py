"""The review step of a flow run: after the quality gate, before publish, the indicator diff goes into the run log
and a Prefect artifact, and a formula changed without a version bump stops the publish."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.settings import Settings
from warehouse.review import Diff, diff_files, diff_markdown

ARTIFACT_KEY = "indicator-diff"


def review_before_publish(settings: Settings) -> Diff:
    """The diff of the working warehouse against the current snapshot, logged and kept as the run's artifact."""
    diff = diff_files(settings.warehouse_path, settings.published_dir)
    logger = get_run_logger()
    logger.info("indicator diff against %s: %s", diff.published or "nothing published", diff.summary())
    for error in diff.errors:
        logger.error("not published: %s (bump the version in its SQL header)", error)
    create_markdown_artifact(key=ARTIFACT_KEY, markdown=diff_markdown(diff), description=diff.summary()[:500])
    return diff
