"""The query service: read endpoints, analysts' SQL, county uploads and the profile pages, on the published snapshot.

Every /api request needs `Authorization: Bearer <key>` (401 without a valid one, 403 outside its
rights). Published indicators are readable with any key; a county's uploads only with that county's
key (as delivered) or the state office's (small counts suppressed). Every request is logged to
`<service dir>/requests.log` with the key id, never the key.

What the service guarantees against hostile and careless clients (limits, redaction, export
neutralisation, disclosure) lives in its own modules: `service.guards` (bodies, answer sizes, browser
headers), `service.request_log`, `service.sql_worker` (analysts' SQL in capped worker processes),
`service.formats` (formula-safe CSV/XLSX) and `service.uploads` (disclosure control).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Path as PathPart, Query, Request, UploadFile
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from service import maps
from service import profile as queries
from service.auth import Caller, KeyStore
from service.formats import Answer, Format, attachment, json_bytes, json_response, plain, tabular_answer, tabular_response
from service.guards import DEFAULT_BODY_BYTES, AnswerCap, BodyGate, SecurityHeaders
from service.readers import SnapshotReaders
from service.request_log import LogRequests, RequestLog
from service.sql_guard import Refusal
from service.sql_worker import SqlWorkers
from service.reports.routes import router as report_pages
from service.uploads import CountyAreas, UploadRejected
from warehouse.publish import NoSnapshotError, snapshots

STATIC_DIR = Path(__file__).with_name("static")
SNAPSHOT_HEADER = "X-Imon-Snapshot"

progress = logging.getLogger("imon.service")
bearer = HTTPBearer(auto_error=False, scheme_name="API key",
                    description="An API key from `imon keys create`, sent as `Authorization: Bearer imon_<id>_<secret>`.")
api = APIRouter(prefix="/api")
pages = APIRouter(include_in_schema=False)


class SqlRequest(BaseModel):
    """One read-only SELECT or WITH statement."""

    sql: str = Field(..., examples=["SELECT indicator_id, value FROM marts.indicator_value WHERE ags = '09162000' AND level = 'kreis'"])


# --- access ----------------------------------------------------------------------------------------


async def caller(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller behind the bearer key; 401 if it is missing, unknown or revoked.

    On the event loop: the look-up is one indexed SQLite row and a SHA-256 (microseconds), less than a
    hand-over to a worker thread costs.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "send an API key as `Authorization: Bearer <key>` (create one with `imon keys create`)",
                            headers={"WWW-Authenticate": "Bearer"})
    found = request.app.state.keys.authenticate(credentials.credentials)
    if found is None:
        raise HTTPException(401, "the API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    request.state.caller = found
    return found


CallerDep = Annotated[Caller, Depends(caller)]
CountyPath = Annotated[str, PathPart(description="5-digit Kreis key of the county, e.g. 09162", pattern=r"^[0-9]{5}$")]
TablePath = Annotated[str, PathPart(description="Table name: lower-case letters, digits and underscores",
                                    pattern=r"^[a-z][a-z0-9_]{0,62}$")]
FormatQuery = Annotated[Format, Query(alias="format", description="json (default), csv, parquet or xlsx")]


def _snapshot(request: Request):
    """The current snapshot for this request (503 if nothing is published); the request keeps it to the end."""
    return request.app.state.readers.reading()


def _headers(label: str) -> dict[str, str]:
    return {SNAPSHOT_HEADER: label}


# --- read endpoints ----------------------------------------------------------------------------------


@api.get("/catalog", summary="The indicator catalogue", tags=["indicators"])
async def get_catalog(request: Request, who: CallerDep, fmt: FormatQuery = Format.json):
    """Every indicator with its definition, unit, numerator, denominator, sources and caveats."""
    with _snapshot(request) as read:
        answer = await read.remembered(("catalog", fmt), lambda: tabular_answer(
            queries.catalog(read.cursor), fmt, name="indicator_catalog", document={"snapshot": read.label},
            headers=_headers(read.label)))
    return answer.response()


@api.get("/values", summary="Indicator values", tags=["indicators"])
async def get_values(
    request: Request,
    who: CallerDep,
    indicator: Annotated[list[str] | None, Query(description="Indicator id, e.g. ARB06 (repeatable)")] = None,
    region: Annotated[str | None, Query(description="Region key: DG, Land 09, Kreis 09162, Gemeinde 09162000")] = None,
    level: Annotated[str | None, Query(description="deutschland, land, kreis or gemeinde")] = None,
    land: Annotated[str | None, Query(description="Only regions in this Land, e.g. 09", pattern=r"^\d{2}$")] = None,
    period_from: Annotated[int | None, Query(description="First reporting year")] = None,
    period_to: Annotated[int | None, Query(description="Last reporting year")] = None,
    fmt: FormatQuery = Format.json,
):
    """Rows of marts.indicator_value (with the region's name), filtered by indicator, region, level, Land and years."""
    if level and level not in queries.LEVELS:
        raise HTTPException(422, f"level must be one of {', '.join(queries.LEVELS)}")
    key = queries.parse_region(region, level) if region else None
    indicators = sorted({i.upper() for i in indicator}) if indicator else None
    with _snapshot(request) as read:
        question = ("values", tuple(indicators or ()), key, level, land, period_from, period_to, fmt)
        answer = await read.remembered(question, lambda: tabular_answer(
            queries.indicator_values(read.cursor, indicators=indicators, region=key, level=level, land=land,
                                     period_from=period_from, period_to=period_to),
            fmt, name="indicator_values", document={"snapshot": read.label}, headers=_headers(read.label)))
    return answer.response()


@api.get("/regions", summary="Regions", tags=["regions"])
async def get_regions(
    request: Request,
    who: CallerDep,
    level: Annotated[str | None, Query(description="deutschland, land, kreis or gemeinde")] = None,
    with_data: Annotated[bool, Query(description="Only regions with indicator values")] = True,
    fmt: FormatQuery = Format.json,
):
    """Regions of the register with their Land; by default only those with indicator values."""
    with _snapshot(request) as read:
        answer = await read.remembered(("regions", level, with_data, fmt), lambda: tabular_answer(
            queries.regions(read.cursor, level=level, with_data=with_data), fmt, name="regions",
            document={"snapshot": read.label}, headers=_headers(read.label)))
    return answer.response()


@api.get("/regions/{region}/profile", summary="A region's profile", tags=["regions"])
async def get_profile(request: Request, region: str, who: CallerDep, fmt: FormatQuery = Format.json):
    """All indicators of one region with its Land, Germany and peer-group (Vergleichsring) values.

    JSON gives the region, its Land, Germany, the peer group with its members and definition, and
    per indicator the catalogue entry and the series; CSV, Parquet and XLSX give the series as one table.
    """
    ags, level = queries.parse_region(region)  # only a well-formed key gets this far: nothing else is built or cached
    name = "profile_" + {"deutschland": "DG", "land": ags[:2], "regierungsbezirk": ags[:3], "kreis": ags[:5]}.get(level, ags)
    with _snapshot(request) as read:
        answer = await read.remembered(("profile", ags, level, fmt),
                                       lambda: _profile_answer(read, ags, level, fmt, name=name))
    return answer.response(request.headers.get("accept-encoding"))


def _warm_profiles(read) -> None:
    """Every Kreis's, Land's and Germany's JSON profile, computed when a snapshot is first opened (in a thread).

    A profile costs milliseconds of the service's CPU; computed ahead, the first ask of a region is a
    lookup like every later one (~420 answers kept gzip-compressed: 36 MB for the offline sample, 239 MB as JSON).
    """
    parts = read.memo("profile parts", lambda: queries.ProfileParts(read.cursor))
    for ags, level in [key for key in parts.regions if key[1] in ("deutschland", "land", "kreis")]:
        read.memo(("profile", ags, level, Format.json),
                  lambda: _profile_answer(read, ags, level, Format.json, name=f"profile_{ags}"))


def _profile_answer(read, ags: str, level: str, fmt: Format, *, name: str) -> Answer:
    """A region's profile, encoded once per snapshot; the parts every profile shares are read once too."""
    parts = read.memo("profile parts", lambda: queries.ProfileParts(read.cursor))
    if fmt == Format.json:
        document = queries.region_profile(read.cursor, ags, level, parts)
        return Answer.compressed(json_bytes({"snapshot": read.label, **document}), headers=_headers(read.label))
    table = queries.profile_table(read.cursor, ags, level, parts)
    return tabular_answer(table, fmt, name=name, headers=_headers(read.label))


@api.get("/status", summary="Validation status of the published snapshot", tags=["snapshot"])
def get_status(request: Request, who: CallerDep, fmt: FormatQuery = Format.json):
    """Which run the snapshot comes from, when it was published, and the latest validation of each table."""
    with _snapshot(request) as read:
        label, path = read.label, read.path
        document = queries.status(read.cursor)
        table = queries.validation_table(read.cursor)
    if fmt != Format.json:
        return tabular_response(table, fmt, name="validation_status", headers=_headers(label))
    lake_target = request.app.state.settings.lake_target()
    if lake_target is not None:  # readers read the lake: its published snapshots are the ones that count
        from warehouse import lake

        kept = [{"file": f"lake snapshot {s.snapshot_id}", "run_id": s.run_id, "published_at": s.published_at,
                 "withdrawn_at": s.withdrawn_at, "current": f"lake snapshot {s.snapshot_id}" == path.name}
                for s in lake.published(lake_target)]
    else:
        kept = [{"file": s.file, "run_id": s.run_id, "published_at": s.published_at, "withdrawn_at": s.withdrawn_at,
                 "current": s.file == path.name} for s in snapshots(request.app.state.settings.published_dir)]
    passed = all(row["blocking_failures"] == 0 for row in table.to_pylist())
    return json_response({"snapshot": label, "file": path.name, **document, "quality_gate_passed": passed,
                          "tables": table.to_pylist(), "snapshots": kept}, headers=_headers(label))


# --- analysts' SQL ----------------------------------------------------------------------------------------


@api.post("/sql", summary="Read-only SQL", tags=["sql"], responses={
    400: {"description": "Refused: not one SELECT, a forbidden statement or function, a DuckDB error, the memory limit"},
    403: {"description": "The statement reads another county's upload area"},
    404: {"description": "The statement reads the area of a county that has uploaded nothing"},
    408: {"description": "The time limit was reached (parsing and planning count)"},
    413: {"description": "The statement or the answer is larger than its limit"},
    503: {"description": "Every SQL worker is busy"}})
def post_sql(request: Request, body: SqlRequest, who: CallerDep, fmt: FormatQuery = Format.json):
    """Run exactly one SELECT or WITH statement on the published snapshot.

    No file or network access, no ATTACH, INSTALL, LOAD, COPY, SET, PRAGMA, EXPORT and no table
    functions that read files; a time, memory and row limit (the answer says when rows were cut).
    Your county's uploads are attached as `county_<5-digit key>`; the state office sees every county's.
    """
    settings = request.app.state.settings
    size = len(body.sql.encode("utf-8"))
    if size > settings.sql_statement_max_bytes:
        raise Refusal("statement_size", f"the statement has {size} bytes, more than the limit of "
                                        f"{settings.sql_statement_max_bytes}; send a shorter statement", status=413)
    attachments = request.app.state.areas.attachments(who)
    with _snapshot(request) as read:
        label = read.label
        job = {"snapshot": str(read.path), "label": label, "sql": body.sql, "format": fmt.value,
               "lake": _lake_job(read.path),
               "areas": {name: str(path) for name, path in attachments.items()}, "every_county": who.is_state_office,
               "row_limit": settings.sql_row_limit, "memory_limit": settings.sql_memory_limit, "threads": 2,
               "answer_max_bytes": settings.answer_max_bytes}
        answer = request.app.state.sql_workers.run(job, time_limit_seconds=settings.sql_time_limit_seconds,
                                                   wait_seconds=settings.sql_time_limit_seconds)
    headers = {**_headers(label), "X-Imon-Truncated": str(answer.truncated).lower(),
               "X-Imon-Row-Limit": str(answer.row_limit), "Content-Length": str(answer.size)}
    if fmt != Format.json:
        headers["Content-Disposition"] = attachment("query", fmt)
    return StreamingResponse(answer.chunks, media_type=answer.media_type, headers=headers)


def _lake_job(snapshot) -> dict[str, Any] | None:
    """How a SQL worker attaches a pinned lake snapshot (None for a snapshot file, which it opens by path)."""
    from warehouse.lake import PinnedSnapshot

    if not isinstance(snapshot, PinnedSnapshot):
        return None
    return {"catalog": snapshot.lake.catalog, "data_path": snapshot.lake.data_path, "snapshot_id": snapshot.snapshot_id}


# --- county uploads ---------------------------------------------------------------------------------------


@api.post("/uploads/{table}", status_code=201, summary="Upload a county table (CSV)", tags=["uploads"], responses={
    403: {"description": "Only a county key uploads, into its own area"},
    422: {"description": "The file failed validation; the answer names the rule and the lines"}})
def post_upload(request: Request, table: str, who: CallerDep,
                file: Annotated[UploadFile, File(description="CSV with header ags,period,variable,value[,note]")]):
    """Validate a county's CSV and store it as `county_<county>.<table>` (replacing an earlier upload of that name).

    Readable by the county itself and by the state office; for everyone but the county, counts below
    the disclosure threshold are NULL with `value_flag = 'suppressed_below_threshold'`.
    """
    if who.is_state_office or not who.county:
        raise HTTPException(403, "uploads go into a county's own area: use that county's key")
    limit = request.app.state.settings.upload_max_bytes  # the body gate refused larger requests unread
    body = file.file.read(limit + 1)
    if len(body) > limit:
        raise HTTPException(413, f"the file is larger than the limit of {limit / 1024 / 1024:g} MB")
    result = request.app.state.areas.store(who.county, table, body, file_name=file.filename, key_id=who.key_id)
    return {"county": result.county, "table": result.table, "catalog": f"county_{result.county}", "rows": result.rows,
            "suppressed_for_others": result.suppressed_for_others,
            "disclosure_threshold": request.app.state.settings.disclosure_threshold,
            "upload_id": result.upload_id, "warnings": result.warnings}


@api.get("/uploads", summary="County uploads you may read", tags=["uploads"])
def get_uploads(request: Request, who: CallerDep):
    """Your county's uploads; for the state office, every county's."""
    areas = request.app.state.areas
    counties = areas.counties() if who.is_state_office else [who.county]
    audience = "shared" if who.is_state_office else "owner"  # the state office never sees a raw file's digest
    return {"uploads": plain([entry for county in counties for entry in areas.tables(county, audience)])}


@api.get("/uploads/{county}/{table}", summary="Read a county upload", tags=["uploads"])
def get_upload(request: Request, county: CountyPath, table: TablePath, who: CallerDep, fmt: FormatQuery = Format.json):
    """The rows of an upload: as delivered for the county itself, with small counts suppressed for the state office."""
    if not who.may_read_county(county):
        raise HTTPException(403, f"the uploads of county {county} are readable only by that county and the state office")
    audience = "owner" if who.county == county else "shared"
    path = request.app.state.areas.snapshot(county, audience)
    if path is None:
        raise HTTPException(404, f"county {county} has uploaded nothing")
    connection = duckdb.connect(str(path), read_only=True)
    try:
        known = connection.execute("SELECT count(*) FROM main._uploads WHERE table_name = ?", [table]).fetchone()[0]
        if not known:
            raise HTTPException(404, f"county {county} has no upload named {table!r}")
        data = connection.execute(f'SELECT * FROM main."{table}" ORDER BY line_number').to_arrow_table()
    finally:
        connection.close()
    document = {"county": county, "table": table, "suppressed": audience == "shared",
                "disclosure_threshold": request.app.state.settings.disclosure_threshold}
    return tabular_response(data, fmt, name=f"county_{county}_{table}", document=document)


# --- pages ------------------------------------------------------------------------------------------------


@pages.get("/")
def index():
    return RedirectResponse("/profile")


@pages.get("/health")
def health(request: Request):
    """For operators and load balancers, no key needed: 200 once a snapshot is published, 503 before.

    `warmed` says whether the current snapshot's profiles and maps are computed yet (a few seconds
    after start or publish); until then the service answers too, computing what is asked. Asking opens
    a newly published snapshot, so its warm-up starts before a user's first request.
    """
    request.app.state.readers.open_current()
    state = request.app.state.readers.readiness()
    return JSONResponse(state, status_code=200 if state["snapshot_published"] else 503,
                        headers={"Cache-Control": "no-store"})


@pages.get("/profile")
@pages.get("/profile/{region}")
def profile_page(region: str | None = None):
    return FileResponse(STATIC_DIR / "profile.html", media_type="text/html")


@pages.get("/docs")
def docs():
    return get_swagger_ui_html(openapi_url="/openapi.json", title="imon query service",
                               swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                               swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
                               swagger_favicon_url="/static/favicon.svg")


def _body_limit(settings):
    """The largest request body a path accepts: an upload, a statement (JSON-escaped), anything else."""
    def limit(path: str) -> int:
        if path.startswith("/api/uploads/"):
            return settings.upload_max_bytes + 64 * 1024  # the multipart envelope around the file
        if path == "/api/sql":
            return 6 * settings.sql_statement_max_bytes + 1024  # JSON may escape a byte as \u00xx
        return DEFAULT_BODY_BYTES
    return limit


# --- the application ----------------------------------------------------------------------------------------


def create_app(settings) -> FastAPI:
    """The service on the published snapshot of `settings` (flows.settings.Settings)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.sql_workers.start()  # they import in their own processes while the service starts serving
        app.state.areas.scrub_all()  # once: county stores of older versions, before any request is answered
        app.state.readers.open_current()  # its profiles and maps are computed in a thread from now on (see /health)
        yield
        app.state.readers.close()
        app.state.sql_workers.close()
        app.state.request_log.close()
        app.state.keys.close()

    app = FastAPI(
        title="imon query service",
        summary="Integration indicators for every Kreis, Land and Germany, read from the published snapshot.",
        description="Send an API key as `Authorization: Bearer <key>`. Tabular endpoints answer in JSON, CSV, "
                    "Parquet or XLSX (`?format=`). Every answer from the warehouse names its snapshot in the "
                    f"`{SNAPSHOT_HEADER}` header.",
        version="1",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.keys = KeyStore(Path(settings.service_dir) / "access.sqlite3")
    app.state.areas = CountyAreas(Path(settings.service_dir) / "counties", disclosure_threshold=settings.disclosure_threshold)
    app.state.readers = SnapshotReaders(settings.published_dir, warm=lambda read: (_warm_profiles(read), maps.warm(read)),
                                        lake=settings.lake_target())
    app.state.request_log = RequestLog(Path(settings.service_dir) / "requests.log")
    app.state.sql_workers = SqlWorkers(workers=settings.sql_workers, worker_memory=settings.sql_worker_memory)
    app.include_router(api)
    app.include_router(pages)
    app.include_router(maps.api, dependencies=[Depends(caller)])  # maps of the indicators (service/maps.py)
    app.include_router(maps.pages)
    app.include_router(report_pages, dependencies=[Depends(caller)])  # /report/<region>[.pdf], any valid key
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # the guards, innermost first: bodies are refused unread, answers capped, headers set, and what was sent logged
    app.add_middleware(BodyGate, authenticate=app.state.keys.authenticate, limits=_body_limit(settings))
    app.add_middleware(AnswerCap, max_bytes=settings.answer_max_bytes)
    app.add_middleware(SecurityHeaders, docs_html=lambda: docs().body)
    app.add_middleware(LogRequests, log=app.state.request_log)

    @app.exception_handler(Refusal)
    async def refused(request: Request, error: Refusal):
        return JSONResponse({"detail": error.message, "refusal": error.kind}, status_code=error.status)

    @app.exception_handler(UploadRejected)
    async def rejected(request: Request, error: UploadRejected):
        return JSONResponse({"detail": error.message, "failures": plain(error.failures)}, status_code=error.status)

    @app.exception_handler(NoSnapshotError)
    async def unpublished(request: Request, error: NoSnapshotError):
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(maps.UnknownIndicator)
    async def unknown_indicator(request: Request, error: maps.UnknownIndicator):
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(queries.UnknownRegion)
    async def unknown_region(request: Request, error: queries.UnknownRegion):
        return JSONResponse({"detail": str(error)}, status_code=404)

    return app
