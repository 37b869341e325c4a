#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench --bench token` run and the
ratios BENCHMARKS.md reports, from criterion's estimates.json files.

Usage: python3 benches/ratios.py [target/criterion]
"""

import json
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def median(name: str) -> float:
    """The median in nanoseconds of the bench called `name`."""
    # criterion names a bench's folder after its id, with '/' as '_'.
    path = ROOT / name.replace("/", "_") / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def main() -> None:
    names = [
        "floor/hmac_sha256",
        "floor/hmac_sha256_peer_release",
        "authlink/verify_exact",
        "authlink/verify_off",
        "authlink/issue",
        "authlink/verify_fresh/100_per_s",
        "authlink/verify_consume/100_per_s",
        "authlink/verify_fresh/1000_per_s",
        "authlink/verify_consume/1000_per_s",
        "peer/jwt_encode",
        "peer/jwt_decode",
        "peer/cookie_signed_add",
        "peer/cookie_signed_get",
    ]
    m = {name: median(name) for name in names}
    for name in names:
        print(f"{name:40} {m[name]:9.1f} ns")
    floor = m["floor/hmac_sha256"]
    verify = m["authlink/verify_exact"]
    rows = [
        ("verify (exact IP) / floor", verify / floor, "<= 2.0", verify / floor <= 2.0),
        ("verify (no IP) / floor", m["authlink/verify_off"] / floor, "<= 1.5", m["authlink/verify_off"] / floor <= 1.5),
        ("issue / floor", m["authlink/issue"] / floor, "<= 4.0", m["authlink/issue"] / floor <= 4.0),
        ("jwt decode / verify", m["peer/jwt_decode"] / verify, ">= 8", m["peer/jwt_decode"] / verify >= 8),
        ("cookie get / verify", m["peer/cookie_signed_get"] / verify, "> 1", m["peer/cookie_signed_get"] > verify),
    ]
    for load in ("100_per_s", "1000_per_s"):
        added = m[f"authlink/verify_consume/{load}"] - m[f"authlink/verify_fresh/{load}"]
        rows.append((f"consume adds, {load} (ns)", added, "<= 150", added <= 150))
    print()
    for label, value, target, met in rows:
        print(f"{label:32} {value:8.2f}  target {target:7} {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
