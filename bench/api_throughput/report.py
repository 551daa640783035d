"""The verdicts and the printed tables: targets judged per result, the per-database table,
and the closing summary of targets across databases.
"""

from __future__ import annotations

import sys

from .load import Result


def judge(results: list[Result], connections: int) -> None:
    ceiling = next((r.rps for r in results if r.key == "healthz"), 0.0)
    for result in results:
        result.ratio = result.rps / ceiling if ceiling else None
        if result.ratio_target is not None and result.ratio is not None:
            verdict = "PASS" if result.ratio >= result.ratio_target else "MISS"
            result.verdicts.append(f"ratio >= {result.ratio_target:.2f}: {verdict}")
        if result.p99_target_ms is not None:
            verdict = "PASS" if result.p99_ms < result.p99_target_ms else "MISS"
            result.verdicts.append(
                f"p99 < {result.p99_target_ms:.0f} ms @ {connections} conn: {verdict}"
            )


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(label: str, results: list[Result]) -> None:
    header = (
        f"{'endpoint':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
        f"{'/ceiling':>8} {'cpu ms/req':>10} {'other':>5}  targets"
    )
    print(f"\n{label}:\n{header}\n{'-' * len(header)}")
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        verdicts = "; ".join(r.verdicts) or "-"
        print(
            f"{r.label:<44} {r.rps:>7.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{r.non2xx:>7d} {ratio:>8} {_num(r.server_cpu_ms, 2):>10} "
            f"{_num(r.other_cores, 2):>5}  {verdicts}"
        )
    sys.stdout.flush()


def print_summary(report: dict) -> None:
    lines = []
    for name, data in report["databases"].items():
        for r in data["results"]:
            if r["verdicts"]:
                lines.append(f"  {name:<8} {r['label']:<44} " + "; ".join(r["verdicts"]))
    if lines:
        print("\nTargets (printed for information; a MISS does not fail the run):")
        print("\n".join(lines))
