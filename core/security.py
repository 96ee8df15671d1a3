"""Response headers and redirect safety."""

from urllib.parse import urljoin, urlsplit

from flask import current_app, request
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE_DEFAULT_NAME

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def set_security_headers(response):
    """``after_request`` hook: add the security headers to every response, HSTS in
    production (``STRICT_TRANSPORT_SECURITY``), and ``Cache-Control: no-store`` on the
    HTML pages of a signed-in person (:func:`no_store_when_signed_in`). Raises nothing."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    return no_store_when_signed_in(response)


def no_store_when_signed_in(response):
    """Mark an HTML page shown to a signed-in person ``Cache-Control: no-store``, so that
    neither the browser nor a proxy keeps a copy of personal pages (the back button after
    signing out, a shared computer). A response that already says how to cache is left as
    it is; other responses (static files, downloads) are checked before the user is
    looked at, so they cost no query. Raises nothing."""
    if "Cache-Control" in response.headers or response.mimetype != "text/html":
        return response
    if current_user and current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def delete_remember_cookie(response):
    """Delete Flask-Login's remember-me cookie on ``response``, with the attributes it is
    set with (Secure in production, HttpOnly, SameSite), so that even the deletion is a
    Secure cookie in production. Raises nothing."""
    config = current_app.config
    response.delete_cookie(
        config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE_DEFAULT_NAME),
        domain=config.get("REMEMBER_COOKIE_DOMAIN"),
        path=config.get("REMEMBER_COOKIE_PATH", "/"),
        secure=config.get("REMEMBER_COOKIE_SECURE", False),
        httponly=config.get("REMEMBER_COOKIE_HTTPONLY", True),
        samesite=config.get("REMEMBER_COOKIE_SAMESITE"),
    )
    return response


def is_safe_redirect(target: str | None) -> bool:
    """Whether ``target`` is a path on this site, safe to redirect to after login."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    joined = urlsplit(urljoin(request.host_url, target))
    return joined.netloc == urlsplit(request.host_url).netloc
