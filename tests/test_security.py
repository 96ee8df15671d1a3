"""Security baseline: headers, cookies, CSRF, rate limits, redirects, error pages."""

import pytest
from sqlalchemy import func, select

from accounts.models import User
from core.extensions import db
from core.security import is_safe_redirect
from tests.conftest import PASSWORD, csrf_enabled, login


def test_security_headers_on_every_response(client):
    for url in ["/", "/login", "/does-not-exist", "/static/style.css"]:
        response = client.get(url)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert "http" not in csp, "no external origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_external_resources(client):
    for url in ["/", "/login", "/register", "/privacy"]:
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page
        assert "style=" not in page
        assert "http://" not in page and "https://" not in page


def test_session_cookie_flags(app, client, personas):
    response = login(client, personas["citizen"])
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False, "development and tests serve plain http"


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("COCREA_ENV", "production")
    monkeypatch.setenv("COCREA_SECRET_KEY", "s" * 32)
    production = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}"})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True


def test_signed_in_html_pages_are_not_stored(client, personas):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", ""), "public pages may be cached"
    login(client, personas["citizen"])
    for url in ["/", "/account", "/forums/", "/account/privacy", "/does-not-exist"]:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
    static = client.get("/static/style.css")
    assert "no-store" not in static.headers.get("Cache-Control", ""), "static files stay cacheable"
    static.close()
    client.post("/logout")
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_development_sends_no_hsts_and_an_httponly_language_cookie(client, personas):
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert "Strict-Transport-Security" not in response.headers
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    login(client, personas["citizen"])
    response = client.post("/account", data={"display_name": "Nombre", "municipality": "", "locale": "es"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_production_sends_hsts_and_every_cookie_secure(monkeypatch, tmp_path):
    from accounts import services
    from tests.conftest import make_app

    monkeypatch.setenv("COCREA_ENV", "production")
    monkeypatch.setenv("COCREA_SECRET_KEY", "s" * 32)
    production = make_app(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with production.app_context():
        services.register_user("prod@example.org", "Prod", PASSWORD)
        db.session.commit()
    client = production.test_client()
    for url in ["/", "/login", "/static/style.css", "/nothing-here"]:
        response = client.get(url)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains", url
        response.close()

    cookies = []
    response = client.post("/language", data={"lang": "en", "next": "/"})
    cookies += response.headers.getlist("Set-Cookie")
    response = client.post("/login", data={"email": "prod@example.org", "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookies += response.headers.getlist("Set-Cookie")
    response = client.post("/account", data={"display_name": "Prod", "municipality": "", "locale": "es"})
    cookies += response.headers.getlist("Set-Cookie")
    response = client.post("/logout")
    cookies += response.headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"lang", "session", "remember_token"} <= names
    for cookie in cookies:
        assert "; Secure" in cookie, "\n".join(cookies)
        assert "HttpOnly" in cookie, cookie
        assert "SameSite=Lax" in cookie, cookie


def test_csrf_is_required_for_state_changes(app, client, personas):
    with csrf_enabled(app):
        response = client.post("/login", data={"email": personas["citizen"].email, "password": PASSWORD})
        assert response.status_code == 400
        assert "Este formulario expiró" in response.get_data(as_text=True)
        response = client.post(
            "/register",
            data={"email": "x@example.org", "display_name": "X", "password": "p" * 12, "confirm": "p" * 12},
            headers={"Accept-Language": "es"},
        )
        assert response.status_code == 400
        assert '<html lang="es">' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "x@example.org")) == 0


def test_csrf_token_round_trip_works(app, client, personas):
    import re

    with csrf_enabled(app):
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"csrf_token": token, "email": personas["citizen"].email, "password": PASSWORD}
        )
        assert response.status_code == 302


def test_login_rate_limited_per_account(client, personas):
    email = personas["citizen"].email
    statuses = [
        client.post(
            "/login", data={"email": email, "password": "wrong password"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429, 429], "the sixth attempt on one account is refused, whatever the address"
    other = client.post("/login", data={"email": personas["staff"].email, "password": PASSWORD})
    assert other.status_code == 302, "another account is not affected"


def test_login_rate_limited_per_address(app, client, factory):
    app.config["RATELIMIT_LOGIN_ADDRESS"] = "3 per minute"
    try:
        statuses = [
            client.post("/login", data={"email": f"p{i}@example.org", "password": "x"}).status_code for i in range(4)
        ]
    finally:
        app.config["RATELIMIT_LOGIN_ADDRESS"] = "30 per minute"
    assert statuses == [422, 422, 422, 429]


def test_rate_limit_page_is_translated(client, personas):
    for _ in range(5):
        client.post("/login", data={"email": "a@example.org", "password": "x"})
    response = client.post(
        "/login", data={"email": "a@example.org", "password": "x"}, headers={"Accept-Language": "es"}
    )
    assert response.status_code == 429
    assert "Demasiados intentos" in response.get_data(as_text=True)


def _registration(number, **changes):
    return {
        "email": f"vecina{number}@example.org",
        "display_name": f"Vecina {number}",
        "password": "una clave bien larga",
        "confirm": "una clave bien larga",
        "consent": "y",
        **changes,
    }


def test_a_room_of_forty_registers_from_one_address_and_mistakes_do_not_count(app, places):
    """A session's Wi-Fi: one address for the whole room. Only accounts created count
    against the limit (60 an hour by default), so forty people register, each after a
    mistake, and the sixty-first account is refused with the form kept."""
    assert app.config["RATELIMIT_REGISTER"] == "60 per hour"
    statuses = []
    for number in range(60):
        device = app.test_client()  # each person on their own phone, the same address
        if number < 40:
            mistake = device.post("/register", data=_registration(number, confirm="otra clave distinta"))
            assert mistake.status_code == 422
        statuses.append(device.post("/register", data=_registration(number)).status_code)
    assert statuses == [302] * 60
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User).where(User.email.like("vecina%"))) == 60

    refused = app.test_client().post(
        "/register",
        data=_registration(60, municipality=str(places["home"])),
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    page = refused.get_data(as_text=True)
    assert "Too many registrations from this connection" in page
    assert "enter the password again and send the form in" in page
    assert 'value="vecina60@example.org"' in page and 'value="Vecina 60"' in page, "what was typed is kept"
    assert f'<option selected value="{places["home"]}">' in page
    assert "una clave bien larga" not in page, "but not the password"
    assert "Error code" not in page, "the form, not the error page"
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "vecina60@example.org")) is None


