"""The network picture: clusters, cities, countries, inter-cluster networks,
projects and agreements as nodes, the ties between them as labelled arrows,
nodes coloured by kind, with a legend. SVG (text kept as text, so it can be
searched) and PNG, drawn with networkx + matplotlib (pure pip installs: no
Graphviz binary).

Nodes and edges come from ``queries/internal/network-edges.rq`` (one row per
typed edge); a node with no tie to another drawn node is not drawn (e.g. a
country that only a support activity targets).

Large graphs. Above ``max_nodes`` nodes (default :data:`MAX_NODES`) the picture
would be unreadable, so it shows less, and says what in its subtitle
(:attr:`Picture.note`):

* with ``focus`` (an IRI) it shows the neighbourhood of that node: every node
  at most ``hops`` ties away (ties followed in both directions), then, if that
  is still too many, the ``max_nodes`` nearest (breadth first);
* without ``focus``, only clusters and inter-cluster networks and the ties
  between them; if still too many, the ``max_nodes`` best connected of them.

``focus`` also works on a small graph (to zoom in).

networkx, matplotlib and scipy (for networkx's Kamada-Kawai layout) are the
optional extra ``clusterkg[picture]``: without them :data:`MISSING` names what
is missing, :func:`picture` draws nothing and says so in its note (the report is
written without its picture), and ``clusterkg picture`` refuses with the
``pip install`` to run.
"""

from __future__ import annotations

import importlib.util
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import project
from .sparql import internal_query
from .sparql import select as select_rows

#: The first module of the ``picture`` extra that is not installed, else None.
MISSING: str | None = next(
    (m for m in ("networkx", "matplotlib", "numpy", "scipy") if importlib.util.find_spec(m) is None), None
)
INSTALL_HINT = "pip install 'clusterkg[picture]'"

if MISSING is None:  # the picture extra is installed
    import matplotlib  # noqa: E402
    import networkx as nx  # noqa: E402
    import numpy as np  # noqa: E402
    from matplotlib.figure import Figure  # noqa: E402
    from matplotlib.lines import Line2D  # noqa: E402

MAX_NODES = 80

CKG = project.ONTOLOGY_NS

#: Node kinds, in legend order: class IRI -> (legend label, colour).
KINDS: dict[str, tuple[str, str]] = {
    CKG + "Cluster": ("cluster", "#1f77b4"),
    CKG + "InterClusterNetwork": ("inter-cluster network", "#d62728"),
    CKG + "Project": ("project", "#2ca02c"),
    CKG + "Agreement": ("agreement", "#9467bd"),
    CKG + "City": ("city", "#ff7f0e"),
    CKG + "Country": ("country", "#7f7f7f"),
}

#: What is kept of a large graph without a focus.
CORE_KINDS = (CKG + "Cluster", CKG + "InterClusterNetwork")


@dataclass
class Picture:
    """What was drawn (``graph`` is None when the picture extra is not installed)."""

    graph: nx.MultiDiGraph | None
    note: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def svg(self) -> str:
        return self.files["svg"].read_text(encoding="utf-8") if "svg" in self.files else ""


def network(store: ox.Store) -> nx.MultiDiGraph:
    """All typed ties of the store as a networkx graph: node attributes ``kind``
    (class IRI) and ``label``; edge key the property IRI, attribute ``label``."""
    g = nx.MultiDiGraph()
    for row in select_rows(store, internal_query("network-edges"), use_default_graph_as_union=True):
        s, t = row["source"].value, row["target"].value
        for node, kind, label in (
            (s, row["sourceKind"], row["sourceLabel"]),
            (t, row["targetKind"], row["targetLabel"]),
        ):
            kind = kind.value
            if node in g and _rank(g.nodes[node]["kind"]) <= _rank(kind):
                continue  # a node of two kinds keeps the first in legend order
            g.add_node(node, kind=kind, label=label.value)
        g.add_edge(s, t, key=row["edge"].value, label=row["edgeLabel"].value)
    return g


def _rank(kind: str) -> int:
    return list(KINDS).index(kind)


