"""Renders benchmarks/mujoco-100k.csv: the table of returns at 100k steps beside the published ones, and a
learning curve per task (the mean over seeds with a min-max band, one colour per variant) as SVG.

    python3 benchmarks/mujoco_100k_table.py benchmarks/mujoco-100k.csv docs/mujoco-100k.md docs/images
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

# Gym *-v4, 10 seeds each: mean [min-max] of the last evaluation at <= 1.02 x 100k steps, from the raw
# evaluation logs the SimbaV2 authors publish (results/baseline/*.csv); CrossQ with 2048-wide critics.
PUBLISHED = {
    ("HalfCheetah", "twin-q"): (6156, 4986, 7510),
    ("Walker2d", "twin-q"): (690, 261, 1049),
    ("Hopper", "twin-q"): (1103, None, None),
    ("Ant", "twin-q"): (747, None, None),
    ("Humanoid", "twin-q"): (632, None, None),
    ("HalfCheetah", "crossq"): (8153, 6061, 8957),
    ("Walker2d", "crossq"): (3882, 244, 5334),
    ("Hopper", "crossq"): (2887, None, None),
    ("Ant", "crossq"): (2939, None, None),
    ("Humanoid", "crossq"): (3669, 324, 6887),
}
NAMES = {"twin-q": "SAC (twin-q)", "crossq": "CrossQ", "sbx-crossq": "SBX CrossQ (peer)"}
COLOURS = {"twin-q": "#1f77b4", "crossq": "#d62728", "sbx-crossq": "#2ca02c"}


def load(path: Path) -> list[dict[str, str]]:
    with path.open() as file:
        return list(csv.DictReader(file))


def fmt(value: float) -> str:
    return f"{value:,.0f}"


def table(rows: list[dict[str, str]]) -> str:
    groups: dict[tuple[str, str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        groups[(row["task"], row["variant"], row["critic_width"], row["learning_starts"])].append(row)
    lines = [
        "| task | algorithm | critics | learning starts | seeds | ours: mean [min–max] | published (Gym v4) | ours ÷ published | wall time per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (task, variant, width, starts), runs in sorted(groups.items()):
        returns = [float(run["return_mean"]) for run in runs]
        seeds = ", ".join(run["seed"] for run in sorted(runs, key=lambda run: int(run["seed"])))
        mean = statistics.fmean(returns)
        published = PUBLISHED.get((task.split("-")[0], variant.removeprefix("sbx-")))
        if published:
            reference = fmt(published[0]) + (f" [{fmt(published[1])}–{fmt(published[2])}]" if published[1] is not None else "")
            ratio = f"{mean / published[0]:.2f}"
        else:
            reference, ratio = "—", "—"
        seconds = statistics.fmean(float(run["wall_seconds"]) for run in runs)
        lines.append(
            f"| {task} | {NAMES.get(variant, variant)} | {width}×{width} | {starts} | {seeds} | "
            f"{fmt(mean)} [{fmt(min(returns))}–{fmt(max(returns))}] | {reference} | {ratio} | {seconds / 60:.0f} min |"
        )
    return "\n".join(lines)


def curve(task: str, rows: list[dict[str, str]]) -> str:
    """An SVG of the evaluations along the runs of `task`: mean over seeds and a min-max band per variant."""
    width, height, left, right, top, bottom = 640, 360, 64, 16, 28, 40
    series: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row["task"] != task:
            continue
        for point in row["evaluations"].split():
            step, value = point.split(":")
            series[row["variant"]][int(step)].append(float(value))
    values = [v for points in series.values() for vs in points.values() for v in vs]
    steps = [s for points in series.values() for s in points]
    low, high = min(values + [0.0]), max(values + [1.0])
    last = max(steps + [1])

    def x(step: float) -> float:
        return left + (width - left - right) * step / last

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - (value - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">{task}: evaluation return over environment steps</text>',
    ]
    for tick in range(5):
        value = low + (high - low) * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    for tick in range(0, last + 1, max(last // 5, 1)):
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick // 1000}k</text>')
    for k, (variant, points) in enumerate(sorted(series.items())):
        ordered = sorted(points.items())
        colour = COLOURS.get(variant, "#555")
        band = [(x(s), y(max(vs))) for s, vs in ordered] + [(x(s), y(min(vs))) for s, vs in reversed(ordered)]
        parts.append(f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in band)}" fill="{colour}" fill-opacity="0.15"/>')
        line = " ".join(f"{x(s):.1f},{y(statistics.fmean(vs)):.1f}" for s, vs in ordered)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        seeds = max(len(vs) for _, vs in ordered)
        label = f"{NAMES.get(variant, variant)} ({seeds} seed{'s' if seeds > 1 else ''})"
        parts.append(f'<text x="{left + 8}" y="{top + 16 + 16 * k}" fill="{colour}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    source, document, images = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rows = load(source)
    images.mkdir(parents=True, exist_ok=True)
    tasks = sorted({row["task"] for row in rows})
    figures = []
    for task in tasks:
        name = f"mujoco-100k-{task}.svg"
        (images / name).write_text(curve(task, rows))
        figures.append(f"![{task}](images/{name})")
    cpus = sorted({row["cpu"] for row in rows})
    commits = sorted({row["commit"] for row in rows})
    document.write_text(
        "# The MuJoCo 100k table\n\n"
        "Returns after 100,000 environment steps: the final evaluation (10 deterministic episodes) of each run, "
        "over seeds, beside the published numbers (Gym v4, 10 seeds, the SimbaV2 authors' raw logs; CrossQ "
        "there with 2048-wide critics). Trained over the bridge on Gymnasium's MuJoCo tasks "
        "(`benchmarks/mujoco-100k`; this page is `benchmarks/mujoco-100k --render` of `benchmarks/mujoco-100k.csv`). "
        "Runs are deterministic; their wall time comes from a shared 2-core machine "
        f"({', '.join(cpus)}) that ran other work beside them, so it is noisy. Commits: {', '.join(commits)}.\n\n"
        + table(rows)
        + "\n\n"
        + "\n\n".join(figures)
        + "\n"
    )


if __name__ == "__main__":
    main()
