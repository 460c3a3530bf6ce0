"""The summary table printed at the end of a run, and bench/out/results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "out"


def write(results: dict[str, Any]) -> Path:
    """Write the results as JSON to bench/out/results.json."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "results.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def table(results: dict[str, Any]) -> str:
    """A plain-text summary of the figures."""
    seed, load, deep = results["seed"], results["throughput"], results["deep_pagination"]
    seeded = "this run" if seed["seeded_in_this_run"] else "an earlier run (reused)"
    lines = [
        f"Scale {results['scale']:,}  database {results['database']}  ({results['machine']['cpus']} CPUs, "
        f"load average {results['machine']['loadavg_at_start']:.2f} before the servers started)",
        f"Code: {results['machine']['revision']}",
        f"Seeding: {seed['seed_seconds']:.1f} s + VACUUM ANALYZE {seed['analyze_seconds']:.1f} s, in {seeded}",
        f"Viewer: LEGAL_ADVOCATE of the organization with {results['viewer']['organization_requests']:,} requests",
        "",
        f"Throughput: {load['client']}, {load['concurrency']} connections, {load['duration_s']:g} s "
        f"after {load['warmup_s']:g} s warm-up",
        f"  {'endpoint':<10}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'requests':>10}{'errors':>8}",
    ]
    for name in ("graphql", "plain"):
        row = load[name]
        errors = row["status_errors"] + row["socket_errors"]
        lines.append(
            f"  {name:<10}{row['rps']:>10.1f}{row['p50_ms']:>10.2f}{row['p95_ms']:>10.2f}{row['requests']:>10}{errors:>8}"
        )
    lines += [
        f"  GraphQL / plain throughput: {load['ratio_percent']:.1f} %",
        "",
        f"Deep pagination: rapidResponseIncidents(first: 100), {deep['requests']} sequential requests per page, "
        f"{deep['total_incidents']:,} incidents",
        f"  {'page':<24}{'median ms':>10}{'p95 ms':>10}",
        f"  {'first':<24}{deep['first_page']['median_ms']:>10.2f}{deep['first_page']['p95_ms']:>10.2f}",
        f"  {'at ' + format(deep['offset'], ',') + ' (90 %)':<24}"
        f"{deep['deep_page']['median_ms']:>10.2f}{deep['deep_page']['p95_ms']:>10.2f}",
        f"  deep / first (median): {deep['ratio']:.2f}x",
        f"  SQL, first page: {deep['explain']['first_summary']}",
        f"  SQL, deep page:  {deep['explain']['deep_summary']}",
    ]
    return "\n".join(lines + _profile_lines(results.get("profile")))


def _profile_lines(profile: dict[str, Any] | None) -> list[str]:
    if not profile:
        return []
    if "error" in profile:
        return ["", f"Profile: {profile['error']}"]
    lines = ["", f"Profile of the GraphQL server under load ({profile['samples']} samples), top self frames:"]
    lines += [f"  {share:5.1f} %  {frame}" for frame, share in profile["self"][:10]]
    lines.append("Self time by package:")
    lines += [f"  {share:5.1f} %  {package}" for package, share in profile["self_by_package"][:8]]
    lines.append("Repository functions, inclusive:")
    lines += [f"  {share:5.1f} %  {frame}" for frame, share in profile["inclusive_api"][:10]]
    return lines


def explain_summary(plan: list[str]) -> str:
    """The execution and planning time lines of an EXPLAIN ANALYZE plan, on one line."""
    wanted = [line.strip() for line in plan if line.strip().startswith(("Execution Time", "Planning Time"))]
    return "; ".join(reversed(wanted))
