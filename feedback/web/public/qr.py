"""QR codes for feedback links, drawn by segno (pure Python: no image library, no network).

Error correction "M" survives a little glare on a projected slide or a creased handout; the
quiet zone (border) is the standard four modules, which phone cameras need to find the code.
"""

from __future__ import annotations

import io

import segno


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, scale: int = 8) -> bytes:
    """A standalone SVG document (scales without blurring on slides and in print)."""
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="svg", scale=scale, border=4, xmldecl=True, title="QR code: " + url)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A PNG, for tools that do not take SVG (some slide software)."""
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
