"""A local GENESIS REST service over real HTTP, built from the recorded cassettes and the sample files.

It speaks the protocol of the live services (POST with a form body, credentials in the `username`
and `password` headers, HTTP 200 with a JSON Status for errors, the status 98 → 99 → 104 … 0 →
resultfile job flow) and can be told to misbehave on demand (see `FakeGenesis.inject`).

Recorded bytes are served unchanged. Constructed here, because no recording exists: the answers to
wrong credentials on data services (modelled on logincheck's failure shape), the Zensus and token
refusals of job=true, status 6, status 98/99 for tables other than 12531-0043, the files of split
requests (rows of the recorded file filtered by regionalkey / startyear / endyear), and the headers
of the files served from offline/sample/ as the offline replay serves them (the classic-layout
regio tables and Zensus 1000A-2022, whose metadata answer is the recorded one in offline/sample/).

Run it for a demo with `python -m tests.fake_genesis --port 8081` (see tests/fake_genesis/__main__.py).
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import random
import socket
import struct
import threading
import time
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

RECORDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "recordings"
SAMPLE = Path(__file__).resolve().parents[2] / "offline" / "sample"

# Path prefixes as the live services spell them (note genesisWS vs genesisws).
INSTANCE_PATHS = {
    "destatis": "/genesisWS/rest/2020/",
    "regio": "/genesisws/rest/2020/",
    "zensus": "/api/rest/2020/",
}
COPYRIGHT = {
    "destatis": "© Statistisches Bundesamt (Destatis), 2026",
    "regio": "© Statistische Ämter des Bundes und der Länder, Deutschland, 2026.\nDieses Werk ist lizenziert unter der "
             "Datenlizenz Deutschland\n- Namensnennung - Version 2.0.",
    "zensus": "© Statistische Ämter des Bundes und der Länder, Deutschland, 2026. Lizenziert unter der Datenlizenz "
              "Deutschland - Namensnennung - Version 2.0",
}
MASKED = "********************"
TOO_LARGE_TEXT = ("Die Tabelle ist zu gross, um im Dialog abgerufen zu werden. Bitte nutzen sie den Webservice mit dem "
                  "Parameter job=true (REST) um eine Verarbeitung im Hintergrund zu starten.")
JOB_CREATED_TEXT = ("Der Bearbeitungsauftrag wurde erstellt. Die Tabelle kann in Kürze als Ergebnis mit folgendem Namen "
                    "abgerufen werden: {}")
NO_OBJECTS_TEXT = "Es gibt keine Objekte zum angegebenen Selektionskriterium"
LOGIN_OK_TEXT = ("Sie wurden erfolgreich an- und abgemeldet! Bei mehr als 3 parallelen Requests wurden länger als "
                 "15 Minuten laufende Requests beendet.")
LOGIN_FAILED_TEXT = "Ein Fehler ist aufgetreten"
WEB_INTERFACE_PAGE = (b"<!DOCTYPE html><html><head><title>GENESIS-Online: Die Datenbank des Statistischen Bundesamtes</title>"
                      b"</head><body><div id=\"app\"></div></body></html>")
MAINTENANCE_PAGE = (b"<!DOCTYPE html><html><head><title>Wartungsarbeiten</title></head><body><h1>Wartungsarbeiten</h1>"
                    b"<p>Die Datenbank ist wegen Wartungsarbeiten voruebergehend nicht erreichbar.</p></body></html>")
FAULT_KINDS = ("delay", "reset", "http500", "http429", "truncate", "short_read", "html", "status6", "status")
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "Server")


@dataclass
class Reply:
    """An HTTP answer: status, body and headers (Content-Length is added when sent)."""

    body: bytes
    headers: dict[str, str]
    status: int = 200


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    instance: str
    endpoint: str
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    """A misbehaviour for requests whose endpoint matches `path` (None: any request)."""

    kind: str
    path: str | None = None
    times: int | None = 1  # how many requests get it; None = all
    after: int = 0  # let this many matching requests through first
    options: dict[str, Any] = field(default_factory=dict)
    hits: int = 0


@dataclass
class Job:
    """A background job: its result and how often it was polled."""

    name: str
    instance: str
    table: str
    result: Reply
    polls: int = 0


def _interactions(table: str) -> list[dict]:
    """The interactions of one cassette."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((RECORDINGS / f"{table}.yaml").read_text(encoding="utf-8"), Loader=loader)["interactions"]


def _recorded_reply(interaction: dict) -> Reply:
    """The response of a cassette interaction with its exact body bytes."""
    response = interaction["response"]
    body = response["body"]["string"]
    body = body if isinstance(body, bytes) else body.encode("utf-8")
    headers = {key: values[0] for key, values in response["headers"].items() if key in _KEPT_HEADERS}
    return Reply(body, headers, response["status"]["code"])


@lru_cache(maxsize=1)
def recorded_answers() -> dict[tuple[str, str, str], Reply]:
    """(instance, endpoint, name) → recorded reply, German answers only; loaded once per process."""
    regio = _interactions("12411-01-01-4")
    employees = _interactions("13111-01-03-4")
    census = _interactions("1000A-0000")
    protection = _interactions("12531-0043")
    plain_csv = (SAMPLE / "13111-01-03-4_1749623409083_de_flat.csv").read_bytes()
    json_headers = {"Content-Type": "application/json;charset=UTF-8"}
    return {
        ("regio", "data/tablefile", "12411-01-01-4"): _recorded_reply(regio[0]),
        ("regio", "metadata/table", "12411-01-01-4"): _recorded_reply(regio[1]),
        # The legacy unzipped answer (text/csv, "attachement" sic) with the real June 2025 ffcsv member.
        ("regio", "data/tablefile", "13111-01-03-4"): Reply(plain_csv, {
            "Content-Type": "text/csv", "Content-Disposition": "attachement;filename=13111-01-03-4_1749623409083_de_flat.csv"}),
        ("regio", "metadata/table", "13111-01-03-4"): _recorded_reply(employees[1]),
        ("zensus", "data/tablefile", "1000A-0000"): _recorded_reply(census[0]),
        ("zensus", "metadata/table", "1000A-0000"): _recorded_reply(census[1]),
        # Real files of offline/sample/ with the headers the offline replay gives them.
        ("regio", "data/tablefile", "13211-02-05-4"): _sample_reply("13211-02-05-4.csv", "text/csv; charset=windows-1252"),
        ("regio", "data/tablefile", "21111-01-03-4"): _sample_reply("21111-01-03-4.csv", "text/csv; charset=windows-1252"),
        ("zensus", "data/tablefile", "1000A-2022"): _sample_reply("1000A-2022_1773175355216_de_flat.csv", "text/csv"),
        ("zensus", "metadata/table", "1000A-2022"): Reply((SAMPLE / "1000A-2022_metadata_response.json").read_bytes(), json_headers),
        # 12531-0043 was only recorded through a job; its content is the job's result file.
        ("destatis", "data/tablefile", "12531-0043"): _recorded_reply(protection[408]),
        ("destatis", "metadata/table", "12531-0043"): _recorded_reply(protection[409]),
        ("destatis", "job/too-large", "12531-0043"): _recorded_reply(protection[0]),
        ("destatis", "job/created", "12531-0043"): _recorded_reply(protection[1]),
        ("destatis", "job/pending", "12531-0043_175879554"): _recorded_reply(protection[2]),
        ("destatis", "job/done", "12531-0043_175879554"): _recorded_reply(protection[407]),
    }


