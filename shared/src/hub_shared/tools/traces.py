"""`make traces`: the latest traces of the embedded default, printed as trees with timings.

Reads the span files every service writes under var/traces/ (one JSON line per span) and joins
them by trace id, so one message's journey through every service shows as one tree.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.tree import Tree

from hub_shared.paths import var_dir

Span = dict


def load_spans(folder: Path) -> list[Span]:
    spans: list[Span] = []
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                spans.append(json.loads(line))
    return spans


def by_trace(spans: Iterable[Span]) -> dict[str, list[Span]]:
    traces: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span["trace_id"]].append(span)
    return traces


def latest(traces: dict[str, list[Span]], count: int, trace_id: str | None = None) -> list[str]:
    if trace_id:
        return [t for t in traces if t.startswith(trace_id)]
    ordered = sorted(traces, key=lambda t: min(s["start_ns"] for s in traces[t]), reverse=True)
    return ordered[:count]


def render(trace_id: str, spans: list[Span]) -> Tree:
    """One trace as a tree; spans whose parent is not in the file hang from the root."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children[parent].append(span)
    start = min(s["start_ns"] for s in spans)
    end = max(s["end_ns"] for s in spans)
    tree = Tree(f"[bold]trace {trace_id}[/] {len(spans)} spans, {(end - start) / 1e6:.1f} ms")

    def add(node: Tree, parent: str | None) -> None:
        for span in sorted(children[parent], key=lambda s: s["start_ns"]):
            offset = (span["start_ns"] - start) / 1e6
            took = (span["end_ns"] - span["start_ns"]) / 1e6
            stay = span["attributes"].get("hub.stay_id")
            label = (
                f"[cyan]{span['service']}[/] {span['name']}  "
                f"[dim]+{offset:.1f} ms[/] [bold]{took:.1f} ms[/]"
                + (f"  [dim]stay {stay}[/]" if stay else "")
                + ("  [red]ERROR[/]" if span["status"] == "ERROR" else "")
            )
            add(node.add(label), span["span_id"])

    add(tree, None)
    return tree


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=var_dir() / "traces")
    parser.add_argument("-n", "--count", type=int, default=5, help="how many of the latest traces")
    parser.add_argument("--trace", help="show this trace id (a prefix is enough)")
    args = parser.parse_args(argv)
    console = Console()
    traces = by_trace(load_spans(args.dir))
    if not traces:
        console.print(f"no spans in {args.dir} yet: run `make run` and post a message")
        return
    for trace_id in latest(traces, args.count, args.trace):
        console.print(render(trace_id, traces[trace_id]))


if __name__ == "__main__":
    main()
