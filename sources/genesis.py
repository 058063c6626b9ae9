"""Client for the GENESIS REST web service ("2020" interface) of Destatis, Regionaldatenbank, Zensus and the Länder."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import random
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from sources.errors import FetchError, GenesisStatusError, NetworkError

logger = logging.getLogger(__name__)

# Spelled exactly as in the recorded exchanges: the path differs in case between instances
# (`genesisWS` for Destatis, `genesisws` for the Regionaldatenbank), and paths are case-sensitive.
DEFAULT_BASE_URLS = {
    "destatis": "https://www-genesis.destatis.de/genesisWS/rest/2020/",
    "regio": "https://www.regionalstatistik.de/genesisws/rest/2020/",
    "zensus": "https://ergebnisse.zensus2022.de/api/rest/2020/",
    "nrw": "https://www.landesdatenbank.nrw.de/ldbnrwws/rest/2020/",
    "bayern": "https://www.statistikdaten.bayern.de/genesisWS/rest/2020/",
    "st": "https://genesis.sachsen-anhalt.de/webservice/rest/2020/",
    "bildung": "https://www.bildungsmonitoring.de/bildungws/rest/2020/",
}
INSTANCES_WITHOUT_JOBS = {"zensus"}
INSTANCES_WITH_TOKENS = {"destatis", "zensus"}

TABLEFILE_DEFAULTS = {"area": "all", "compress": "false", "format": "ffcsv", "language": "de"}

STATUS_OK = 0
STATUS_OK_ADJUSTED = 22
STATUS_TOO_MANY_REQUESTS = 6
STATUS_TOO_LARGE = 98
STATUS_JOB_CREATED = 99
STATUS_NO_OBJECTS = 104
STATUS_TABLE_MISSING = 90

# The offline replay (offline/replay.py) marks every answer with this header: the sample file it
# served, or NOT_RECORDED when the sample holds no answer and it says 104 like the service would.
REPLAY_HEADER = "X-Imon-Replay"
NOT_RECORDED = "not-recorded"
# A generated (not official) answer of the offline sample carries this header set to "true";
# the landing zone records it in the sidecar, so the mark follows the file into the warehouse.
SYNTHETIC_HEADER = "X-Imon-Synthetic"

# Zensus 2022 regional keys are ARS-based; a Land is its 2-digit key (GEOBL1: 01 … 16), and its
# Kreise and Gemeinden start with it, so `regionalkey=01*` selects Schleswig-Holstein and all below.
# Unverified live: that the Zensus service accepts the `*` wildcard in regionalkey (documented for
# GENESIS in general) and that a per-Land part is small enough for one request.
LAND_KEYS = tuple(f"{land:02d}" for land in range(1, 17))

_HIDDEN_HEADERS = {"username", "password", "authorization", "proxy-authorization", "cookie", "set-cookie"}
_FILENAME = re.compile(r"""filename\*?\s*=\s*(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)
_JOB_NAME = re.compile(r"^[\w.-]+$")
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Instance:
    """One GENESIS database and the account used for it."""

    name: str
    base_url: str
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    supports_jobs: bool = True
    supports_token: bool = False

    @property
    def has_credentials(self) -> bool:
        """True when a username/password pair or a token is configured."""
        return bool(self.username and self.password) or bool(self.token)

    @property
    def uses_token(self) -> bool:
        """True when requests authenticate with the token (no username/password pair)."""
        return bool(self.token) and not (self.username and self.password)

    @property
    def env_prefix(self) -> str:
        """Prefix of this instance's environment variables, e.g. IMON_REGIO."""
        return f"IMON_{self.name.upper()}"


def instance_from_env(name: str, environ: Mapping[str, str] | None = None) -> Instance:
    """Build an Instance from IMON_<NAME>_URL/_USERNAME/_PASSWORD/_TOKEN, with the default URL."""
    environ = os.environ if environ is None else environ
    prefix = f"IMON_{name.upper()}"
    base_url = environ.get(f"{prefix}_URL", "").strip() or DEFAULT_BASE_URLS.get(name, "")
    if not base_url:
        raise ValueError(f"unknown GENESIS instance {name!r}: set {prefix}_URL or use one of {sorted(DEFAULT_BASE_URLS)}")
    return Instance(
        name=name,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        username=environ.get(f"{prefix}_USERNAME", "").strip(),
        password=environ.get(f"{prefix}_PASSWORD", "").strip(),
        token=environ.get(f"{prefix}_TOKEN", "").strip(),
        supports_jobs=name not in INSTANCES_WITHOUT_JOBS,
        supports_token=name in INSTANCES_WITH_TOKENS,
    )