# Classic-layout files of offline/sample/ per requested year slice (startyear, endyear), as the
# offline replay serves them (sources/tables.yaml `time_slices`); the whole table when no slice is asked.
SLICED_SAMPLES = {
    ("regio", "13211-02-05-4"): {("2015", "2020"): "13211-02-05-4_2015-2020.csv", ("2023", "2023"): "13211-02-05-4.csv",
                                 ("2025", "2025"): "13211-02-05-4_2025.csv"},
    ("regio", "13111-07-05-4"): {(str(year), str(year)): f"13111-07-05-4_{year}.csv" for year in range(2015, 2021)},
    ("destatis", "12411-0018"): {("2015", "2020"): "12411-0018_2015-2020.csv"},
}


def _sample_reply(name: str, content_type: str) -> Reply:
    """A file of offline/sample/ as a download with the given Content-Type."""
    return Reply((SAMPLE / name).read_bytes(), {"Content-Type": content_type, "Content-Disposition": f"attachment; filename={name}"})


def envelope(instance: str, endpoint: str, form: dict[str, str], code: int, content: str, kind: str = "Information") -> Reply:
    """A GENESIS JSON answer with the given status, in the services' envelope."""
    service, _, method = endpoint.partition("/")
    payload = {
        "Ident": {"Service": service, "Method": method},
        "Status": {"Code": code, "Content": content, "Type": kind},
        "Parameter": {"username": MASKED, "password": MASKED, **form},
        ("List" if service == "catalogue" else "Object"): None,
        "Copyright": COPYRIGHT.get(instance, ""),
    }
    content_type = "application/json" if service == "data" else "application/json;charset=UTF-8"
    return Reply(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), {"Content-Type": content_type})


def _split_reply(reply: Reply, form: dict[str, str]) -> Reply:
    """The recorded ffcsv (zipped or plain) reduced to the rows a regionalkey / startyear / endyear request asks for."""
    zipped = reply.body.startswith(b"PK")
    if zipped:
        with zipfile.ZipFile(io.BytesIO(reply.body)) as archive:
            member = archive.infolist()[0]  # keeps the recorded name and date: equal requests get equal bytes
            text = archive.read(member).decode("utf-8-sig")
    else:
        text = reply.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, data = rows[0], rows[1:]
    keys = [key for key in form.get("regionalkey", "").split(",") if key]
    if keys:
        column = header.index("1_variable_attribute_code")
        data = [row for row in data if any(fnmatch.fnmatchcase(row[column], key) for key in keys)]
    time_column = header.index("time")
    if form.get("startyear"):
        data = [row for row in data if row[time_column][:4] >= form["startyear"]]
    if form.get("endyear"):
        data = [row for row in data if row[time_column][:4] <= form["endyear"]]
    content = "\ufeff".encode() + "".join(";".join(row) + "\n" for row in [header] + data).encode("utf-8")
    if not zipped:
        return Reply(content, dict(reply.headers))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(member.filename, member.date_time), content, zipfile.ZIP_DEFLATED)
    return Reply(buffer.getvalue(), dict(reply.headers))