def select(
    g: nx.MultiDiGraph, focus: str | None = None, hops: int = 2, max_nodes: int = MAX_NODES
) -> tuple[nx.MultiDiGraph, str]:
    """The part of ``g`` to draw, and a note saying which part it is."""
    n = g.number_of_nodes()
    if focus is not None:
        if focus not in g:
            raise KeyError(focus)
        dist = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), focus, cutoff=hops)
        nearest = sorted(dist, key=lambda x: (dist[x], g.nodes[x]["label"]))
        keep = nearest[:max_nodes]
        note = (
            f"neighbourhood of {g.nodes[focus]['label']} within {hops} tie{'' if hops == 1 else 's'}: "
            f"{len(keep)} of {n} nodes"
        )
        if len(nearest) > max_nodes:
            note += f" (the {max_nodes} nearest)"
        return g.subgraph(keep).copy(), note
    if n <= max_nodes:
        return g, f"all {n} nodes"
    core = g.subgraph([x for x, d in g.nodes(data=True) if d["kind"] in CORE_KINDS]).copy()
    core.remove_nodes_from([x for x in list(core) if core.degree(x) == 0])
    note = f"{n} nodes are too many: only clusters and networks with ties between them"
    if core.number_of_nodes() > max_nodes:
        best = sorted(core, key=lambda x: (-core.degree(x), core.nodes[x]["label"]))[:max_nodes]
        core = core.subgraph(best).copy()
        note += f", the {max_nodes} best connected"
    return core, note + f" ({core.number_of_nodes()} of {n} nodes; use --focus IRI --hops N for a neighbourhood)"


# ------------------------------------------------------------------ layout


def _wrap(label: str, width: int = 20) -> str:
    return "\n".join(textwrap.wrap(label, width=width, break_long_words=False)) or label


def _box(label: str, font: float, pad: float) -> tuple[float, float]:
    """Rough width and height of a (wrapped) label drawn in a box, in points."""
    lines = label.split("\n")
    return (max(len(x) for x in lines) * font * 0.62 + 2 * pad * font, len(lines) * font * 1.2 + 2 * pad * font)


def layout(g: nx.Graph, scale: float, sizes: dict[str, tuple[float, float]], seed: int = 7) -> dict:
    """Kamada-Kawai (stress) positions of each connected component, components side
    by side, then label boxes pushed apart until they do not overlap (positions in
    points)."""
    if g.number_of_nodes() == 0:
        return {}
    und = nx.Graph(g.to_undirected())
    parts = sorted(nx.connected_components(und), key=lambda c: (-len(c), sorted(c)))
    pos: dict[str, np.ndarray] = {}
    x_offset = 0.0
    for comp in parts:
        sub = und.subgraph(comp)
        if len(comp) == 1:
            p = {next(iter(comp)): np.zeros(2)}
        elif len(comp) <= 300:
            p = nx.kamada_kawai_layout(sub)
        else:
            p = nx.spring_layout(sub, seed=seed, iterations=50)
        arr = np.array(list(p.values()))
        arr -= arr.min(axis=0)
        span = max(arr.max(), 1e-9)
        size = scale * math.sqrt(len(comp) / max(g.number_of_nodes(), 1))
        for node, xy in zip(p, arr, strict=True):
            pos[node] = xy / span * size + np.array([x_offset, 0.0])
        x_offset += size + 150
    return declutter(pos, sizes)


def declutter(pos: dict, sizes: dict, fixed: frozenset = frozenset(), rounds: int = 500, gap: float = 6.0) -> dict:
    """Move boxes (centre ``pos``, size ``sizes``) apart until none overlaps; boxes
    in ``fixed`` do not move."""
    items = list(pos)
    if not items:
        return {}
    xy = np.array([pos[n] for n in items], dtype=float)
    wh = np.array([sizes[n] for n in items], dtype=float) / 2 + gap / 2
    movable = np.array([n not in fixed for n in items], dtype=float)
    for _ in range(rounds):
        dx = xy[:, None, 0] - xy[None, :, 0]
        dy = xy[:, None, 1] - xy[None, :, 1]
        over_x = wh[:, None, 0] + wh[None, :, 0] - np.abs(dx)
        over_y = wh[:, None, 1] + wh[None, :, 1] - np.abs(dy)
        overlap = (over_x > 0) & (over_y > 0)
        np.fill_diagonal(overlap, False)
        overlap &= (movable[:, None] + movable[None, :]) > 0
        if not overlap.any():
            break
        # push along the axis of least overlap; a box shares the push with a
        # movable neighbour, and takes all of it from a fixed one
        share = np.where(movable[None, :] > 0, 0.5, 1.0)
        push_x = np.where(overlap & (over_x <= over_y), np.sign(dx + 1e-9) * over_x * share, 0).sum(axis=1)
        push_y = np.where(overlap & (over_y < over_x), np.sign(dy + 1e-9) * over_y * share, 0).sum(axis=1)
        xy[:, 0] += 0.6 * push_x * movable
        xy[:, 1] += 0.6 * push_y * movable
    return {n: xy[i] for i, n in enumerate(items)}


