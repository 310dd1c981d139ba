"""Cookie flags and security headers for both faces, and the rate limiters.

Decisions:

* The session cookie is ``Secure`` except in debug and testing, and except when the site's own
  address (``FEEDBACK_BASE_URL``) is plain http: ``make run`` serves http://127.0.0.1:5000, and a
  demo on a laptop's LAN address is http too; a Secure cookie there is never sent back, so nobody
  could sign in and no respondent's form would pass its CSRF check. Any https deployment gets
  Secure. Always ``HttpOnly`` and ``SameSite=Lax``: Lax still sends the cookie when someone follows
  an e-mailed link into the staff area, while cross-site POSTs go without.
* CSP allows scripts only from this site and with the page's nonce (``csp_nonce`` from
  :mod:`feedback.web.assets`); no inline scripts or styles, so progress bars use ``<progress>``
  rather than ``style="width: ..."``.
* ``Referrer-Policy: same-origin``: Flask-WTF checks on HTTPS that a POST's Referer is this site,
  so ``no-referrer`` would break every form; ``same-origin`` keeps that check working while
  tokens in URLs (reset links, respondents' links) never leak to other sites.
* Staff pages are ``Cache-Control: no-store``: they hold respondents' data, which must not stay in
  a shared computer's browser cache after logging out.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, g, request

from ..config import Settings
from . import ratelimit


def content_security_policy(nonce: str | None) -> str:
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # for browsers without frame-ancestors
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.path.startswith("/staff"):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    settings: Settings = app.config["FEEDBACK_SETTINGS"]
    secure = not (settings.debug or settings.testing or settings.base_url.startswith("http://"))
    app.config.update(
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # A staff session ends after a working day without use (Flask refreshes it on each request).
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    if secure:
        app.after_request(_hsts)
    app.after_request(_headers)
    ratelimit.init_app(app)


def _hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
