"""Serving with gunicorn as the README says, through ``gunicorn.conf.py``: each worker
loads the application, or, with ``--preload``, the master loads it once and forks the
workers from it; either way the workers answer pages on database connections of their
own."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.extensions import db

ROOT = Path(__file__).resolve().parents[1]


def _get(path: Path, address: str) -> tuple[int, bytes]:
    """A GET over gunicorn's unix socket: the status and the body."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(30)
        connection.connect(str(path))
        connection.sendall(f"GET {address} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("preload", [False, True], ids=["default", "preload"])
def test_gunicorn_workers_answer_with_or_without_the_application_preloaded(app, tmp_path, preload):
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
        driver = "_sqlite3" if db.engine.dialect.name == "sqlite" else "psycopg"
    sock = tmp_path / "gunicorn.sock"
    env = dict(
        os.environ,
        COCREA_DATABASE_URL=url,
        COCREA_SECRET_KEY="test-serving",
        COCREA_MAIL_DIR=str(tmp_path / "mail"),
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", "gunicorn.conf.py", "-w", "2", "-b", f"unix:{sock}", "app:create_app()"]
    if preload:
        command.insert(-1, "--preload")
    master = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
        while not (sock.exists() and len(children.read_text().split()) == 2):
            assert master.poll() is None and time.monotonic() < deadline, master.stdout.read().decode()
            time.sleep(0.1)
        # With --preload the master imported the application (and so its database
        # driver) before forking; by default it did not.
        assert (driver in Path(f"/proc/{master.pid}/maps").read_text()) == preload
        for _ in range(6):
            status, body = _get(sock, "/forums/")
            assert status == 200 and b"<html" in body
    finally:
        master.send_signal(signal.SIGTERM)
        master.communicate(timeout=30)