def _midpoint(a, b, rad: float) -> np.ndarray:
    """The middle of matplotlib's ``arc3,rad=rad`` curve from a to b (a quadratic Bézier)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    d = b - a
    return (a + b) / 2 + 0.5 * rad * np.array([d[1], -d[0]])


def _clip(start: np.ndarray, end: np.ndarray, half: tuple[float, float]) -> np.ndarray:
    """The point where the segment start -> end leaves the box of half sizes ``half`` around ``start``."""
    d = end - start
    fx = half[0] / abs(d[0]) if d[0] else math.inf
    fy = half[1] / abs(d[1]) if d[1] else math.inf
    return start + d * min(fx, fy, 0.45)


# ------------------------------------------------------------------ drawing

#: Colours of the ties, in order of first appearance (muted, distinct from the node colours' meaning).
EDGE_COLOURS = [
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
    "#2f4f4f",
    "#b8860b",
]


def _tie_labels(
    pos: dict, edge_text: dict[tuple[str, str], str], rad: dict[tuple[str, str], float]
) -> dict[tuple, tuple[str, np.ndarray, tuple[str, str]]]:
    """Where each tie's label starts: key -> (text, position, a pair it labels).

    A fan of three or more arrows with the same tie into (or out of) one node gets
    one label, near that node, instead of one per arrow."""
    fans: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for pair, text in edge_text.items():
        fans.setdefault(("in", pair[1], text), []).append(pair)
        fans.setdefault(("out", pair[0], text), []).append(pair)
    labelled: dict[tuple, tuple[str, np.ndarray, tuple[str, str]]] = {}
    in_fan: set[tuple[str, str]] = set()
    for (way, hub, text), members in sorted(fans.items(), key=lambda kv: -len(kv[1])):
        members = [m for m in members if m not in in_fan]
        if len(members) < 3:
            continue
        others = np.array([pos[m[0] if way == "in" else m[1]] for m in members], dtype=float)
        centre = np.asarray(pos[hub], dtype=float)
        labelled[("fan", way, hub, text)] = (
            f"{text} (×{len(members)})",
            centre + 0.4 * (others.mean(axis=0) - centre),
            members[0],
        )
        in_fan.update(members)
    for pair in edge_text:
        if pair not in in_fan:
            labelled[("edge", *pair)] = (edge_text[pair], _midpoint(pos[pair[0]], pos[pair[1]], rad[pair]), pair)
    return labelled


def _bounds(placed: dict, boxes: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 of the drawing: every box, with a margin."""
    if not placed:
        return 0.0, 400.0, 0.0, 300.0
    xs = np.array([p[0] for p in placed.values()])
    ys = np.array([p[1] for p in placed.values()])
    half_w = max(w for w, _ in boxes or [(0, 0)]) / 2
    return xs.min() - half_w - 20, xs.max() + half_w + 20, ys.min() - 40, ys.max() + 40


def _legends(ax, g: nx.MultiDiGraph, colour_of: dict[str, str], font: float, height: float) -> None:
    """The legend of the node kinds, and under it that of the ties."""
    present = [k for k in KINDS if any(d["kind"] == k for _, d in g.nodes(data=True))]
    node_handles = [
        Line2D(
            [0],
            [0],
            marker="s",
            linestyle="",
            markersize=10,
            markerfacecolor=KINDS[k][1],
            markeredgecolor="none",
            label=KINDS[k][0],
        )
        for k in present
    ]
    edge_handles = [Line2D([0], [0], color=colour, lw=1.5, label=k) for k, colour in colour_of.items()]
    if node_handles:
        first = ax.legend(
            handles=node_handles,
            loc="upper left",
            bbox_to_anchor=(0, 1),
            frameon=False,
            fontsize=font,
            title="nodes",
            title_fontsize=font + 1,
            alignment="left",
        )
        ax.add_artist(first)
    if edge_handles:
        ax.legend(
            handles=edge_handles,
            loc="upper left",
            frameon=False,
            fontsize=font,
            bbox_to_anchor=(0, 1 - (len(node_handles) + 2.5) * font * 1.75 / height),
            title="ties (arrow: subject to object)",
            title_fontsize=font + 1,
            alignment="left",
        )


