"""Offline replay of the GENESIS services from offline/sample/, as a requests transport for the real client."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl

import requests
import yaml
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from sources.catalog import SAFE_LOADER, TableSpec, load_table_specs
from sources.genesis import (DEFAULT_BASE_URLS, NOT_RECORDED, REPLAY_HEADER, SYNTHETIC_HEADER, GenesisClient, Instance,
                             credential_variables, instance_from_env)
from offline.synthetic import REGISTER_FILE, generate_table, load_register, table_seed, zip_body

logger = logging.getLogger(__name__)

# Generated answers, shared by every adapter of the process: a table is generated once per content of
# its spec, seed and register (a few seconds at federal scale), then served as the same bytes.
_generated: dict[str, tuple[bytes, str]] = {}
_generated_lock = threading.Lock()

SAMPLE_DIR = Path(__file__).parent / "sample"
DEFAULT_MANIFEST = SAMPLE_DIR / "replay.yaml"
MASKED = "********************"
TABLES_FILE = SAMPLE_DIR.parents[1] / "sources" / "tables.yaml"


def load_manifest(path: Path = DEFAULT_MANIFEST) -> dict:
    """Read and check the replay manifest; every referenced file must exist."""
    manifest = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    for answer in manifest["answers"]:
        for step in answer.get("sequence") or [answer]:
            if not (Path(path).parent / step["file"]).is_file():
                raise FileNotFoundError(f"{path}: the answer for {answer['instance']} {answer['endpoint']} "
                                        f"refers to the missing file {step['file']}")
    return manifest


class ReplayAdapter(BaseAdapter):
    """Answers POSTs to the mounted GENESIS base URLs from the replay manifest, like the real service would.

    A table configured with `offline: synthetic` is answered with a generated file instead
    (offline/synthetic.py), zipped like a live download and marked `X-Imon-Synthetic: true`.
    """

    def __init__(self, base_urls: Mapping[str, str], manifest_path: Path = DEFAULT_MANIFEST, *,
                 specs: Iterable[TableSpec] | None = None, register_path: Path | None = None):
        super().__init__()
        self.base_urls = {name: url if url.endswith("/") else url + "/" for name, url in base_urls.items()}
        self.manifest_path = Path(manifest_path)
        self.manifest = load_manifest(self.manifest_path)
        # Tables with `offline: synthetic` are answered with generated files; the catalogue is read
        # when first needed (IMON_TABLES_FILE or sources/tables.yaml), the register likewise.
        self._specs = list(specs) if specs is not None else None
        self.register_path = Path(register_path or os.environ.get("IMON_REGISTER_FILE") or REGISTER_FILE)
        self._turns: dict[int, int] = {}
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        """Build the response for one prepared request."""
        instance, endpoint = self._route(request.url or "")
        body = request.body or ""
        form = dict(parse_qsl(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True))
        synthetic = self._synthetic_spec(instance, endpoint, form)
        if synthetic is not None and endpoint == "data/tablefile" and synthetic.time_slices:
            # a real file answers the slices it covers; the other slices are generated
            index, answer = self._find(instance, endpoint, form)
            if answer is None:
                content, headers = self._generated(_for_slice(synthetic, form))
                return self._response(request, content, headers)
            synthetic = None
        if synthetic is not None and endpoint == "data/tablefile":
            content, headers = self._generated(synthetic)
            return self._response(request, content, headers)
        if synthetic is not None:  # no metadata is made up for a generated table
            content, headers = self._not_found(instance, endpoint, form)
            return self._response(request, content, headers)
        index, answer = self._find(instance, endpoint, form)
        if answer is None:
            logger.warning("replay: no recorded answer for %s %s %s; answering status 104 like the service",
                           instance, endpoint, " ".join(f"{k}={v}" for k, v in form.items() if v))
            content, headers = self._not_found(instance, endpoint, form)
        else:
            step = self._next_step(index, answer)
            content = (self.manifest_path.parent / step["file"]).read_bytes()
            headers = {**step.get("headers", {}), REPLAY_HEADER: step["file"]}
        return self._response(request, content, headers)

    def close(self) -> None:
        """Nothing to release."""

    def specs(self) -> list[TableSpec]:
        """The configured tables (read once)."""
        if self._specs is None:
            self._specs = load_table_specs(Path(os.environ.get("IMON_TABLES_FILE") or TABLES_FILE))
        return self._specs

    def _synthetic_spec(self, instance: str, endpoint: str, form: Mapping[str, str]) -> TableSpec | None:
        """The `offline: synthetic` table a data/tablefile or metadata/table request asks for, if any."""
        if endpoint not in ("data/tablefile", "metadata/table") or not form.get("name"):
            return None
        return next((spec for spec in self.specs() if spec.offline == "synthetic" and spec.source == instance
                     and spec.table == form["name"]), None)

    def _generated(self, spec: TableSpec) -> tuple[bytes, dict[str, str]]:
        """A generated table as the live service sends it: a zipped ffcsv, plus the synthetic mark."""
        seed = table_seed(spec)
        key = json.dumps([dataclasses.asdict(spec), seed, str(self.register_path.resolve()),
                          self.register_path.stat().st_mtime_ns], sort_keys=True, default=str)
        with _generated_lock:
            if key not in _generated:
                logger.info("replay: generating synthetic %s %s (seed %d)", spec.source, spec.table, seed)
                body = generate_table(spec, load_register(self.register_path), seed=seed, specs=self.specs())
                while len(_generated) >= 32:
                    _generated.pop(next(iter(_generated)))
                _generated[key] = zip_body(spec.table, body)
            content, filename = _generated[key]
        return content, {
            "Content-Type": "application/zip",
            "Content-Disposition": f"attachment; filename={filename}",
            SYNTHETIC_HEADER: "true",
            REPLAY_HEADER: f"generated by offline/synthetic.py (seed {seed}), not an official file",
        }

    def _route(self, url: str) -> tuple[str, str]:
        """(instance name, endpoint) for a URL below one of the mounted base URLs."""
        for name, base_url in self.base_urls.items():
            if url.lower().startswith(base_url.lower()):
                return name, url[len(base_url):].split("?", 1)[0]
        return "", url

    def _find(self, instance: str, endpoint: str, form: Mapping[str, str]) -> tuple[int, dict | None]:
        """The first manifest answer whose instance, endpoint and form fields match."""
        for index, answer in enumerate(self.manifest["answers"]):
            if answer["instance"] != instance or answer["endpoint"] != endpoint:
                continue
            if all(form.get(key, "") == str(value) for key, value in (answer.get("match") or {}).items()):
                return index, answer
        return -1, None

    def _next_step(self, index: int, answer: dict) -> dict:
        """The answer's next step: a sequence is played in turn and its last step repeats."""
        steps = answer.get("sequence") or [answer]
        with self._lock:
            turn = self._turns.get(index, 0)
            self._turns[index] = turn + 1
        return steps[min(turn, len(steps) - 1)]

    def _not_found(self, instance: str, endpoint: str, form: Mapping[str, str]) -> tuple[bytes, dict]:
        """Status 104 in the service's envelope, for anything the sample does not hold."""
        not_found = self.manifest["not_found"]
        service, _, method = endpoint.partition("/")
        payload = {
            "Ident": {"Service": service, "Method": method},
            "Status": not_found["status"],
            "Parameter": {"username": MASKED, "password": MASKED, **form},
            ("List" if service == "catalogue" else "Object"): None,
            "Copyright": not_found["copyright"].get(instance, ""),
        }
        content_type = "application/json" if service == "data" else "application/json;charset=UTF-8"
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # The header tells "the sample has no answer" apart from "the service said 104" (imon sources check).
        return body, {"Content-Type": content_type, REPLAY_HEADER: NOT_RECORDED}

    def _response(self, request: requests.PreparedRequest, content: bytes, headers: dict[str, Any]) -> requests.Response:
        """A requests Response with status 200 and the given body and headers."""
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.headers = CaseInsensitiveDict({**headers, "Content-Length": str(len(content))})
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = io.BytesIO(content)
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response


