"""TrueType fonts with Cyrillic for the report (PDF) and the figures.

reportlab's bundled fonts (Helvetica, Times, Bitstream Vera) have no Cyrillic glyphs, so a system
font is required. DejaVu (Debian package ``fonts-dejavu-core``) is looked for first; Liberation
and Noto are accepted as alternatives. ``AUDITA_REPORT_FONT_DIR`` may point to a folder holding
``DejaVuSans.ttf``, ``DejaVuSans-Bold.ttf`` and ``DejaVuSansMono.ttf``.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from audita.errors import AuditaError

_FAMILIES: tuple[tuple[str, str, str, str], ...] = (
    # (folder, regular, bold, monospace)
    ("/usr/share/fonts/truetype/dejavu", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"),
    ("/usr/share/fonts/truetype/liberation", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
     "LiberationMono-Regular.ttf"),
    ("/usr/share/fonts/truetype/liberation2", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf",
     "LiberationMono-Regular.ttf"),
    ("/usr/share/fonts/truetype/noto", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansMono-Regular.ttf"),
)


@dataclass(frozen=True)
class FontSet:
    regular: Path
    bold: Path
    mono: Path

    def describe(self) -> dict[str, dict[str, str]]:
        """File names and SHA-256 of the fonts, for the methodology record."""
        return {role: {"file": str(path), "sha256": _sha256(path)}
                for role, path in (("regular", self.regular), ("bold", self.bold), ("mono", self.mono))}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def report_fonts() -> FontSet:
    """The first complete font family found; raises AuditaError naming the Debian package otherwise."""
    candidates = list(_FAMILIES)
    override = os.environ.get("AUDITA_REPORT_FONT_DIR")
    if override:
        candidates.insert(0, (override, "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"))
    for folder, regular, bold, mono in candidates:
        paths = [Path(folder) / name for name in (regular, bold, mono)]
        if all(p.is_file() for p in paths):
            return FontSet(*paths)
    raise AuditaError(
        "the report needs a TrueType font with Cyrillic: install the Debian package fonts-dejavu-core "
        "(or export with --no-report)"
    )