def credential_variables(instance: Instance) -> str:
    """The environment variables that hold this instance's credentials, for error messages."""
    names = f"{instance.env_prefix}_USERNAME and {instance.env_prefix}_PASSWORD"
    return f"{names} (or {instance.env_prefix}_TOKEN)" if instance.supports_token else names


@dataclass(frozen=True)
class Download:
    """A file as the service delivered it, with what is needed to land and trace it (never credentials)."""

    body: bytes = field(repr=False)
    content_type: str
    filename: str | None
    parameters: dict[str, str]
    http_status: int
    headers: dict[str, str]
    fetched_at: datetime
    job_name: str | None = None
    url: str = ""

    @property
    def size(self) -> int:
        """Length of the body in bytes."""
        return len(self.body)


@dataclass(frozen=True)
class _Answer:
    """One successful HTTP exchange: the response, its body and the parsed JSON (None if not JSON)."""

    response: requests.Response
    body: bytes
    payload: Any


_slot_lock = threading.Lock()
_slots: dict[tuple[str, str], threading.BoundedSemaphore] = {}


def _account_slots(instance: Instance, max_parallel: int) -> threading.BoundedSemaphore:
    """The semaphore shared by every client of one instance and account in this process."""
    # GENESIS allows at most 3 parallel requests per account and ends the longest-running
    # ones beyond that, so the cap is per account, not per client object.
    account = hashlib.sha256(f"{instance.username}\0{instance.token}".encode()).hexdigest()[:16]
    key = (instance.name, account)
    with _slot_lock:
        if key not in _slots:
            _slots[key] = threading.BoundedSemaphore(max_parallel)
        return _slots[key]


