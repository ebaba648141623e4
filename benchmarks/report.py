"""
The tables: per case and metric, each system's median and min-max over the repeats, and the
ratio pyre_nexus / system; then the floor and the performance targets
"""

import statistics

from cases import CASES, ORDER, title

HOME = "pyre_nexus"


def fmt(value):
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def median(values):
    return statistics.median(values) if values else None


def summary(values):
    """median, min, max of a list of samples"""
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def table(case_key, results, sizes):
    """The text of the table of one case"""
    case = CASES[case_key]
    entries = results["cases"].get(case_key, {})
    lines = [f"== {case.key}: {title(case, sizes)}"]
    for note in case.notes:
        lines.append(f"   note: {note.format(**sizes)}")
    home = entries.get(HOME, {}).get("samples", {})
    for metric in case.metrics:
        better = "higher" if metric.higher else "lower"
        lead = ">1" if metric.higher else "<1"
        lines.append(
            f"  {metric.key} ({better} is better; ratio = pyre_nexus/system, {lead} means pyre_nexus leads)"
        )
        lines.append(f"    {'system':<18} {'median':>11} {'min - max':>23} {'n':>3} {'ratio':>7}  leads")
        mine = median(home.get(metric.key, []))
        for system, entry in entries.items():
            values = entry.get("samples", {}).get(metric.key, [])
            if not values:
                reason = entry.get("skipped") or "; ".join(entry.get("errors", [])) or "no samples"
                lines.append(f"    {system:<18} {'ERROR' if entry.get('errors') else 'skipped'}: {reason[:150]}")
                continue
            middle, low, high = summary(values)
            ratio = mine / middle if mine is not None and middle else None
            leads = ""
            if ratio is not None and system != HOME:
                leads = "pn" if (ratio > 1) == metric.higher else "peer"
            spread = f"{fmt(low)} - {fmt(high)}"
            lines.append(
                f"    {system:<18} {fmt(middle):>11} {spread:>23} {len(values):>3} {fmt(ratio):>7}  {leads}"
            )
        for system, entry in entries.items():
            if entry.get("samples", {}).get(metric.key) and entry.get("errors"):
                lines.append(f"    ({system}: {len(entry['errors'])} failed repeats: {entry['errors'][0][:150]})")
    return "\n".join(lines)


def floor_table(results):
    lines = ["== floor: this machine, same run"]
    lines.append(f"    {'metric':<20} {'median':>11} {'min - max':>23} {'n':>3}")
    for metric, values in results.get("floor", {}).items():
        middle, low, high = summary(values)
        spread = f"{fmt(low)} - {fmt(high)}"
        lines.append(f"    {metric:<20} {fmt(middle):>11} {spread:>23} {len(values):>3}")
    return "\n".join(lines)


# the performance targets: (case, metric, what, how to get the bar from the results, at least?)
def _peer(system, case, metric):
    return lambda results: _median(results, case, system, metric)


def _median(results, case, system, metric):
    return median(results["cases"].get(case, {}).get(system, {}).get("samples", {}).get(metric, []))


def _scaled(factor, source):
    return lambda results: None if source(results) is None else factor * source(results)


def _const(value):
    return lambda results: value


def _floor(factor):
    return lambda results: None if not results.get("floor") else factor * median(results["floor"]["B floor us"])


TARGETS = [
    ("A", "tasks/s", ">= 2x mp.Pool apply_async", _scaled(2, _peer("mp.Pool", "A", "tasks/s")), True),
    ("A", "tasks/s", ">= 5x cf.PPE", _scaled(5, _peer("cf.PPE", "A", "tasks/s")), True),
    ("A", "tasks/s", ">= 8x pyre.nexus Staff", _scaled(8, _peer("pyre.nexus Staff", "A", "tasks/s")), True),
    ("A", "tasks/s", ">= 3x cf.PPE", _scaled(3, _peer("cf.PPE", "A", "tasks/s")), True),
    ("B", "median us", "<= 0.6x cf.PPE", _scaled(0.6, _peer("cf.PPE", "B", "median us")), False),
    ("A2", "tasks/s", ">= 0.8x mp.Pool imap_unordered", _scaled(0.8, _peer("mp.Pool", "A2", "tasks/s")), True),
    ("B", "median us", "<= 2x floor (pipe rtt + pickle)", _floor(2), False),
    ("C", "numpy echo GB/s", ">= 6.7 GB/s (Ray, shared memory)", _const(6.7), True),
    ("C", "bytes one-way GB/s", ">= 5x mp.Pool", _scaled(5, _peer("mp.Pool", "C", "bytes one-way GB/s")), True),
    ("D", "N=8 ms", "<= 1.5x mp.Pool", _scaled(1.5, _peer("mp.Pool", "D", "N=8 ms")), False),
    ("E", "speedup", ">= 1.9x one worker", _const(1.9), True),
    ("F", "bytes/task", "<= 1 KiB per queued task", _const(1024), False),
]


def targets_table(results):
    lines = ["== performance targets (pyre_nexus medians, this run)"]
    # the targets are set for the full sizes; a smoke run's verdicts say little
    if results["meta"].get("quick"):
        lines.append("   note: quick sizes (--quick): the cases are smaller than the targets assume, so these verdicts do not judge them")
    for case, metric, what, bar, atleast in TARGETS:
        if case not in results["cases"]:
            continue
        value = _median(results, case, HOME, metric)
        threshold = bar(results)
        if value is None or threshold is None:
            verdict = "n/a"
        else:
            verdict = "met" if (value >= threshold if atleast else value <= threshold) else "MISSED"
        lines.append(
            f"    {case:<3} {metric:<19} {fmt(value):>10}  {what:<34} bar {fmt(threshold):>10}  {verdict}"
        )
    return "\n".join(lines)


def header(results):
    meta = results["meta"]
    load = [round(value, 2) for value in meta.get("load average at start", [])[:1] + meta.get("load average at end", [])[:1]]
    return (f"pyre_nexus benchmarks {meta['date']}: {meta['cpus']} cpus, python {meta['python']}, "
            f"repeat {meta['repeat']}{' (quick sizes)' if meta['quick'] else ''}, "
            f"load average at start/end {load}\n{meta['versions']}")


def everything(results, sizes):
    parts = [header(results)]
    parts += [floor_table(results)] if results.get("floor") else []
    for key in ORDER:
        if key in results["cases"]:
            parts.append(table(key, results, sizes))
    parts.append(targets_table(results))
    return "\n\n".join(parts)
