"""Tiny SVG line plots, standard library only."""

from xml.sax.saxutils import escape

W, H, L, R, T, B = 640, 400, 60, 170, 40, 50
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _frame(title, xlabel, ylabel, xmax, ymax):
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">{escape(title)}</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">{escape(xlabel)}</text>',
           f'<text x="14" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 {(T + H - B) / 2})">{escape(ylabel)}</text>']
    for i in range(6):
        x = L + (W - R - L) * i / 5
        y = H - B - (H - B - T) * i / 5
        out.append(f'<text x="{x}" y="{H - B + 16}" text-anchor="middle">{xmax * i / 5:.3g}</text>')
        out.append(f'<text x="{L - 6}" y="{y + 4}" text-anchor="end">{ymax * i / 5:.3g}</text>')
        out.append(f'<line x1="{L}" y1="{y}" x2="{W - R}" y2="{y}" stroke="#ddd"/>')
    return out


def _sx(x, xmax):
    return L + (W - R - L) * x / xmax if xmax else L


def _sy(y, ymax):
    return H - B - (H - B - T) * y / ymax if ymax else H - B


def _legend(out, names):
    for i, name in enumerate(names):
        c = COLORS[i % len(COLORS)]
        y = T + 16 * i
        out.append(f'<line x1="{W - R + 10}" y1="{y}" x2="{W - R + 30}" y2="{y}" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{W - R + 34}" y="{y + 4}">{escape(name)}</text>')


def cdf(path, curves, title, xlabel):
    """curves: [(name, sorted values)]: empirical CDFs as step lines."""
    xmax = max((max(v) for _, v in curves if v), default=1.0) * 1.05
    out = _frame(title, xlabel, "fraction of survivors", xmax, 1.0)
    for i, (_, vals) in enumerate(curves):
        n = len(vals)
        pts = [(_sx(0, xmax), _sy(0, 1))]
        for j, v in enumerate(vals):
            pts.append((_sx(v, xmax), _sy(j / n, 1)))
            pts.append((_sx(v, xmax), _sy((j + 1) / n, 1)))
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="2" points="{d}"/>')
    _legend(out, [name for name, _ in curves])
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def lines(path, series, title, xlabel, ylabel):
    """series: {name: [(x, y)]}: one polyline with markers per series."""
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts]
    xmax = max(xs, default=1) * 1.05
    ymax = max(ys, default=1) * 1.1
    out = _frame(title, xlabel, ylabel, xmax, ymax)
    for i, (name, pts) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        pts = sorted(pts)
        d = " ".join(f"{_sx(x, xmax):.1f},{_sy(y, ymax):.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{d}"/>')
        for x, y in pts:
            out.append(f'<circle cx="{_sx(x, xmax):.1f}" cy="{_sy(y, ymax):.1f}" r="3" fill="{c}"/>')
    _legend(out, list(series))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
