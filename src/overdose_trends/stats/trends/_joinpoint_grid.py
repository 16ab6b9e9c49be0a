"""Candidate joinpoint sets of a series and their least-squares fits, all at once.

Private to :mod:`overdose_trends.stats.trends.joinpoint`. The grid search of NCI's
Joinpoint program puts joinpoints only on observed time points, so for a
series of ``n`` points every candidate model is a set of positions
``j1 < j2 < ... < jk``. :func:`candidate_grid` lists them once per
``(n, k_max, min_end, min_between)`` (cached) as a tree: each ``k``-set extends
a ``(k-1)``-set by one later joinpoint.

:class:`Basis` then orthonormalises, for one series' weights, the columns of
every candidate design ``[1, t, (t - t_j1)+, ..., (t - t_jk)+]`` along that
tree (weighted Gram-Schmidt, applied twice): the ``k``-set's new direction is
the hinge at ``jk`` made orthogonal to ``1``, ``t`` and its parent's
directions. The weighted sum of squared errors (SSE) of every candidate for
every response vector is then ``||y||^2`` minus the sum of squared
projections along its chain of directions, so the minimum SSE of each number
of joinpoints for thousands of permuted responses costs one matrix product
per level plus an element-wise maximum - no per-candidate regression.

References
----------
Lerman PM (1980). Fitting segmented regression models by grid search.
*Journal of the Royal Statistical Society C* 29(1):77-84.

Golub GH, Van Loan CF (2013). *Matrix Computations*, 4th ed., section 5.2.8
(Gram-Schmidt, with re-orthogonalisation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["Basis", "Grid", "candidate_grid", "max_feasible_joinpoints"]

#: A direction shorter than this fraction of its hinge column is treated as
#: lying in the span of the earlier columns (a degenerate candidate).
_DEGENERATE = 1e-9


def max_feasible_joinpoints(n: int, min_end: int, min_between: int) -> int:
    """Largest number of joinpoints a series of ``n`` points can hold.

    A ``k``-joinpoint model on observed time points needs
    ``n >= 2 * min_end + (k - 1) * min_between + k`` observations (NCI
    Joinpoint help, "Minimum Number of Observations Required").
    """
    if n < 2 * min_end + 1:
        return 0
    return (n - 2 * min_end + min_between) // (min_between + 1)


@dataclass(frozen=True)
class Grid:
    """Every admissible joinpoint set of a series of ``n`` points, as a tree.

    Attributes
    ----------
    n : int
        Number of time points.
    min_end, min_between : int
        Fewest observations between a joinpoint and either end of the series,
        and between two joinpoints, not counting the joinpoints themselves.
    tuples : tuple of ndarray of int64
        ``tuples[k - 1]`` is a ``(C_k, k)`` array of increasing positions
        (0-based row numbers within the series), one row per ``k``-set.
    parents : tuple of ndarray of int64
        ``parents[k - 1][c]`` is the row of ``tuples[k - 2]`` that the
        ``k``-set ``c`` extends by its last joinpoint (zeros for ``k = 1``).
        Sets are generated parent by parent, so ``parents[k - 1]`` is sorted.
    """

    n: int
    min_end: int
    min_between: int
    tuples: tuple[NDArray[np.int64], ...]
    parents: tuple[NDArray[np.int64], ...]

    @property
    def max_k(self) -> int:
        """Largest number of joinpoints in the grid."""
        return len(self.tuples)


@lru_cache(maxsize=128)
def candidate_grid(n: int, max_k: int, min_end: int, min_between: int) -> Grid:
    """All joinpoint sets with up to ``max_k`` joinpoints for ``n`` points (cached).

    ``max_k`` is capped at :func:`max_feasible_joinpoints`.
    """
    max_k = min(max_k, max_feasible_joinpoints(n, min_end, min_between))
    last_allowed = n - 1 - min_end
    tuples: list[NDArray[np.int64]] = []
    parents: list[NDArray[np.int64]] = []
    if max_k >= 1:
        first = np.arange(min_end, last_allowed + 1, dtype=np.int64)
        tuples.append(first[:, None])
        parents.append(np.zeros(first.size, dtype=np.int64))
    for _ in range(1, max_k):
        prev = tuples[-1]
        lowest = prev[:, -1] + min_between + 1
        counts = np.maximum(last_allowed - lowest + 1, 0)
        parent = np.repeat(np.arange(prev.shape[0], dtype=np.int64), counts)
        offset = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        new = np.repeat(lowest, counts) + offset
        tuples.append(np.concatenate([prev[parent], new[:, None]], axis=1))
        parents.append(parent)
    return Grid(n, min_end, min_between, tuple(tuples), tuple(parents))


class Basis:
    """Orthonormal directions of every candidate model of one weighted series.

    Parameters
    ----------
    grid : Grid
        The candidate joinpoint sets.
    weights : ndarray of float64
        Regression weight of each point (inverse variance of ``log(y)``);
        the fits minimise ``sum(w * (y - fit)^2)``.
    times : ndarray of float64, optional
        Time of each point (increasing); the design columns are ``1``, ``t``
        and the hinges ``(t - t_j)+``. Default ``0, 1, ..., n - 1`` (equally
        spaced points; any equally spaced times give the same fits). The
        joinpoint candidates are these times.
    row_times : ndarray of float64, optional
        Time of each response row when the rows are not the ``times``
        themselves: several series stacked on the same time points (the
        comparability tests), ``weights`` then has one value per row.
    extra : ndarray of float64, optional
        Further columns common to every candidate design, shape ``(m, rows)``
        (e.g. a series indicator: parallel lines with their own intercepts).

    Notes
    -----
    Responses passed to the methods are already multiplied by ``sqrt(w)``
    (the weighted space), shape ``(B, n)`` for ``B`` response vectors.
    """

    def __init__(
        self,
        grid: Grid,
        weights: NDArray[np.float64],
        times: NDArray[np.float64] | None = None,
        *,
        row_times: NDArray[np.float64] | None = None,
        extra: NDArray[np.float64] | None = None,
    ) -> None:
        n = grid.n
        self.grid = grid
        sw = np.sqrt(np.asarray(weights, dtype=np.float64))
        t = np.arange(n, dtype=np.float64) if times is None else np.asarray(times, np.float64)
        rows = t if row_times is None else np.asarray(row_times, np.float64)
        # centred and scaled to about [-1/2, 1/2] for conditioning; fits are unchanged
        span = max(float(t[-1] - t[0]), np.finfo(float).tiny)
        x = (t - t.mean()) / span
        xr = (rows - t.mean()) / span
        base = [np.ones(rows.size), xr]
        if extra is not None:
            base += list(np.atleast_2d(np.asarray(extra, np.float64)))
        self.q0, _ = np.linalg.qr(sw[:, None] * np.column_stack(base))
        hinge = sw[:, None] * np.maximum(xr[:, None] - x[None, :], 0.0)
        self.directions: list[NDArray[np.float64]] = []
        self.masks: list[NDArray[np.float64] | None] = []
        for k in range(1, grid.max_k + 1):
            last = grid.tuples[k - 1][:, -1]
            v = hinge[:, last].T.copy()
            reference = np.linalg.norm(v, axis=1)
            own = np.arange(last.size)
            chain = [self.directions[m - 1][rows] for m, rows in self._ancestors(k, own)]
            for _ in range(2):
                v -= (v @ self.q0) @ self.q0.T
                for a in chain:
                    v -= np.einsum("cn,cn->c", v, a)[:, None] * a
            norm = np.linalg.norm(v, axis=1)
            ok = norm > _DEGENERATE * np.maximum(reference, np.finfo(float).tiny)
            v[ok] /= norm[ok, None]
            v[~ok] = 0.0
            self.directions.append(v)
            self.masks.append(None if ok.all() else np.where(ok, 0.0, -np.inf))

    def _ancestors(self, k: int, rows: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
        """``(level, rows)`` of the ancestors of the ``k``-sets at ``rows``, nearest first."""
        out = []
        for m in range(k - 1, 0, -1):
            rows = self.grid.parents[m][rows]
            out.append((m, rows))
        return out

    def _levels(self, yp: NDArray[np.float64], k_max: int) -> Iterator[NDArray[np.float64]]:
        """For ``k = 1..k_max``: squared projection of each response on each ``k``-set's hinges.

        Yields arrays of shape ``(B, C_k)``; degenerate sets get ``-inf``.
        """
        cum: NDArray[np.float64] | None = None
        for k in range(1, k_max + 1):
            a = yp @ self.directions[k - 1].T
            a *= a
            if cum is not None:
                a += cum[:, self.grid.parents[k - 1]]
            mask = self.masks[k - 1]
            if mask is not None:
                a += mask
            yield a
            cum = a

    def _centred(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        """``y`` minus its weighted straight-line fit (common to every candidate)."""
        return y - (y @ self.q0) @ self.q0.T

    def best_sse(self, y: NDArray[np.float64], k_max: int) -> NDArray[np.float64]:
        """Smallest weighted SSE with ``0..k_max`` joinpoints for each response.

        Parameters
        ----------
        y : ndarray, shape (B, n)
            Responses in the weighted space (``sqrt(w) * log(rate)``).
        k_max : int
            Largest number of joinpoints (at most ``grid.max_k``).

        Returns
        -------
        ndarray, shape (k_max + 1, B)
        """
        yp = self._centred(y)
        total = np.einsum("bn,bn->b", yp, yp)
        out = np.empty((k_max + 1, y.shape[0]))
        out[0] = total
        for k, a in enumerate(self._levels(yp, k_max), start=1):
            out[k] = total - a.max(axis=1)
        return out

    def all_sse(self, y: NDArray[np.float64], k_max: int) -> list[NDArray[np.float64]]:
        """Weighted SSE of every candidate: ``[array (1,), array (C_1,), ..., array (C_k,)]``.

        ``y`` is one response vector in the weighted space, shape ``(n,)``.
        Degenerate candidates get ``inf``.
        """
        yp = self._centred(y[None, :])
        total = float(np.einsum("bn,bn->b", yp, yp)[0])
        return [np.array([total])] + [total - a[0] for a in self._levels(yp, k_max)]

    def best_rows(
        self, y: NDArray[np.float64], k_max: int
    ) -> tuple[NDArray[np.float64], list[int | None]]:
        """Smallest SSE and the row of the best set, for ``0..k_max`` joinpoints.

        Returns ``(sse, rows)``: ``sse`` of shape ``(k_max + 1,)`` and
        ``rows[k]`` the row of ``grid.tuples[k - 1]`` (``None`` for ``k = 0``).
        Ties go to the earliest set.
        """
        every = self.all_sse(y, k_max)
        rows: list[int | None] = [None] + [int(np.argmin(s)) for s in every[1:]]
        sse = np.array([float(s.min()) for s in every])
        return sse, rows

    def best_set_rows(self, y: NDArray[np.float64], k: int) -> NDArray[np.int64]:
        """Row of ``grid.tuples[k - 1]`` of the best ``k``-set for each response, shape ``(B,)``.

        ``y`` has shape ``(B, n)`` (weighted space); ``k >= 1``.
        """
        best = np.zeros(y.shape[0], dtype=np.int64)
        for level, a in enumerate(self._levels(self._centred(y), k), start=1):
            if level == k:
                best = np.argmax(a, axis=1)
        return best

    def fitted(self, y: NDArray[np.float64], k: int, row: int | None) -> NDArray[np.float64]:
        """Weighted-space fitted values of the ``k``-set at ``row`` for one response ``y`` (n,)."""
        f = self.q0 @ (self.q0.T @ y)
        if k == 0 or row is None:
            return f
        chain = [(k, np.array([row])), *self._ancestors(k, np.array([row]))]
        for level, rows in chain:
            u = self.directions[level - 1][int(rows[0])]
            f = f + u * float(u @ y)
        return f