class FakeGenesis:
    """The fake service: start(), point an Instance at url(instance), inject faults, inspect `requests`."""

    def __init__(self, *, username: str = "imon-test-user-7f3a", password: str = "pw-Secret-93c1d",
                 token: str = "tok-0a9b8c7d6e5f4a3b", job_polls: int = 2, too_large: set[str] | None = None):
        self.username = username
        self.password = password
        self.token = token
        self.job_polls = job_polls  # how many catalogue/results polls answer 104 before the job is done
        self.too_large = set(too_large if too_large is not None else {"12531-0043"})
        self.requests: list[RecordedRequest] = []
        self.protocol_errors: list[str] = []
        self.faults: list[Fault] = []
        self.jobs: dict[str, Job] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._answers = recorded_answers()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self, port: int = 0) -> "FakeGenesis":
        """Listen on 127.0.0.1 on `port` (0: a free one), in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler, bind_and_activate=False)
        server.request_queue_size = 64
        server.daemon_threads = True
        server.server_bind()
        server.server_activate()
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; requests still being answered are abandoned."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeGenesis":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server, "start() the server first"
        return self._server.server_address[1]

    def url(self, instance: str) -> str:
        """Base URL of an instance on this server, e.g. http://127.0.0.1:PORT/genesisWS/rest/2020/."""
        return f"http://127.0.0.1:{self.port}{INSTANCE_PATHS[instance]}"

    def environ(self, instance: str, *, token: bool = False, username: str | None = None,
                password: str | None = None) -> dict[str, str]:
        """IMON_<NAME>_* variables pointing at this server: the accepted account, or the token, or given values."""
        prefix = f"IMON_{instance.upper()}"
        environ = {f"{prefix}_URL": self.url(instance)}
        if token:
            environ[f"{prefix}_TOKEN"] = self.token
        else:
            environ[f"{prefix}_USERNAME"] = self.username if username is None else username
            environ[f"{prefix}_PASSWORD"] = self.password if password is None else password
        return environ

    # --- fault injection --------------------------------------------------------------

    def inject(self, kind: str, *, path: str | None = None, times: int | None = 1, after: int = 0, **options) -> Fault:
        """Misbehave for requests to `path` (endpoint such as "data/tablefile"; None = any).

        kind: delay (options: seconds; then answers normally; until_next_request: held until the next
        request arrives, at most `seconds`), reset (closes the socket without an
        answer), http500, http429 (options: retry_after, default "1"), truncate (first half of the body
        with a matching Content-Length), short_read (announces the full length, sends half, closes),
        html (maintenance page with HTTP 200), status6 (GENESIS "too many parallel requests"), status
        (options: code, content, type: any GENESIS status in the JSON envelope).
        times: how many matching requests get it (None: all); after: let that many pass first.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        fault = Fault(kind, path, times, after, options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take_fault(self, endpoint: str) -> Fault | None:
        """The first fault due for this request; every matching fault counts the request."""
        chosen = None
        with self._lock:
            for fault in self.faults:
                if fault.path is not None and fault.path != endpoint:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                elif chosen is None and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    chosen = fault
        return chosen

    # --- inspection -------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Number of requests received."""
        return len(self.requests)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        """The recorded requests to one endpoint."""
        return [request for request in self.requests if request.endpoint == endpoint]

    # --- the service --------------------------------------------------------------------

    def answer(self, instance: str, endpoint: str, form: dict[str, str], headers: dict[str, str]) -> Reply:
        """The service's answer to a well-formed request."""
        user, password = headers.get("username"), headers.get("password")
        by_password = user == self.username and password == self.password
        by_token = bool(self.token) and user == self.token and password == ""
        if not (by_password or by_token):
            return self._login_failed(user or "")
        if endpoint == "helloworld/logincheck":
            return self._json({"Status": LOGIN_OK_TEXT, "Username": hashlib.md5((user or "").encode()).hexdigest()})
        if endpoint == "data/tablefile":
            return self._tablefile(instance, form, by_token)
        if endpoint == "catalogue/results":
            return self._results(instance, form)
        if endpoint == "data/resultfile":
            job = self.jobs.get(form.get("name", ""))
            if job is None or job.polls <= self.job_polls:
                return envelope(instance, endpoint, form, 104, NO_OBJECTS_TEXT)
            return job.result
        recorded = self._answers.get((instance, endpoint, form.get("name", "")))
        return recorded or envelope(instance, endpoint, form, 104, NO_OBJECTS_TEXT)

    def _tablefile(self, instance: str, form: dict[str, str], by_token: bool) -> Reply:
        """data/tablefile: the file, or 98 for a too large table, or a new job for job=true."""
        table = form.get("name", "")
        slices = SLICED_SAMPLES.get((instance, table), {})
        if form.get("startyear") and slices and form.get("job") != "true":
            name = slices.get((form["startyear"], form.get("endyear", "")))
            return _sample_reply(name, "text/csv; charset=windows-1252") if name else envelope(
                instance, "data/tablefile", form, 104, NO_OBJECTS_TEXT)
        recorded = self._answers.get((instance, "data/tablefile", table))
        if recorded is None:
            return envelope(instance, "data/tablefile", form, 104, NO_OBJECTS_TEXT)
        if form.get("job") == "true":
            if instance == "zensus":
                return envelope(instance, "data/tablefile", form, -1,
                                "Die Verarbeitung im Hintergrund (job=true) ist in dieser Datenbank nicht verfügbar.", "Fehler")
            if by_token:
                return envelope(instance, "data/tablefile", form, -1,
                                "Mit einem Token ist kein schreibender Zugriff möglich (job=true).", "Fehler")
            return self._create_job(instance, table, form, recorded)
        split = any(form.get(key) for key in ("regionalkey", "startyear", "endyear"))
        if table in self.too_large and not split:
            return self._answers.get((instance, "job/too-large", table)) or envelope(
                instance, "data/tablefile", form, 98, TOO_LARGE_TEXT, "Fehler")
        if split and recorded.headers.get("Content-Type") in ("application/zip", "text/csv"):
            return _split_reply(recorded, form)
        return recorded

    def _create_job(self, instance: str, table: str, form: dict[str, str], result: Reply) -> Reply:
        """Status 99 with the job name; the recorded one for 12531-0043."""
        created = self._answers.get((instance, "job/created", table))
        name = "12531-0043_175879554" if created else f"{table}_{random.randrange(10 ** 9):09d}"
        with self._lock:
            self.jobs[name] = Job(name, instance, table, result)
        return created or envelope(instance, "data/tablefile", form, 99, JOB_CREATED_TEXT.format(name))

    def _results(self, instance: str, form: dict[str, str]) -> Reply:
        """catalogue/results: 104 while the job runs (job_polls times), then the listing."""
        selection = form.get("selection", "")
        job = self.jobs.get(selection)
        if job is None:
            return envelope(instance, "catalogue/results", form, 104, NO_OBJECTS_TEXT)
        with self._lock:
            job.polls += 1
            done = job.polls > self.job_polls
        recorded = self._answers.get((instance, "job/done" if done else "job/pending", selection))
        if recorded:
            return recorded
        if not done:
            return envelope(instance, "catalogue/results", form, 104, NO_OBJECTS_TEXT)
        reply = envelope(instance, "catalogue/results", form, 0, "erfolgreich")
        payload = json.loads(reply.body)
        payload["List"] = [{"Code": selection, "Content": job.table, "Values": "1"}]
        return self._json(payload, reply.headers["Content-Type"])

    def _login_failed(self, user: str) -> Reply:
        """The answer to refused credentials: HTTP 200 and logincheck's string Status."""
        return self._json({"Status": LOGIN_FAILED_TEXT, "Username": hashlib.md5(user.encode()).hexdigest()})

    @staticmethod
    def _json(payload: dict, content_type: str = "application/json;charset=UTF-8") -> Reply:
        """A JSON reply."""
        return Reply(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), {"Content-Type": content_type})


