"""
throughput.png: tasks/s versus the size of an echoed payload (case S), one line per system,
medians with min-max bars, log scale
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cases import CASES  # noqa: E402
from report import summary  # noqa: E402


def throughput(results, path):
    entries = results["cases"].get("S", {})
    metrics = [metric.key for metric in CASES["S"].metrics]
    labels = [key.replace(" tasks/s", "") for key in metrics]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    drawn = 0
    for system, entry in entries.items():
        points = [(i, summary(entry.get("samples", {}).get(key, []))) for i, key in enumerate(metrics)]
        points = [(i, s) for i, s in points if s[0] is not None]
        if not points:
            continue
        xs = [i for i, _ in points]
        ys = [s[0] for _, s in points]
        below = [s[0] - s[1] for _, s in points]
        above = [s[2] - s[0] for _, s in points]
        style = dict(linewidth=2.5, zorder=3) if system == "pyre_nexus" else dict(linewidth=1.2)
        axes.errorbar(xs, ys, yerr=[below, above], marker="o", capsize=3, label=system, **style)
        drawn += 1
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yscale("log")
    axes.set_xlabel("payload per task, echoed (sent as the argument and returned)")
    axes.set_ylabel("tasks/s (2 workers)")
    axes.set_title("throughput versus task size")
    axes.grid(True, which="both", alpha=0.3)
    if drawn:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
