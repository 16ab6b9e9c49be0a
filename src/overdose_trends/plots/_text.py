"""Measuring text for layout: the width of a line of the annotation font, and word wrapping.

Shared by :func:`overdose_trends.plots.style.annotate` (wrapping titles and
notes to the figure's width) and the point labels of
:mod:`overdose_trends.plots._common` (estimating label boxes). Widths are
measured from the glyphs of a fixed font, so layouts are the same whatever
style is active.
"""

from __future__ import annotations

from functools import lru_cache

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

#: Font of the annotation texts (measured for wrapping, so fixed whatever the active style).
FONT = "DejaVu Sans"
#: Share of the width filled by wrapped text: glyph measurements run about 2% short of
#: the rendered (hinted) text.
WRAP_MARGIN = 0.95

_TEXT_TO_PATH = TextToPath()


@lru_cache(maxsize=4096)
def text_width_pt(text: str, size_pt: float, weight: str = "normal") -> float:
    """Width in points of one line of :data:`FONT` text (measured from the glyphs; cached)."""
    prop = FontProperties(family=FONT, size=size_pt, weight=weight)
    width, _height, _descent = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, False)
    return float(width)


def wrap(text: str, width_in: float, size_pt: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` to ``width_in`` inches, measuring each line."""
    limit = width_in * 72.0 * WRAP_MARGIN
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        for word in paragraph.split():
            trial = f"{current} {word}" if current else word
            if current and text_width_pt(trial, size_pt, weight) > limit:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    return lines or [""]