class _Handler(BaseHTTPRequestHandler):
    """Routes a request to the FakeGenesis, applying any due fault."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; avoid the 40 ms delayed-ACK stall

    @property
    def fake(self) -> FakeGenesis:
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, format: str, *args) -> None:
        """Quiet: tests read `fake.requests` instead."""

    def do_GET(self) -> None:
        """The services stopped answering GET in 2025 and show the web interface instead."""
        self._handle("GET")

    def do_POST(self) -> None:
        """Every service call."""
        self._handle("POST")

    _counted = False  # this request is in fake.in_flight

    def _handle(self, method: str) -> None:
        fake = self.fake
        with fake._lock:
            fake.in_flight += 1
            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
        self._counted = True
        try:
            self._serve(fake, method)
        finally:
            self._done()

    def send_response(self, code: int, message: str | None = None) -> None:
        # a request stops counting as in flight when its answer starts: once the client has read the answer it
        # may send its next request, possibly before this thread got past the answer's last write
        self._done()
        super().send_response(code, message)

    def _done(self) -> None:
        if self._counted:
            self._counted = False
            with self.fake._lock:
                self.fake.in_flight -= 1

    def _serve(self, fake: FakeGenesis, method: str) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        instance = next((name for name, prefix in INSTANCE_PATHS.items() if parts.path.startswith(prefix)), "")
        endpoint = parts.path[len(INSTANCE_PATHS[instance]):] if instance else parts.path
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = RecordedRequest(method, parts.path, parts.query, instance, endpoint, form, headers, body)
        with fake._lock:
            fake.requests.append(request)
        problems = self._protocol_problems(fake, request)
        if problems or not instance:
            with fake._lock:
                fake.protocol_errors.extend(problems)
            self._send(Reply(WEB_INTERFACE_PAGE, {"Content-Type": "text/html"}, 200 if instance else 404))
            return
        fault = fake._take_fault(endpoint)
        if fault and fault.kind == "delay" and fault.options.get("until_next_request"):
            # held until the client gives up and asks again (at most `seconds`): a timeout without guessing its length
            deadline, received = time.monotonic() + float(fault.options.get("seconds", 30.0)), len(fake.requests)
            while len(fake.requests) <= received and time.monotonic() < deadline:
                time.sleep(0.01)
        elif fault and fault.kind == "delay":
            time.sleep(float(fault.options.get("seconds", 1.0)))
        if fault and fault.kind == "reset":
            self._reset()
            return
        reply = self._faulty_reply(fault, instance, endpoint, form) if fault else None
        reply = reply or fake.answer(instance, endpoint, form, headers)
        if fault and fault.kind == "truncate":
            reply = Reply(reply.body[: len(reply.body) // 2], reply.headers, reply.status)
        if fault and fault.kind == "short_read":
            self._send(reply, cut_after=len(reply.body) // 2)
            return
        self._send(reply)

    @staticmethod
    def _protocol_problems(fake: FakeGenesis, request: RecordedRequest) -> list[str]:
        """What the request does that the live services would not accept or that leaks credentials."""
        problems = []
        if request.method != "POST":
            problems.append(f"{request.method} {request.path}: the services answer only POST")
        elif not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            problems.append(f"{request.path}: body is not a form (Content-Type {request.headers.get('content-type')!r})")
        secrets = [secret for secret in (fake.username, fake.password, fake.token) if secret]
        visible = request.path + "?" + request.query + " " + request.body.decode("utf-8", "replace")
        if any(secret in visible for secret in secrets) or {"username", "password"} & set(request.form):
            problems.append(f"{request.path}: credentials in the URL or form body")
        return problems

    @staticmethod
    def _faulty_reply(fault: Fault, instance: str, endpoint: str, form: dict[str, str]) -> Reply | None:
        """The replacement answer of a fault, or None when the fault changes the normal answer."""
        if fault.kind == "http500":
            return Reply(b"<html><head><title>500 Internal Server Error</title></head><body></body></html>",
                         {"Content-Type": "text/html"}, 500)
        if fault.kind == "http429":
            return Reply(b"Too Many Requests", {"Content-Type": "text/plain",
                                                "Retry-After": str(fault.options.get("retry_after", "1"))}, 429)
        if fault.kind == "html":
            return Reply(MAINTENANCE_PAGE, {"Content-Type": "text/html;charset=UTF-8"})
        if fault.kind == "status6":
            return envelope(instance, endpoint, form, 6, "Zu viele parallele Requests", "Fehler")
        if fault.kind == "status":
            return envelope(instance, endpoint, form, int(fault.options["code"]), str(fault.options.get("content", "")),
                            str(fault.options.get("type", "Fehler")))
        return None

    def _send(self, reply: Reply, cut_after: int | None = None) -> None:
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if cut_after is None:
            self.wfile.write(reply.body)
            return
        self.wfile.write(reply.body[:cut_after])
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, without an answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