def draw(
    g: nx.MultiDiGraph,
    out: Path,
    note: str = "",
    formats: tuple[str, ...] = ("svg", "png"),
    title: str = "clusterkg: clusters and their ties",
) -> dict[str, Path]:
    """Draw ``g`` into ``out.svg`` / ``out.png`` (``out`` without suffix)."""
    n = g.number_of_nodes()
    font = 9.0 if n <= 60 else 8.0 if n <= 150 else 7.0
    efont = font - 2
    labels = {x: _wrap(d["label"]) for x, d in g.nodes(data=True)}
    sizes = {x: _box(labels[x], font, 0.3) for x in g}
    pos = layout(g, 150 * math.sqrt(max(n, 4)), sizes)

    # one arrow per ordered pair of nodes, labelled with its tie(s)
    pairs: dict[tuple[str, str], list[str]] = {}
    for s, t, d in g.edges(data=True):
        pairs.setdefault((s, t), []).append(d["label"])
    tie_kinds = sorted({lab for labs in pairs.values() for lab in labs})
    colour_of = {k: EDGE_COLOURS[i % len(EDGE_COLOURS)] for i, k in enumerate(tie_kinds)}
    edge_text = {pair: " / ".join(sorted(set(labs))) for pair, labs in pairs.items()}
    rad = {pair: 0.2 if (pair[1], pair[0]) in pairs else 0.0 for pair in pairs}
    labelled = _tie_labels(pos, edge_text, rad)
    label_pos = {k: v[1] for k, v in labelled.items()}
    label_size = {k: _box(v[0], efont, 0.15) for k, v in labelled.items()}
    placed = declutter({**pos, **label_pos}, {**sizes, **label_size}, fixed=frozenset(pos), rounds=300, gap=2.0)

    x0, x1, y0, y1 = _bounds(placed, list(sizes.values()) + list(label_size.values()))
    legend_w = 190.0
    x0 -= legend_w  # room for the legends on the left
    band = 60.0  # title band, in points
    width_in = (x1 - x0) / 72
    height_in = (y1 - y0 + band) / 72

    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": "clusterkg"}):
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        ax = fig.add_axes((0, 0, 1, (y1 - y0) / (y1 - y0 + band)))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.axis("off")

        for (s, t), labs in pairs.items():
            colour = colour_of[sorted(labs)[0]]
            ps, pt = np.asarray(pos[s], dtype=float), np.asarray(pos[t], dtype=float)
            a = _clip(ps, pt, (sizes[s][0] / 2 + 2, sizes[s][1] / 2 + 2))
            b = _clip(pt, ps, (sizes[t][0] / 2 + 2, sizes[t][1] / 2 + 2))
            ax.annotate(
                "",
                xy=tuple(b),
                xytext=tuple(a),
                annotation_clip=False,
                zorder=1,
                arrowprops=dict(
                    arrowstyle="-|>",
                    color=colour,
                    lw=0.9,
                    shrinkA=0,
                    shrinkB=0,
                    mutation_scale=9,
                    connectionstyle=f"arc3,rad={rad[(s, t)]}",
                ),
            )
        for key, (text, start, pair) in labelled.items():
            colour = colour_of[sorted(pairs[pair])[0]]
            lp = placed[key]
            if np.hypot(*(lp - start)) > 14:  # the label had to move: a dotted leader to where it belongs
                ax.plot([start[0], lp[0]], [start[1], lp[1]], color=colour, lw=0.5, ls=":", zorder=1)
            txt = ax.text(
                lp[0],
                lp[1],
                text,
                fontsize=efont,
                color=colour,
                ha="center",
                va="center",
                zorder=2,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85),
            )
            txt.set_gid(" ".join(key))

        for x, d in g.nodes(data=True):
            txt = ax.text(
                pos[x][0],
                pos[x][1],
                labels[x],
                fontsize=font,
                ha="center",
                va="center",
                color="white",
                zorder=3,
                fontweight="bold" if d["kind"] in CORE_KINDS else "normal",
                bbox=dict(boxstyle="round,pad=0.3", fc=KINDS[d["kind"]][1], ec="none"),
            )
            txt.set_gid(f"node {x}")

        _legends(ax, g, colour_of, font, y1 - y0)
        top = 1 - 8 / (y1 - y0 + band)
        fig.text(6 / (x1 - x0), top, title, fontsize=font + 5, va="top")
        fig.text(6 / (x1 - x0), top - 24 / (y1 - y0 + band), note, fontsize=font, color="#555555", va="top")

        out.parent.mkdir(parents=True, exist_ok=True)
        files = {}
        for fmt in formats:
            path = out.with_suffix("." + fmt)
            fig.savefig(path, format=fmt, dpi=110 if fmt == "png" else None, metadata=_metadata(fmt))
            files[fmt] = path
    return files


def _metadata(fmt: str) -> dict:
    if fmt == "svg":
        return {"Date": None, "Creator": "clusterkg"}
    if fmt == "png":
        return {"Software": "clusterkg"}
    return {}


def picture(
    store: ox.Store,
    out: Path,
    focus: str | None = None,
    hops: int = 2,
    max_nodes: int = MAX_NODES,
    formats: tuple[str, ...] = ("svg", "png"),
) -> Picture:
    """Query, select, draw. ``out`` is the path without suffix (``build/picture/network``).

    Without the picture extra (:data:`MISSING`), nothing is drawn: the picture has
    no graph, no files, and a note saying what to install."""
    if MISSING is not None:
        return Picture(None, f"no picture: {MISSING} is not installed ({INSTALL_HINT})")
    full = network(store)
    g, note = select(full, focus=focus, hops=hops, max_nodes=max_nodes)
    files = draw(g, Path(out), note, formats=formats)
    return Picture(g, note, files)
