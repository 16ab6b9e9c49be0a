"""Checking placed point labels against their real drawn extents, and fixing collisions.

:func:`overdose_trends.plots._common.label_points` places labels from estimated text
sizes. :func:`fit_labels` measures each label as drawn (the renderer's window extent)
and moves any label that overlaps an earlier one, the legend, or leaves the Axes to
the first free position of a wider set of offsets; a label with no free position is
removed, and the caller says so in a note. Labels are handled in order, so earlier
ones (e.g. highlighted areas) keep their place.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

__all__ = ["fit_labels"]

#: Offsets (points) tried for a label that collides, nearest first: eight directions at
#: growing distances, with the alignment that keeps the text on that side of its point.
_RADII = (6, 12, 20, 30, 42, 56)
_DIRECTIONS = (
    (1, 0.5, "left", "bottom"),
    (1, -0.5, "left", "top"),
    (-1, 0.5, "right", "bottom"),
    (-1, -0.5, "right", "top"),
    (0, 1, "center", "bottom"),
    (0, -1, "center", "top"),
    (1, 1, "left", "bottom"),
    (1, -1, "left", "top"),
    (-1, 1, "right", "bottom"),
    (-1, -1, "right", "top"),
)
#: Room (pixels) kept between labels, and inside the Axes edge.
_PAD = 1.0


def _box(label: Annotation, renderer: object) -> Bbox:
    # the text's own box (an Annotation's extent would include its leader line)
    label.update_positions(renderer)  # type: ignore[arg-type]
    return Text.get_window_extent(label, renderer).padded(_PAD)  # type: ignore[arg-type]


def _fits(box: Bbox, frame: Bbox, taken: Sequence[Bbox]) -> bool:
    inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
    return inside and not any(box.overlaps(other) for other in taken)


def fit_labels(ax: Axes, labels: Sequence[Annotation]) -> list[int]:
    """Move labels that collide or leave ``ax``; remove those with no room. Indices removed.

    The figure's layout must be final (draw it first, e.g. ``layout_now``). A label
    is moved only when it overlaps a label kept before it or the legend, or reaches
    outside the Axes; the offsets tried are those of :data:`_RADII` x
    :data:`_DIRECTIONS`, nearest first.
    """
    fig = ax.get_figure(root=True)
    if fig is None or not labels:
        return []
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure() has no drawing canvas yet
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    taken: list[Bbox] = []
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        taken.append(legend.get_window_extent(renderer))
    removed: list[int] = []
    for i, label in enumerate(labels):
        box: Bbox | None = _box(label, renderer)
        if box is None or not _fits(box, frame, taken):
            box = _move(label, renderer, frame, taken)
        if box is None:
            label.remove()
            removed.append(i)
        else:
            taken.append(box)
    return removed


def _move(label: Annotation, renderer: object, frame: Bbox, taken: Sequence[Bbox]) -> Bbox | None:
    """Put ``label`` at the first free offset; its box there, or None (left where it was)."""
    start = (label.xyann, label.get_horizontalalignment(), label.get_verticalalignment())
    for radius in _RADII:
        for ux, uy, ha, va in _DIRECTIONS:
            label.xyann = (ux * radius, uy * radius)
            label.set(horizontalalignment=ha, verticalalignment=va)
            box = _box(label, renderer)
            if _fits(box, frame, taken):
                return box
    label.xyann = start[0]
    label.set(horizontalalignment=start[1], verticalalignment=start[2])
    return None