def _for_slice(spec: TableSpec, form: Mapping[str, str]) -> TableSpec:
    """The spec generating only the years a time-slice request asks for."""
    years = spec.synthetic.get("years") or [2023, 2024]
    first, last = int(form.get("startyear") or years[0]), int(form.get("endyear") or years[-1])
    return dataclasses.replace(spec, synthetic={**spec.synthetic, "years": [first, last]})


def replay_session(*instances: Instance, manifest_path: Path = DEFAULT_MANIFEST,
                   specs: Iterable[TableSpec] | None = None) -> requests.Session:
    """A session that answers the given instances' base URLs (default: all known instances) from the sample."""
    base_urls = {instance.name: instance.base_url for instance in instances} or dict(DEFAULT_BASE_URLS)
    adapter = ReplayAdapter(base_urls, manifest_path, specs=specs)
    session = requests.Session()
    for base_url in adapter.base_urls.values():
        session.mount(base_url, adapter)
    return session


def client_for(name: str, environ: Mapping[str, str] | None = None, **options: Any) -> GenesisClient:
    """A client for the named instance: live when credentials are set, otherwise answered from the offline sample."""
    instance = instance_from_env(name, environ)
    if instance.has_credentials:
        return GenesisClient(instance, **options)
    logger.info("%s: no credentials (%s); answering from the offline sample in offline/sample/",
                name, credential_variables(instance))
    options.setdefault("poll_interval_seconds", 0)  # the replayed job is ready at once; no service to spare
    return GenesisClient(instance, session=replay_session(instance), **options)
