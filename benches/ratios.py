#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench --bench token` run and the
ratios BENCHMARKS.md reports, from criterion's estimates.json files.

Usage: python3 benches/ratios.py [target/criterion]
"""

import json
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def median(name: str) -> float | None:
    """The median in nanoseconds of the bench called `name`, if it ran."""
    # criterion names a bench's folder after its id, with '/' as '_'.
    path = ROOT / name.replace("/", "_") / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def main() -> None:
    names = [
        "floor/hmac_sha256",
        "floor/hmac_sha256_peer_release",
        "floor/hmac_sha256/target_128",
        "floor/hmac_sha256/target_480",
        "floor/hmac_sha256/target_480_query",
        "floor/hmac_sha256/string_user",
        "authlink/verify_exact",
        "authlink/verify_exact/target_128",
        "authlink/verify_exact/target_480",
        "authlink/verify_exact/target_480_query",
        "authlink/verify_exact/string_user",
        "authlink/verify_off",
        "authlink/reject_forged",
        "authlink/reject_garbage_5000",
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
        if m[name] is not None:
            print(f"{name:40} {m[name]:9.1f} ns")

    def ratio(label, over, under, target, met):
        if m[over] is not None and m[under] is not None:
            value = m[over] / m[under]
            rows.append((label, value, target, met(value)))

    rows = []
    ratio("verify (exact IP) / floor", "authlink/verify_exact", "floor/hmac_sha256", "<= 3.0", lambda r: r <= 3.0)
    for case in ("target_128", "target_480", "target_480_query", "string_user"):
        ratio(f"verify ({case}) / its floor", f"authlink/verify_exact/{case}", f"floor/hmac_sha256/{case}", "<= 3.0", lambda r: r <= 3.0)
    ratio("verify (no IP) / floor", "authlink/verify_off", "floor/hmac_sha256", "-", lambda r: True)
    ratio("issue / floor", "authlink/issue", "floor/hmac_sha256", "<= 4.0", lambda r: r <= 4.0)
    ratio("jwt decode / verify", "peer/jwt_decode", "authlink/verify_exact", ">= 6", lambda r: r >= 6)
    ratio("reject forged / verify", "authlink/reject_forged", "authlink/verify_exact", "<= 1", lambda r: r <= 1)
    ratio("reject garbage / verify", "authlink/reject_garbage_5000", "authlink/verify_exact", "<= 1", lambda r: r <= 1)
    ratio("cookie get / verify", "peer/cookie_signed_get", "authlink/verify_exact", "> 1", lambda r: r > 1)
    ratio("jwt encode / issue", "peer/jwt_encode", "authlink/issue", "-", lambda r: True)
    for load in ("100_per_s", "1000_per_s"):
        consume = m[f"authlink/verify_consume/{load}"]
        fresh = m[f"authlink/verify_fresh/{load}"]
        if consume is not None and fresh is not None:
            rows.append((f"consume adds, {load} (ns)", consume - fresh, "<= 150", consume - fresh <= 150))
    print()
    for label, value, target, met in rows:
        print(f"{label:32} {value:8.2f}  target {target:7} {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
