"""Paths' arithmetic, without I/O: sessions, collapsed repeats, the paths from or to a step, and the Sankey
layout of the top ones.

- A visitor's steps (page views, features, track events, each named by its reference) are split into
  sessions where more than :data:`SESSION_GAP` seconds pass between two of them, and a step repeated
  back to back within a session is kept once (``home, home, billing`` is ``home, billing``).
- From a step ``R``: every place ``R`` occurs in a session starts a path of the next ``length`` steps; one
  that reaches the session's end before that ends in :data:`EXIT`.
- To a step ``R``: every place ``R`` occurs ends a path of the ``length`` steps up to it; one that reaches
  back to the session's start begins at :data:`START`.
- To :data:`EXIT` (``to_step=exit``): each session's last ``length - 1`` steps, then :data:`EXIT`: what a
  visitor did just before leaving.
- A path counts the visitors who took it at least once; the top ``n`` are the most taken (ties by path).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "EXIT",
    "SESSION_GAP",
    "START",
    "PathCount",
    "SankeyLayout",
    "SankeyLink",
    "SankeyNode",
    "collapse",
    "paths_of",
    "sankey",
    "sessions",
    "top_paths",
    "visitor_sessions",
]

SESSION_GAP = 30 * 60
"""Seconds idle after which the next step starts a new session."""
EXIT = "exit"
START = "start"


@dataclass(frozen=True, slots=True)
class PathCount:
    steps: tuple[str, ...]
    visitors: int


def sessions(steps: Sequence[tuple[int, str]]) -> list[list[str]]:
    """A visitor's ``(second, step)`` pairs, in time order, cut into sessions with repeats collapsed."""
    return visitor_sessions(("", second, step) for second, step in steps).get("", [])


def visitor_sessions(rows: Iterable[tuple[str, int, str]]) -> dict[str, list[list[str]]]:
    """Every visitor's sessions (as :func:`sessions` cuts them) from ``(visitor, second, step)`` rows in time
    order, visitors interleaved: built as the rows come, so a report's hundreds of thousands of steps are not
    first grouped into lists per visitor and then walked again."""
    out: dict[str, list[list[str]]] = {}
    last: dict[str, int] = {}
    for visitor, second, step in rows:
        taken = out.get(visitor)
        if taken is None:
            out[visitor] = [[step]]
        elif second - last[visitor] > SESSION_GAP:
            taken.append([step])
        elif (current := taken[-1])[-1] != step:
            current.append(step)
        last[visitor] = second
    return out


def collapse(steps: Iterable[str]) -> list[str]:
    """Consecutive repeats kept once."""
    out: list[str] = []
    for step in steps:
        if not out or out[-1] != step:
            out.append(step)
    return out


def paths_of(visits: Sequence[Sequence[str]], length: int, from_step: str | None, to_step: str | None
             ) -> set[tuple[str, ...]]:
    """The distinct paths one visitor's sessions hold (see the module's rules). Each occurrence of the step
    is found by ``count`` and ``index``, which scan in C: most sessions hold it seldom or never."""
    found: set[tuple[str, ...]] = set()
    step = from_step if from_step is not None else to_step
    if step is None:
        return found
    for session in visits:
        if to_step == EXIT:
            if session:
                found.add((*session[-(length - 1):], EXIT))
            continue
        index = -1
        for _ in range(session.count(step)):
            index = session.index(step, index + 1)
            if from_step is not None:
                path = session[index:index + length]
                found.add(tuple(path) if len(path) == length else (*path, EXIT))
            else:
                begin = index - length + 1
                path = session[max(0, begin):index + 1]
                found.add(tuple(path) if begin >= 0 else (START, *path))
    return found


def top_paths(visitors: Mapping[str, Sequence[Sequence[str]]], length: int, from_step: str | None,
              to_step: str | None, top: int) -> list[PathCount]:
    """The ``top`` paths taken by the most visitors (each visitor counts once per path)."""
    counts: Counter[tuple[str, ...]] = Counter()
    for visits in visitors.values():
        counts.update(paths_of(visits, length, from_step, to_step))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [PathCount(path, n) for path, n in ranked[:top]]


@dataclass(frozen=True, slots=True)
class SankeyNode:
    column: int
    label: str
    visitors: int
    x: float
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class SankeyLink:
    source: str
    target: str
    visitors: int
    d: str
    """The SVG path of the band (a closed shape between two cubic curves)."""


@dataclass(frozen=True, slots=True)
class SankeyLayout:
    width: int
    height: int
    node_width: int
    nodes: tuple[SankeyNode, ...]
    links: tuple[SankeyLink, ...]


def sankey(paths: Sequence[PathCount], width: int = 900, height: int = 360, node_width: int = 12,
           gap: int = 10) -> SankeyLayout:
    """Columns are positions in the path, nodes the steps there, bands the visitors going from one to the next.

    A node's height is proportional to the visitors of the top paths through it; the bands leaving (and
    entering) a node are stacked in the order of the nodes they lead to, so they never cross inside it.
    """
    columns = max((len(p.steps) for p in paths), default=0)
    node_totals: list[Counter[str]] = [Counter() for _ in range(columns)]
    link_totals: list[Counter[tuple[str, str]]] = [Counter() for _ in range(max(0, columns - 1))]
    for path in paths:
        for column, step in enumerate(path.steps):
            node_totals[column][step] += path.visitors
            if column:
                link_totals[column - 1][(path.steps[column - 1], step)] += path.visitors
    most_nodes = max((len(c) for c in node_totals), default=0)
    most_visitors = max((sum(c.values()) for c in node_totals), default=0)
    room = max(height - gap * max(0, most_nodes - 1), 8 * most_nodes)
    height = int(room + gap * max(0, most_nodes - 1))
    scale = room / most_visitors if most_visitors else 0.0
    step_x = (width - node_width) / max(1, columns - 1)
    nodes: dict[tuple[int, str], SankeyNode] = {}
    for column, totals in enumerate(node_totals):
        y = 0.0
        for label, visitors in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
            size = max(1.0, visitors * scale)
            nodes[(column, label)] = SankeyNode(column, label, visitors, round(column * step_x, 1), round(y, 1),
                                                round(size, 1))
            y += size + gap
    links: list[SankeyLink] = []
    for column, pairs in enumerate(link_totals):
        out_offset: dict[str, float] = defaultdict(float)
        in_offset: dict[str, float] = defaultdict(float)
        ordered = sorted(pairs.items(), key=lambda item: (nodes[(column, item[0][0])].y,
                                                           nodes[(column + 1, item[0][1])].y))
        for (source, target), visitors in ordered:
            band = max(1.0, visitors * scale)
            a, b = nodes[(column, source)], nodes[(column + 1, target)]
            y0 = a.y + out_offset[source]
            y1 = b.y + in_offset[target]
            out_offset[source] += band
            in_offset[target] += band
            links.append(SankeyLink(source, target, visitors, _band(a.x + node_width, y0, b.x, y1, band)))
    return SankeyLayout(width, height, node_width, tuple(nodes.values()), tuple(links))


def _band(x0: float, y0: float, x1: float, y1: float, size: float) -> str:
    middle = (x0 + x1) / 2
    return (f"M{x0:.1f},{y0:.1f} C{middle:.1f},{y0:.1f} {middle:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
            f"L{x1:.1f},{y1 + size:.1f} C{middle:.1f},{y1 + size:.1f} {middle:.1f},{y0 + size:.1f} "
            f"{x0:.1f},{y0 + size:.1f} Z")
