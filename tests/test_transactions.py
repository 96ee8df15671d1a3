"""core.transactions: work registered with after_commit runs once the response is sent,
exactly once, and never after a rollback."""

from flask import Response
from werkzeug.test import create_environ
from werkzeug.wsgi import FileWrapper

from core.transactions import after_commit, commit_or_rollback


def respond(app, response, calls, method="GET"):
    """Run ``commit_or_rollback`` on ``response`` in a request that registered one
    after-commit task, and return the WSGI iterator a server would get."""
    with app.test_request_context("/", method=method):
        after_commit(lambda: calls.append("ran"))
        response = commit_or_rollback(response)
    return response(create_environ("/", method=method), lambda status, headers: None)


def test_runs_after_the_last_block_even_if_the_server_never_closes(app):
    # werkzeug's development server skips close() when the browser drops the connection.
    calls = []
    body = respond(app, Response("the page"), calls)
    assert calls == []
    assert b"".join(body) == b"the page"
    assert calls == ["ran"]
    body.close()
    assert calls == ["ran"]


def test_runs_on_close_when_the_body_is_not_read(app):
    calls = []
    body = respond(app, Response("the page"), calls, method="HEAD")
    assert list(body) == []
    body.close()
    assert calls == ["ran"]


def test_a_file_sent_as_is_runs_and_is_closed(app, tmp_path):
    # werkzeug hands a direct_passthrough body (send_file's) to the server without the
    # response's close(); the task still runs, and the file is still closed.
    (tmp_path / "export.csv").write_bytes(b"a;b\n")
    file = (tmp_path / "export.csv").open("rb")
    calls = []
    body = respond(app, Response(FileWrapper(file), direct_passthrough=True), calls)
    assert calls == []
    assert b"".join(body) == b"a;b\n"
    assert calls == ["ran"]
    body.close()
    assert file.closed
    assert calls == ["ran"]


def test_a_file_never_read_runs_on_close(app, tmp_path):
    (tmp_path / "export.csv").write_bytes(b"a;b\n")
    file = (tmp_path / "export.csv").open("rb")
    calls = []
    body = respond(app, Response(FileWrapper(file), direct_passthrough=True), calls)
    body.close()
    assert file.closed
    assert calls == ["ran"]


def test_nothing_runs_after_a_failed_request(app):
    calls = []
    body = respond(app, Response("refused", status=422), calls)
    b"".join(body)
    body.close()
    assert calls == []


def test_content_length_is_kept(app):
    calls = []
    with app.test_request_context("/"):
        after_commit(lambda: calls.append("ran"))
        response = commit_or_rollback(Response("ñandú"))
    assert response.headers["Content-Length"] == str(len("ñandú".encode()))
    assert response.get_data() == "ñandú".encode()
    assert calls == ["ran"]
