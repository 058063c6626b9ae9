"""Property-based API test: requests generated from the service's own OpenAPI document (schemathesis).

Every operation, sent with a county's key and with the state office's: never a 5xx, never an answer
over the byte cap, and no key ever written to the request log. Bounded by MAX_EXAMPLES per operation.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode

try:
    from service_support import bearer, running_service
except ImportError:
    from tests.service_support import bearer, running_service

MAX_EXAMPLES = 8  # per operation, each sent with two keys: well under a minute
ANSWER_CAP = 256 * 1024


@pytest.fixture(scope="module")
def fuzzed(built, tmp_path_factory):
    summary = built[0]
    with running_service(tmp_path_factory.mktemp("properties"), summary.warehouse_path, summary.run_id,
                         IMON_SQL_TIME_LIMIT="3", IMON_ANSWER_MAX_BYTES=str(ANSWER_CAP)) as running:
        with running.client("09162") as county:  # one upload, so the upload endpoints have something to find
            assert county.post("/api/uploads/mentors", files={"file": (
                "m.csv", b"ags,period,variable,value\n09162,2024,mentors,2\n", "text/csv")}).status_code == 201
        yield running


def test_no_server_error_no_answer_over_the_cap_and_no_key_in_the_log_for_any_generated_request(fuzzed):
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")
    secrets = [key.split("_", 2)[2] for key in fuzzed.keys.values()]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {"/api/sql", "/api/uploads/{table}", "/api/regions/{region}/profile"} <= {o.path for o in operations}

    for operation in operations:
        generated = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

        @hypothesis.given(case=generated)
        @hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def check(case):
            for who in ("09162", "state"):
                response = case.call(base_url=fuzzed.url, headers=bearer(fuzzed.keys[who]), timeout=60)
                where = (who, case.method, case.formatted_path, case.query, str(case.body)[:200])
                assert response.status_code < 500, (*where, response.status_code, response.text[:300])
                assert len(response.content) <= ANSWER_CAP, (*where, len(response.content))
                assert response.headers.get("x-content-type-options") == ["nosniff"], where

        check()
    log = (fuzzed.settings.service_dir / "requests.log").read_text(encoding="utf-8")
    assert log.count("\n") > len(operations) * 2  # the generated requests were logged ...
    assert not any(secret in log for secret in secrets)  # ... and never with a key
