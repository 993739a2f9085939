"""Plotly figures for the pages. Pure functions of frames, so they are tested without a browser.

Telemetry text reaches plotly only through `plot_text`: plotly renders a few HTML tags (<b>, <a href>,
<br>) in labels and hover boxes, so text from events is HTML-escaped first and shows literally.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

NOISE_COLOUR = "#b8b8b8"
HOVER_CHARS = 140
LEGEND_CHARS = 60
LABEL_CHARS = 32  # a label on the map: long titles would cover the points they name
LABELLED = 8  # groups named on the map; more labels overlap
# The label overlap check's model of the drawing: an 11 px label's width per character and its line (with
# padding), on the plot area of a map on a wide page. Approximate: it decides which labels fit, not where.
LABEL_PX = (6.5, 16)
LABEL_PAD = 4
LABEL_LINE = LABEL_PX[1] + 4
MAP_PX = (900, 520)
OTHER_GROUP = "other"
OTHER_COLOUR = "#6b6b6b"
NOISE_GROUP = object()  # not a value any field can hold
_PALETTE = px.colors.qualitative.Dark24 + px.colors.qualitative.Light24


def plot_text(value: object, limit: int | None = None) -> str:
    """Telemetry text as inert plotly text: escaped, one line, optionally cut."""
    text = " ".join(str(value if value is not None and not _missing(value) else "").split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def bar_counts(frame: pd.DataFrame, *, title: str, label: str = "value", top: int = 15) -> go.Figure:
    """Horizontal bars of (value, count) rows, largest on top; the title says when only the `top` are shown.
    Rows marked `missing` (events that state no value: "no status") come last, in grey: they are worth
    seeing but are not one of the values, however many they are."""
    missing = frame["missing"].astype(bool) if "missing" in frame else pd.Series(False, index=frame.index)
    values, unstated = frame[~missing], frame[missing]
    data = pd.concat([values.head(top), unstated]).iloc[::-1]
    if len(values) > top:
        title = f"{title} (the {top} largest of {len(values):,})"
    fig = go.Figure(go.Bar(
        x=data["count"].tolist(), y=[plot_text(v, 60) for v in data[label]], orientation="h",
        marker_color=[NOISE_COLOUR if m else "#4c78a8" for m in missing.reindex(data.index)],
        hovertemplate="%{y}: %{x:,} events<extra></extra>",
    ))
    fig.update_layout(title=title, height=max(220, 28 * len(data) + 90), margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="events", yaxis=dict(type="category", automargin=True))
    return fig


def timeline(timestamps: pd.Series, *, title: str = "Failures over time") -> go.Figure | None:
    """Failures per day (per hour when they span under three days); None when no event has a timestamp."""
    stamps = pd.to_datetime(timestamps, utc=True).dropna()
    if stamps.empty:
        return None
    freq = "h" if stamps.max() - stamps.min() < pd.Timedelta(days=3) else "D"
    counts = stamps.dt.floor(freq).value_counts().sort_index()
    fig = go.Figure(go.Bar(x=counts.index, y=counts.tolist(), marker_color="#4c78a8",
                           hovertemplate="%{x}: %{y} failures<extra></extra>"))
    fig.update_layout(title=title, height=300, margin=dict(l=10, r=10, t=40, b=10),
                      yaxis_title="failures per hour" if freq == "h" else "failures per day")
    return fig


def cluster_map(frame: pd.DataFrame, names: dict[int, str], *, by: str = "cluster_id", legend: str = "cluster",
                colour: str | None = None, matches: set[str] | None = None, labels: int = LABELLED,
                palette: list[str] | None = None) -> go.Figure:
    """The run's 2-D UMAP map: one trace per colour group, noise (`by` == -1) grey, smaller and drawn first
    (so behind), evaluation_id as customdata, the point's group name on top of each hover box.

    `frame` needs map_x, map_y, evaluation_id, customer_prompt, error_message and the `by` column (the
    cluster label, or an integer pattern id with -1 for noise); `names` maps a group to the name shown in
    the legend and the hover boxes. `colour`: a column of text values to colour by instead of the group
    (`legend` names it; the hover names the group and the value); the largest groups take the palette's colours, one each, and the rest share
    one "other" colour, as a palette that repeats would show two groups as one. `matches`: the evaluation
    ids a search found, drawn solid while the rest fade. The `labels` largest groups are named at their
    centres. WebGL (Scattergl) keeps 50k points fluid.
    """
    palette = palette or _PALETTE
    fig = go.Figure()
    placed = frame.dropna(subset=["map_x", "map_y"])
    noise = placed[by] == -1
    key = placed[by] if colour is None else placed[colour].fillna("none").astype(str)
    sizes = key[~noise].value_counts()
    ordered = sorted(sizes.index, key=lambda k: (-sizes[k], str(k)))
    coloured = {k: palette[i] for i, k in enumerate(ordered[:len(palette)])}
    lumped = key.where(key.isin(list(coloured)), OTHER_GROUP)
    parts = [(placed[noise], NOISE_GROUP, NOISE_COLOUR)] if noise.any() else []
    parts += [(placed[~noise & (lumped == k)], k, c) for k, c in coloured.items()]
    rest = placed[~noise & (lumped == OTHER_GROUP)]
    parts += [(rest, OTHER_GROUP, OTHER_COLOUR)] if not rest.empty else []
    for part, group, paint in parts:
        is_noise = group is NOISE_GROUP
        if is_noise:
            shown = names.get(-1, "Noise")
        else:
            shown = names.get(int(group), group) if colour is None and group != OTHER_GROUP else group
        opacity = 0.35 if is_noise else 0.8
        if matches is not None:  # a search: what it found stays solid, the rest fades
            opacity = [opacity if e in matches else 0.08 for e in part["evaluation_id"].astype(str)]
        fig.add_trace(go.Scattergl(
            x=part["map_x"], y=part["map_y"], mode="markers", name=plot_text(shown, LEGEND_CHARS),
            marker=dict(size=3 if is_noise else 6, opacity=opacity, color=paint),
            customdata=part[["evaluation_id"]].to_numpy(),
            hovertext=[_hover(row, plot_text(names.get(int(getattr(row, by)), getattr(row, by)), HOVER_CHARS),
                              _field_line(row, colour, legend)) for row in part.itertuples(index=False)],
            hovertemplate="%{hovertext}<extra></extra>",
        ))
    _label_centres(fig, placed[~noise], by, names, labels)
    fig.update_layout(
        height=560, margin=dict(l=10, r=10, t=30, b=10), dragmode="select",
        legend_title_text=legend,
        xaxis=dict(showticklabels=False, title=None), yaxis=dict(showticklabels=False, title=None),
        hoverlabel=dict(align="left"),
    )
    return fig


def _field_line(row: object, colour: str | None, field: str) -> str:
    """The coloured field's value, a hover box's second line when the map is coloured by a field."""
    return "" if colour is None else f"{plot_text(field)}: {plot_text(getattr(row, colour))}<br>"


def _label_centres(fig: go.Figure, placed: pd.DataFrame, by: str, names: dict[int, str], top: int) -> None:
    """Names the `top` largest groups at their median point (annotations, not a trace: the selection and the
    legend stay the points'), so a map can be read without hovering. Largest first: a smaller group's label
    that would cover one already placed moves a line up or down, or, with no room there either, is left
    out (its legend entry and hover boxes still name it)."""
    if placed.empty or top <= 0:
        return
    low_x, low_y = float(placed["map_x"].min()), float(placed["map_y"].min())
    span_x = float(placed["map_x"].max()) - low_x or 1.0
    span_y = float(placed["map_y"].max()) - low_y or 1.0
    boxes: list[tuple[float, float, float]] = []  # (centre x, centre y, half width), in pixels
    for label in placed[by].value_counts().head(top).index:
        part = placed[placed[by] == label]
        x, y = float(part["map_x"].median()), float(part["map_y"].median())
        text = plot_text(names.get(int(label), label), LABEL_CHARS)
        centre = ((x - low_x) / span_x * MAP_PX[0], (y - low_y) / span_y * MAP_PX[1])
        half = len(html.unescape(text)) * LABEL_PX[0] / 2 + LABEL_PAD
        shift = next((s for s in (0, LABEL_LINE, -LABEL_LINE)
                      if not any(_overlaps((centre[0], centre[1] + s, half), box) for box in boxes)), None)
        if shift is None:
            continue
        boxes.append((centre[0], centre[1] + shift, half))
        fig.add_annotation(x=x, y=y, yshift=shift, showarrow=False, text=text,
                           font=dict(size=11, color="#222222"), bgcolor="rgba(255,255,255,0.7)")


def _overlaps(one: tuple[float, float, float], other: tuple[float, float, float]) -> bool:
    return abs(one[0] - other[0]) < one[2] + other[2] and abs(one[1] - other[1]) < LABEL_LINE


def selected_ids(points: list[dict]) -> set[str]:
    """The evaluation ids of the points a box or lasso selected on `cluster_map` (its customdata)."""
    ids = set()
    for point in points:
        data = point.get("customdata")
        ids.add(str(data[0] if isinstance(data, (list, tuple)) else data))
    return ids - {"None"}


def _hover(row: object, group: str = "", field: str = "") -> str:
    """An event's hover box: its group (already plot text), the coloured field's line, id, prompt and error."""
    prompt = plot_text(getattr(row, "customer_prompt", ""), HOVER_CHARS)
    error = plot_text(getattr(row, "error_message", ""), HOVER_CHARS)
    head = f"<b>{group}</b><br>" if group else ""
    return f"{head}{field}{plot_text(row.evaluation_id)}<br>prompt: {prompt}<br>error: {error}"


def cluster_sizes(table: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """Events per cluster (noise included), named as the cluster list names them."""
    data = table.rename(columns={"name": "value", "size": "count"})
    return bar_counts(data, title="Events per cluster", top=top)


# -- trends (lens_core.tracking.trends) ----------------------------------------------------------------

OTHER, UNPATTERNED = "Other patterns", "No pattern (noise)"
STATE_COLOURS = {"regressed": "#b71c1c", "new": "#d84315", "escalating": "#ad6800", "shrinking": "#2e7d32",
                 "gone": "#546e7a", "ongoing": "#9fb7cc"}


def top_patterns(frame: pd.DataFrame, top: int) -> list[int]:
    """The `top` patterns with the most events in a series frame (pattern_id, events), most first."""
    if frame.empty:
        return []
    totals = frame.groupby("pattern_id")["events"].sum()
    return [int(p) for p, _ in sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:top]]


def pattern_stack(frame: pd.DataFrame, key: str, *, top_ids: list[int], names: dict[int, str], rate: bool = False,
                  order: list | None = None, title: str = "", axis_title: str = "") -> go.Figure:
    """Stacked bars of a trends.series frame (pattern_id, `key`, events, total): the `top_ids` patterns each
    in its own colour and named by title, the other patterns together, and the events with no pattern, so
    a bar is all the failures of its bucket or release. rate: each part's share of them (bars reach 100%)."""
    keys = order if order is not None else sorted(frame[key].unique())
    totals = frame.drop_duplicates(key).set_index(key)["total"].reindex(keys).fillna(0)
    counts = frame.pivot_table(index="pattern_id", columns=key, values="events", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=keys, fill_value=0)
    shown = [p for p in top_ids if p in counts.index]
    parts = [(plot_text(names.get(p, f"Pattern {p}"), LEGEND_CHARS), counts.loc[p], _PALETTE[i % len(_PALETTE)])
             for i, p in enumerate(shown)]
    rest = counts.drop(index=shown).sum(axis=0)
    parts.append((OTHER, rest, OTHER_COLOUR))
    parts.append((UNPATTERNED, (totals - counts.sum(axis=0)).clip(lower=0), NOISE_COLOUR))
    x = [plot_text(k) for k in keys] if order is not None else keys
    fig = go.Figure()
    for name, values, colour in parts:
        if not values.any():
            continue
        y = (values / totals.where(totals > 0)).fillna(0) if rate else values
        fig.add_trace(go.Bar(
            x=x, y=y.tolist(), name=name, marker_color=colour, customdata=values.tolist(),
            hovertemplate=f"<b>{name}</b><br>%{{x}}: " + ("%{y:.1%} of the failures (%{customdata} events)"
                                                          if rate else "%{y} events") + "<extra></extra>",
        ))
    fig.update_layout(
        title=title, barmode="stack", height=460, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="pattern",
        yaxis=dict(title="share of the failures" if rate else "failures", tickformat=".0%" if rate else None),
        xaxis=dict(title=axis_title, type="category" if order is not None else None), hoverlabel=dict(align="left"),
        legend=dict(traceorder="normal"),
    )
    return fig


def rate_changes(table: pd.DataFrame, *, top: int = 25) -> go.Figure:
    """Diverging bars of Compare's table (title, state by name (not its badge), change in points, base and
    target rate, reason): the `top` largest changes either way, growth to the right, each bar in its state's
    colour (a trace per state, so the legend names them), in one order: the largest fall at the bottom."""
    data = table.reindex(table["change"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    data = data.sort_values("change", kind="stable")
    labels = [plot_text(t, LEGEND_CHARS) for t in data["title"]]
    if len(set(labels)) < len(labels):  # titles cut to the same text: the id keeps the bars apart
        labels = [f"{label} (#{pid})" for label, pid in zip(labels, data["#"])]
    hover = [f"<b>{label}</b><br>{plot_text(state)}: {base:.2%} → {target:.2%}<br>{plot_text(reason, HOVER_CHARS)}"
             for label, state, base, target, reason in zip(labels, data["state"], data["base rate"],
                                                            data["target rate"], data["reason"])]
    frame = pd.DataFrame({"label": labels, "state": data["state"].tolist(), "change": data["change"].tolist(),
                          "hover": hover})
    fig = go.Figure()
    for state in [*STATE_COLOURS, *sorted(set(frame["state"]) - set(STATE_COLOURS))]:  # the legend names the colours
        colour = STATE_COLOURS.get(state, STATE_COLOURS["ongoing"])
        part = frame[frame["state"] == state]
        if part.empty:
            continue
        fig.add_trace(go.Bar(
            x=part["change"].tolist(), y=part["label"].tolist(), orientation="h", name=state, marker_color=colour,
            hovertext=part["hover"].tolist(), hovertemplate="%{hovertext}<extra></extra>",
        ))
    fig.add_vline(x=0, line_width=1, line_color="#444444")
    fig.update_layout(
        title="Change of each pattern's share of the failures (target − base)", height=max(260, 26 * len(data) + 100),
        margin=dict(l=10, r=10, t=40, b=10), xaxis=dict(title="change in percentage points", zeroline=False),
        yaxis=dict(type="category", automargin=True, categoryorder="array", categoryarray=labels),
        hoverlabel=dict(align="left"), legend_title_text="state", barmode="relative",
    )
    return fig
