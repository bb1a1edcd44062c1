"""The Kaggle loop (#10): submit and leaderboard through the real ``kaggle`` package, against a local HTTP server
that answers as Kaggle's API does. Only the last hop is changed: requests' transport sends what the package built for
api.kaggle.com to that server instead (a hosts-file entry, in effect), and our reachability check is pointed at the
same port (a free one, so that tests in other workers never meet it)."""

import json
import threading
import time
from urllib.parse import urlsplit, urlunsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from requests.adapters import HTTPAdapter

from kagglekit.commands import main
from kagglekit.kaggle.submissions import leaderboard, read_log, submissions_log, submit
from kagglekit.core.errors import UserError
from kagglekit.kaggle import client
from kagglekit.core.io import read_json
from kagglekit.pipeline import train
from helpers import closed_port

QUIET = dict(progress=False, log=lambda *a: None)


class FakeKaggle(BaseHTTPRequestHandler):
    """Kaggle's three submission calls and the resumable upload, recorded on the server object."""

    def log_message(self, *args):
        pass

    def _reply(self, code, body=None):
        data = json.dumps(body or {}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        name = self.path.rstrip("/").rsplit("/", 1)[-1]
        server = self.server
        server.calls.append((name, body))
        if self.headers.get("Authorization") is None:
            return self._reply(401, {"message": "Unauthenticated"})
        if name == "StartSubmissionUpload":
            return self._reply(200, {"token": f"blob-{len(server.calls)}", "createUrl": f"http://localhost:{server.server_address[1]}/upload/{len(server.calls)}"})
        if name == "CreateSubmission":
            ref = 1000 + len(server.submissions)
            server.submissions.append({"ref": ref, "description": body.get("submissionDescription"), "fileName": "submission.csv"})
            return self._reply(200, {"message": "Successfully submitted to the competition", "ref": ref})
        if name == "ListSubmissions":
            return self._reply(200, {"submissions": [{**s, "status": "COMPLETE", "publicScore": f"{0.12 + 0.001 * i:.5f}"}
                                                     for i, s in enumerate(server.submissions)]})
        return self._reply(404, {"message": f"no call {name}"})

    def do_PUT(self):
        self.server.uploads.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self._reply(200)


@pytest.fixture
def kaggle_env(monkeypatch, tmp_path):
    """Credentials, and our reachability check pointed at a local port nothing listens on (until fake_kaggle)."""
    port = closed_port()
    monkeypatch.setattr(client, "api_endpoint", lambda: f"http://localhost:{port}")
    monkeypatch.setenv("KAGGLE_USERNAME", "competitor")
    monkeypatch.setenv("KAGGLE_KEY", "0123456789abcdef")
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))


@pytest.fixture
def fake_kaggle(kaggle_env, monkeypatch):
    send = HTTPAdapter.send

    def to_local_server(self, request, **kwargs):
        url = urlsplit(request.url)
        if url.hostname in ("api.kaggle.com", "www.kaggle.com", "localhost"):
            request.url = urlunsplit(url._replace(scheme="http", netloc=f"localhost:{server.server_address[1]}"))
        return send(self, request, **kwargs)

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKaggle)
    monkeypatch.setattr(HTTPAdapter, "send", to_local_server)
    monkeypatch.setattr(client, "api_endpoint", lambda: f"http://localhost:{server.server_address[1]}")
    server.calls, server.uploads, server.submissions = [], [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _run():
    return train("house-prices", "lasso", ["data=sample"], **QUIET)


def test_submit_sends_the_checked_file_and_leaderboard_reads_its_score_back(fake_kaggle, workdir, capsys):
    run = _run()
    entry = submit("house-prices", run=run.record["run_id"][:8])
    assert fake_kaggle.uploads == [open(run.record["submission"], "rb").read()]  # the file, byte for byte
    names = [name for name, _ in fake_kaggle.calls]
    assert names == ["StartSubmissionUpload", "CreateSubmission"]
    create = fake_kaggle.calls[1][1]
    assert create["competitionName"] == "house-prices-advanced-regression-techniques"
    assert run.record["run_id"][:8] in create["submissionDescription"] and entry["ref"] == 1000
    assert len(entry["sha256"]) == 64 and read_log("house-prices")[0]["sha256"] == entry["sha256"]
    record = read_json(run.run_dir / "record.json")
    assert record["kaggle_submissions"][0]["ref"] == 1000 and record["kaggle_submissions"][0]["public_score"] is None

    log = leaderboard("house-prices")
    assert log[0]["public_score"] == pytest.approx(0.12) and "COMPLETE" in log[0]["status"]
    assert read_json(run.run_dir / "record.json")["kaggle_submissions"][0]["public_score"] == pytest.approx(0.12)
    assert main(["compare", "comp=house-prices"]) == 0
    out = capsys.readouterr().out
    assert "0.12000" in out and "cv-vs-public.png" in out
    assert (workdir / "runs" / "house-prices" / "cv-vs-public.png").stat().st_size > 0


def test_a_broken_file_is_refused_before_any_call(fake_kaggle, workdir):
    run = _run()
    path = run.record["submission"]
    lines = open(path).read().splitlines()
    with open(path, "w") as f:
        f.write("\n".join(lines[:-1]) + "\n")  # one row short
    with pytest.raises(UserError, match="rows"):
        submit("house-prices", run=run.record["run_id"])
    assert fake_kaggle.calls == [] and not submissions_log("house-prices").exists()


def test_offline_or_without_credentials_one_line_in_seconds_and_nothing_written(kaggle_env, monkeypatch, workdir, capsys):
    run = _run()
    started = time.perf_counter()
    assert main(["submit", "comp=house-prices", f"run={run.record['run_id']}"]) == 2  # nothing listens on the port
    err = capsys.readouterr().err
    assert "cannot reach localhost" in err and len(err.strip().splitlines()) == 1
    assert main(["leaderboard", "comp=house-prices"]) == 2
    assert time.perf_counter() - started < 15
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
        monkeypatch.delenv(var)
    with pytest.raises(UserError, match="credentials"):
        submit("house-prices", run=run.record["run_id"])
    assert not submissions_log("house-prices").exists() and "kaggle_submissions" not in read_json(run.run_dir / "record.json")
    with pytest.raises(UserError, match="no finished run of house-prices on real data"):
        submit("house-prices")
    with pytest.raises(UserError, match="not on Kaggle"):
        submit("credit")