class GenesisClient:
    """POSTs form requests to one GENESIS instance, with retries, a per-account cap and the job workflow."""

    def __init__(
        self,
        instance: Instance,
        session: requests.Session | None = None,
        *,
        timeout: float | tuple[float, float] = (10, 300),
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        max_parallel: int = 3,
        job_deadline_seconds: float = 3000,
        poll_interval_seconds: float = 5,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.instance = instance
        self.session = session or self._new_session(max_parallel)
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.job_deadline_seconds = job_deadline_seconds
        self.poll_interval_seconds = poll_interval_seconds
        self._sleep = sleep
        self._slots = _account_slots(instance, max_parallel)
        if instance.uses_token and not instance.supports_token:
            logger.warning("%s is not known to accept API tokens; set %s",
                           instance.name, credential_variables(instance))

    @staticmethod
    def _new_session(max_parallel: int) -> requests.Session:
        """A session whose connection pool matches the parallel cap; retries are done by the client."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_maxsize=max(1, max_parallel), max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    # --- public API -------------------------------------------------------------------

    def tablefile(self, table: str, **parameters: Any) -> Download:
        """Download one table as a file (ffcsv unless `format` says otherwise), via a job if the table is too large."""
        if {"username", "password"} & {key.lower() for key in parameters}:
            raise ValueError("credentials go into the Instance (request headers), never into parameters")
        form = {"name": table, **TABLEFILE_DEFAULTS, **_form_values(parameters), "job": "false"}
        answer = self._post("data/tablefile", form, table=table)
        if answer.payload is None:
            return self._download(answer, form)
        code, content, _ = _status(answer.payload)
        if code != STATUS_TOO_LARGE:
            raise self._status_error("data/tablefile", answer.payload, table)
        job_name = self._start_job(form, content, table)
        self._wait_for_job(job_name, table)
        return self.resultfile(job_name, table=table, parameters=form)

    def tablefile_split(self, table: str, splits: list[dict[str, Any]], **parameters: Any) -> list[Download]:
        """Download a table in parts (e.g. per year range or regional key); one Download per split, in order."""
        if not splits:
            raise ValueError("tablefile_split needs at least one split, e.g. [{'regionalkey': '01*'}, …]")
        return [self.tablefile(table, **{**parameters, **split}) for split in splits]

    def resultfile(self, job_name: str, *, table: str = "", parameters: Mapping[str, str] | None = None) -> Download:
        """Download the stored result of a finished job; `parameters` are those of the table request that made it."""
        parameters = dict(parameters or TABLEFILE_DEFAULTS)
        form = {"name": job_name}
        form.update({key: parameters[key] for key in ("area", "compress", "format", "language") if key in parameters})
        answer = self._post("data/resultfile", form, table=table)
        if answer.payload is not None:
            raise self._status_error("data/resultfile", answer.payload, table)
        return self._download(answer, parameters, job_name=job_name)

    def metadata_table(self, table: str, *, language: str = "de") -> dict:
        """The table's metadata object (Code, Content, Time.From/To, Structure, Updated)."""
        return self._metadata_object(self._metadata_answer(table, language), table)

    def _metadata_answer(self, table: str, language: str = "de") -> _Answer:
        """The raw answer of metadata/table (the check reads its headers too)."""
        return self._post("metadata/table", {"name": table, "area": "all", "language": language}, table=table)

    def _metadata_object(self, answer: _Answer, table: str) -> dict:
        """The Object of a metadata/table answer; GenesisStatusError unless the status is success."""
        payload = self._expect_json(answer, "metadata/table", table)
        code, content, _ = _status(payload)
        if code == STATUS_OK_ADJUSTED:
            logger.warning("%s %s: metadata/table: %s", self.instance.name, table, content)
        elif code != STATUS_OK:
            raise self._status_error("metadata/table", payload, table)
        return payload.get("Object") or {}

    def logincheck(self) -> bool:
        """True if the service accepts the credentials; False if none are configured; FetchError if refused."""
        if not self.instance.has_credentials:
            logger.info("%s: no credentials configured (%s)", self.instance.name, credential_variables(self.instance))
            return False
        answer = self._post("helloworld/logincheck", {"language": "de"})
        payload = self._expect_json(answer, "helloworld/logincheck", "")
        status = payload.get("Status")
        # logincheck is the one service whose Status is a plain string, not {Code, Content, Type}.
        if isinstance(status, dict):
            if _status(payload)[0] != STATUS_OK:
                raise self._status_error("helloworld/logincheck", payload, "")
            return True
        if "erfolgreich" in str(status).lower():
            return True
        raise self._credentials_refused(str(status))

    # --- job workflow -----------------------------------------------------------------

    def _start_job(self, form: dict[str, str], too_large_text: str, table: str) -> str:
        """Ask for a background job for a table that is too large for a direct answer; return the job name."""
        # Status 98 = "too large for the dialog", repeat with job=true. Zensus has no jobs,
        # and a token is read-only: the service refuses to queue jobs for it.
        if not self.instance.supports_jobs:
            raise GenesisStatusError(
                f"the table is too large for one request and {self.instance.name} offers no background jobs; "
                "split the request by startyear/endyear or regionalkey (GenesisClient.tablefile_split)",
                code=STATUS_TOO_LARGE, status_text=too_large_text, source=self.instance.name, table=table,
            )
        if self.instance.uses_token:
            raise GenesisStatusError(
                "the table is too large for one request and a token cannot create background jobs; "
                f"set {self.instance.env_prefix}_USERNAME and {self.instance.env_prefix}_PASSWORD",
                code=STATUS_TOO_LARGE, status_text=too_large_text, source=self.instance.name, table=table,
            )
        answer = self._post("data/tablefile", {**form, "job": "true"}, table=table)
        payload = self._expect_json(answer, "data/tablefile (job=true)", table)
        code, content, _ = _status(payload)
        if code != STATUS_JOB_CREATED:
            raise self._status_error("data/tablefile (job=true)", payload, table)
        # Status 99 names the job at the end of its text: "…mit folgendem Namen abgerufen werden: 12531-0043_175879554".
        job_name = content.rsplit(": ", 1)[-1].strip()
        if ": " not in content or not _JOB_NAME.match(job_name):
            raise FetchError(f"could not read the job name from status 99 text {content!r}",
                             source=self.instance.name, table=table)
        logger.info("%s %s: too large for a direct download, background job %s created",
                    self.instance.name, table, job_name)
        return job_name

    def _wait_for_job(self, job_name: str, table: str) -> None:
        """Poll catalogue/results until the job's result is listed, or give up at the deadline."""
        # A finished job appears in the user's results; 104 ("no objects") means not yet.
        # Polling right after creation also answers 104, so the first poll comes after a pause.
        started = time.monotonic()
        waited = 0.0
        interval = self.poll_interval_seconds
        while True:
            self._sleep(interval)
            waited += interval
            form = {"selection": job_name, "area": "user", "pagelength": "1"}
            answer = self._post("catalogue/results", form, table=table)
            payload = self._expect_json(answer, "catalogue/results", table)
            code = _status(payload)[0]
            if code == STATUS_OK and any(item.get("Code") == job_name for item in payload.get("List") or []):
                logger.info("%s %s: job %s finished after %.0f s", self.instance.name, table, job_name, waited)
                return
            if code not in (STATUS_OK, STATUS_NO_OBJECTS):
                raise self._status_error("catalogue/results", payload, table)
            elapsed = max(waited, time.monotonic() - started)
            if elapsed >= self.job_deadline_seconds:
                raise FetchError(
                    f"job {job_name} not finished after {elapsed:.0f} s (deadline {self.job_deadline_seconds:.0f} s); "
                    f"its result may still appear later under catalogue/results, fetch it with resultfile({job_name!r})",
                    source=self.instance.name, table=table,
                )
            interval = min(interval * 1.5, max(60.0, self.poll_interval_seconds), self.job_deadline_seconds - elapsed)
            interval = max(interval, 0.0)

    # --- transport ------------------------------------------------------------------

    def _post(self, endpoint: str, form: dict[str, str], *, table: str = "") -> _Answer:
        """POST a form with the credential headers; retry transient failures; return a usable answer."""
        url = self.instance.base_url + endpoint
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            logger.debug("%s POST %s %s (attempt %d)", self.instance.name, endpoint, _describe_form(form), attempt)
            retry_after = None
            try:
                with self._slots:
                    response = self.session.post(url, data=form, headers=self._auth_headers(), timeout=self.timeout)
                    body = response.content
            except requests.exceptions.InvalidHeader:
                # requests quotes the header value in its message, so neither it nor its chain is passed on;
                # no error here chains a requests exception, which would carry the request headers.
                raise FetchError(
                    f"a credential contains characters not allowed in an HTTP header (spaces, line breaks); "
                    f"check {credential_variables(self.instance)}",
                    source=self.instance.name, table=table,
                ) from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
            else:
                problem, retry_after, payload = self._inspect(response, body, url, table)
                if not problem:
                    return _Answer(response, body, payload)
            if attempt < self.max_attempts:
                delay = self._backoff(attempt, retry_after)
                logger.warning("%s %s: %s; retry %d of %d in %.1f s", self.instance.name, endpoint, problem,
                               attempt, self.max_attempts - 1, delay)
                self._sleep(delay)
        raise NetworkError(f"{endpoint} failed after {self.max_attempts} attempts; last problem: {problem}",
                         source=self.instance.name, table=table)

    def _inspect(self, response: requests.Response, body: bytes, url: str, table: str) -> tuple[str, float | None, Any]:
        """Classify an HTTP answer: (transient problem or "", Retry-After seconds, parsed JSON or None)."""
        status = response.status_code
        if status == 429 or status >= 500:
            return f"HTTP {status}", _retry_after(response), None
        if status >= 400:
            raise FetchError(f"HTTP {status} from {url}; is the base URL ({self.instance.env_prefix}_URL) right?",
                             source=self.instance.name, table=table)
        content_type = response.headers.get("Content-Type", "").lower()
        start = body[:200].lstrip().lower()
        if "text/html" in content_type or start.startswith((b"<!doctype html", b"<html")):
            title = _HTML_TITLE.search(body[:4000])
            page = f" (page title: {title.group(1).decode('utf-8', 'replace').strip()!r})" if title else ""
            raise FetchError(f"HTML page instead of data: maintenance or outdated URL? {url}{page}",
                             source=self.instance.name, table=table)
        if "json" in content_type or start.startswith(b"{"):
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return f"incomplete or damaged JSON body ({len(body)} bytes)", None, None
            if not isinstance(payload, dict):
                raise FetchError(f"unexpected JSON from {url}", source=self.instance.name, table=table)
            code, content, _ = _status(payload)
            if code == STATUS_TOO_MANY_REQUESTS:
                # Status 6 is reported by Regionalstatistik users even with a single request running.
                return f"GENESIS status 6 (too many parallel requests): {content}", None, None
            return "", None, payload
        if "zip" in content_type or body.startswith(b"PK"):
            try:
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    archive.namelist()
            except zipfile.BadZipFile:
                return f"truncated or damaged zip body ({len(body)} bytes)", None, None
        return "", None, None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never shorter than the server's Retry-After."""
        delay = self.backoff_seconds * 2 ** (attempt - 1) * random.uniform(1.0, 1.5)
        return max(delay, retry_after or 0.0)

    def _auth_headers(self) -> dict[str, str]:
        """Credential headers: username/password, or the token in `username` with an empty `password`."""
        instance = self.instance
        if instance.username and instance.password:
            return {"username": instance.username, "password": instance.password}
        if instance.token:
            return {"username": instance.token, "password": ""}
        return {}

    # --- results and errors ---------------------------------------------------------

    def _download(self, answer: _Answer, parameters: dict[str, str], job_name: str | None = None) -> Download:
        """Wrap a file answer; keeps only headers that cannot carry credentials."""
        headers = {
            key: value for key, value in answer.response.headers.items()
            if key.lower() not in _HIDDEN_HEADERS and self._redact(value) == value
        }
        disposition = answer.response.headers.get("Content-Disposition", "")
        match = _FILENAME.search(disposition)  # also matches the legacy misspelling "attachement;filename=…"
        download = Download(
            body=answer.body,
            content_type=answer.response.headers.get("Content-Type", ""),
            filename=match.group(1).strip() if match else None,
            parameters=dict(parameters),
            http_status=answer.response.status_code,
            headers=headers,
            fetched_at=datetime.now(timezone.utc),
            job_name=job_name,
            url=answer.response.url or "",
        )
        logger.info("%s %s: %d bytes %s", self.instance.name, parameters.get("name", ""),
                    download.size, download.content_type)
        return download

    def _expect_json(self, answer: _Answer, endpoint: str, table: str) -> dict:
        """The parsed JSON of an answer that must be JSON."""
        if not isinstance(answer.payload, dict):
            content_type = answer.response.headers.get("Content-Type", "?")
            raise FetchError(f"{endpoint}: expected a JSON answer, got {content_type}",
                             source=self.instance.name, table=table)
        return answer.payload

    def _status_error(self, endpoint: str, payload: Any, table: str) -> FetchError:
        """The error for a GENESIS answer that is not the expected one."""
        if not isinstance(payload, dict):
            return FetchError(f"{endpoint}: JSON answer without a Status", source=self.instance.name, table=table)
        if isinstance(payload.get("Status"), str):
            return self._credentials_refused(payload["Status"])
        code, content, kind = _status(payload)
        if code is None:
            return FetchError(f"{endpoint}: JSON answer without a Status code", source=self.instance.name, table=table)
        if code in (STATUS_OK, STATUS_OK_ADJUSTED):
            return FetchError(f"{endpoint}: unexpected answer with status {code}: {content}",
                              source=self.instance.name, table=table)
        return GenesisStatusError(f"{endpoint}: GENESIS status {code} ({kind}): {content}",
                                  code=code, status_text=content, source=self.instance.name, table=table)

    def _credentials_refused(self, status_text: str) -> FetchError:
        """The error for an answer that says the login failed."""
        return FetchError(f"the service refused the credentials (answer: {self._redact(status_text)!r}); "
                          f"check {credential_variables(self.instance)}", source=self.instance.name)

    def _redact(self, text: str) -> str:
        """Replace any configured credential in a text (belt and braces for messages and headers)."""
        for secret in (self.instance.username, self.instance.password, self.instance.token):
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def check_table(client: GenesisClient, table: str) -> dict:
    """For `imon sources check`: does the table exist, its title and time range, or why not.

    `offline` is True when the answer came from the offline sample, not the service; then
    `exists` is None when the sample holds no metadata for the table (unknown, not missing).
    """
    name = client.instance.name
    result = {"source": name, "table": table, "exists": False, "title": None, "time_from": None,
              "time_to": None, "updated": None, "offline": False, "message": ""}
    answer = client._metadata_answer(table)
    replayed = answer.response.headers.get(REPLAY_HEADER)
    result["offline"] = replayed is not None
    try:
        metadata = client._metadata_object(answer, table)
    except GenesisStatusError as error:
        if error.code not in (STATUS_NO_OBJECTS, STATUS_TABLE_MISSING):
            raise
        if replayed == NOT_RECORDED:
            result.update(exists=None, message="not in the offline sample (no recorded metadata); "
                                               f"set {credential_variables(client.instance)} to ask {name}")
        else:
            result["message"] = f"not found on {name} (status {error.code}: {error.status_text})"
        return result
    time_range = metadata.get("Time") or {}
    result.update(exists=True, title=metadata.get("Content"), time_from=time_range.get("From"),
                  time_to=time_range.get("To"), updated=metadata.get("Updated"),
                  message=f"offline sample ({replayed}), not asked live" if replayed else "ok")
    return result


def download_table(client: GenesisClient, table: str, parameters: Mapping[str, Any] | None = None) -> list[Download]:
    """Download a table as one file, or, where the instance has no jobs and it is too large, one file per Land."""
    parameters = dict(parameters or {})
    try:
        return [client.tablefile(table, **parameters)]
    except GenesisStatusError as error:
        if error.code != STATUS_TOO_LARGE or client.instance.supports_jobs or parameters.get("regionalkey"):
            raise
    # Zensus offers no background jobs: fetch the table per Land and let the parser merge the parts.
    # The Germany row (DG) is in no Land's part; Germany is the sum of the Länder.
    logger.info("%s %s: too large for one request, fetching it per Land (regionalkey=01* … 16*)",
                client.instance.name, table)
    downloads = []
    for land in LAND_KEYS:
        try:
            downloads.append(client.tablefile(table, **{**parameters, "regionalkey": f"{land}*"}))
        except GenesisStatusError as error:
            if error.code != STATUS_TOO_LARGE:
                raise
            raise GenesisStatusError(
                f"even the part for Land {land} (regionalkey={land}*) is too large for one request and "
                f"{client.instance.name} offers no background jobs; narrow the request in sources/tables.yaml "
                "(startyear/endyear, regionalvariable or classifyingkey parameters)",
                code=STATUS_TOO_LARGE, status_text=error.status_text, source=client.instance.name, table=table,
            ) from None
    return downloads


def _status(payload: Mapping[str, Any]) -> tuple[int | None, str, str]:
    """(Code, Content, Type) of a GENESIS JSON envelope."""
    status = payload.get("Status") or {}
    if not isinstance(status, dict):
        return None, str(status), ""
    try:
        code = int(status.get("Code"))
    except (TypeError, ValueError):
        code = None
    return code, str(status.get("Content") or ""), str(status.get("Type") or "")


def _form_values(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Form values as GENESIS expects them: booleans as true/false, None left out."""
    values = {}
    for key, value in parameters.items():
        if value is None:
            continue
        values[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return values


def _describe_form(form: Mapping[str, str]) -> str:
    """Non-empty form fields for log lines (the form never holds credentials)."""
    return " ".join(f"{key}={value}" for key, value in form.items() if value != "")


def _retry_after(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (seconds or HTTP date), capped at 10 minutes."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(Retry().parse_retry_after(value), 600.0)
    except Exception:  # urllib3 raises InvalidHeader for garbage; the header is only a hint
        return None
