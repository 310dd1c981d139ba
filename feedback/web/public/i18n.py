"""Languages for respondents: Flask-Babel for our own words, the instrument for its own.

Our strings (buttons, messages, the domain's error messages) go through ``gettext``; their
catalogues are ``feedback/translations/<locale>/LC_MESSAGES/messages.po``. The ``.po`` files are
the only thing kept in the repository: at start-up they are compiled into the instance folder
(``instance/translations``), so no build step is needed and nothing generated is committed.
Compiling a small catalogue takes milliseconds and happens only when the ``.po`` is newer.

An instrument's own texts (labels, hints, choices) come from its ``label::Welsh (cy)`` columns:
:func:`instrument_language` picks the column matching the respondent's locale.

The locale is ``?lang=cy`` (remembered in the session so it survives POSTs and redirects), else
the browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale

SOURCE = Path(__file__).resolve().parents[2] / "translations"
LOCALES = ("en", "cy")
log = logging.getLogger(__name__)


def compile_catalogues(source: Path, target: Path) -> None:
    """Compile every ``.po`` under ``source`` into ``.mo`` under ``target`` (atomically)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in source.glob("*/LC_MESSAGES/*.po"):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=po_path.parts[-3])
        fd, temp = tempfile.mkstemp(dir=mo_path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalogue)
        os.replace(temp, mo_path)


def _select_locale() -> str:
    chosen = session.get("lang") if request else None
    if chosen in LOCALES:
        return str(chosen)
    return (request.accept_languages.best_match(LOCALES) if request else None) or "en"


def remember_language() -> None:
    """``?lang=cy`` switches language for the rest of the visit (before_request hook)."""
    lang = request.args.get("lang")
    if lang in LOCALES and session.get("lang") != lang:
        session["lang"] = lang


def current_locale() -> str:
    return str(get_locale() or "en")


def instrument_language(languages: tuple[str, ...], default_language: str = "") -> str | None:
    """The instrument's language column for the current locale (``Welsh (cy)`` or ``cy``).

    None means the default texts. When the locale matches the instrument's default language,
    the default texts are those, so None is right too.
    """
    locale = current_locale()
    for language in languages:
        code = language.rsplit("(", 1)[-1].rstrip(")").strip().lower() if "(" in language else language
        if code.lower() == locale and language != default_language:
            return language
    return None


def init_app(app: Flask) -> None:
    """Set up Flask-Babel once per app (the staff face may call this too)."""
    if "babel" in app.extensions:
        return
    target = Path(app.instance_path) / "translations"
    try:
        compile_catalogues(SOURCE, target)
    except OSError as exc:  # a read-only instance folder: respondents get English, not an error
        log.warning("could not compile translations into %s: %s", target, exc)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(target))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    Babel(app, locale_selector=_select_locale)