def test_register_attempts_have_a_higher_limit_of_their_own(app, client):
    """Failed forms do not use up the accounts an address may create, but they are not
    unlimited either (probing which addresses have an account stays slow)."""
    app.config["RATELIMIT_REGISTER_ATTEMPTS"] = "3 per hour"
    try:
        statuses = [
            client.post("/register", data=_registration(1, email="bad"), headers={"Accept-Language": "es"})
            for _ in range(4)
        ]
    finally:
        app.config["RATELIMIT_REGISTER_ATTEMPTS"] = "200 per hour"
    assert [r.status_code for r in statuses] == [422, 422, 422, 429]
    page = statuses[-1].get_data(as_text=True)
    assert 'value="Vecina 1"' in page and 'id="register-refused"' in page


def test_signed_in_posts_to_register_use_none_of_the_allowance(app, client, personas):
    app.config["RATELIMIT_REGISTER"] = "1 per hour"
    try:
        login(client, personas["citizen"])
        assert [client.post("/register", data=_registration(1)).status_code for _ in range(3)] == [302] * 3
        client.post("/logout")
        assert client.post("/register", data=_registration(2)).status_code == 302
        client.post("/logout")
        assert client.post("/register", data=_registration(3)).status_code == 429
    finally:
        app.config["RATELIMIT_REGISTER"] = "60 per hour"


def test_password_change_rate_limited_per_account(client, personas):
    login(client, personas["citizen"])
    data = {"current": "wrong password!", "password": "nueva clave larga", "confirm": "nueva clave larga"}
    statuses = [client.post("/account/password", data=data).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/account", True),
        ("/forums/?page=2", True),
        (None, False),
        ("", False),
        ("//evil.example", False),
        ("https://evil.example/x", False),
        ("http://localhost/account", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("account", False),
        ("/account\r\nSet-Cookie: x=1", False),
    ],
)
def test_is_safe_redirect(app, target, safe):
    with app.test_request_context("/login"):
        assert is_safe_redirect(target) is safe


@pytest.mark.parametrize(
    ("method", "url", "status", "es_title", "en_title"),
    [
        ("GET", "/nothing-here", 404, "Página no encontrada", "Page not found"),
        ("GET", "/logout", 405, "Método no permitido", "Method not allowed"),
    ],
)
def test_error_pages_in_both_languages(client, method, url, status, es_title, en_title):
    es = client.open(url, method=method, headers={"Accept-Language": "es"})
    en = client.open(url, method=method, headers={"Accept-Language": "en"})
    assert es.status_code == en.status_code == status
    assert es_title in es.get_data(as_text=True)
    assert en_title in en.get_data(as_text=True)
    assert "Traceback" not in es.get_data(as_text=True)


def test_forbidden_page(client, personas):
    login(client, personas["citizen"])
    response = client.get("/admin/", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_body_size_limit_gives_413(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)}, headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_bad_request_page(client):
    response = client.post("/login", data=b"\xff\xfe", content_type="multipart/form-data; boundary=")
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.get_data(as_text=True)


def test_server_error_page_has_no_stack_trace(app, tmp_path):
    from tests.conftest import make_app

    broken = make_app(f"sqlite:///{tmp_path / 'e.sqlite3'}", PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = broken.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_failed_commit_leaves_nothing_half_written(app, tmp_path):
    """A request whose commit fails answers 500 and writes nothing."""
    from tests.conftest import make_app

    application = make_app(f"sqlite:///{tmp_path / 'c.sqlite3'}", PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @application.post("/two-writes")
    def two_writes():
        from accounts.models import Municipality

        db.session.add(Municipality(name="Uno"))
        db.session.flush()
        db.session.add(Municipality(name="Uno"))  # violates the unique name at commit
        return "ok"

    response = application.test_client().post("/two-writes")
    assert response.status_code == 500
    with application.app_context():
        from accounts.models import Municipality

        assert db.session.scalar(select(func.count(Municipality.id))) == 0
