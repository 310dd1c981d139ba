"""LibreOffice and poppler for tests that look at outputs as a reader would.

`.ci/run` installs Debian's LibreOffice (Calc and Writer) and poppler-utils; where they are
missing the tests that need them are skipped with a message saying so. Each conversion uses its
own LibreOffice profile, so conversions in parallel or after a crash never share a lock.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs it")
    return found


def convert(path: Path, to: str, outdir: Path | None = None, timeout: float = 180) -> Path:
    """Convert ``path`` with ``soffice --headless --convert-to TO``; the converted file's path."""
    outdir = outdir or path.parent
    profile = outdir / f".lo-profile-{path.stem}"
    result = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            str(path),
        ],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    converted = outdir / f"{path.stem}.{to.split(':')[0]}"
    shutil.rmtree(profile, ignore_errors=True)
    assert converted.exists(), f"LibreOffice did not convert {path.name}: {result.stderr.decode()[-500:]}"
    return converted


def pdf_pages(pdf: Path) -> int:
    """The number of pages of a PDF (pdfinfo when installed, else the page objects counted)."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        out = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
        match = re.search(r"^Pages:\s+(\d+)", out, re.M)
        if match:
            return int(match.group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def pdf_text(pdf: Path) -> str:
    """The text of a PDF (pdftotext, from poppler-utils), for asserting what a reader sees."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: .ci/run installs it")
    done = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout
