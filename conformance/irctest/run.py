#!/usr/bin/python3
"""Runs irctest against tertulia: ``deno task irctest [--] [pytest args]``.

irctest stays outside the repository (``../shared/conformance/irctest`` by
default). This script copies it to a private temporary directory, rewrites
conftest.py's new-style ``pytest_runtest_call`` wrapper as an old-style
hookwrapper with the same effect (Debian's pluggy 1.0 cannot load the new
style), drops tertulia's controller in, runs pytest with irctest's Makefile
selection and compares the failures with the known-gaps file.

Exit status: 0 when every failure is a listed known gap, 1 otherwise, 2 for
a bad command line or a missing irctest.
"""

import argparse
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Tuple
import xml.etree.ElementTree as ET

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_IRCTEST = REPO.parent / "shared" / "conformance" / "irctest"
DEFAULT_GAPS = REPO / "conformance" / "irctest-known-gaps.txt"
#: Further gaps of a server that is a node of a network (``--cluster``).
CLUSTER_GAPS = REPO / "conformance" / "irctest-cluster-known-gaps.txt"

#: irctest's Makefile selection for servers like tertulia (see its INSPIRCD_MARKERS).
MARKERS = "not implementation-specific and not deprecated and not strict"

#: The hook irctest's conftest.py declares in the style pluggy 1.0 rejects.
NEW_STYLE_HOOK = re.compile(
    r"@pytest\.hookimpl\(wrapper=True\)\ndef pytest_runtest_call\(item\):\n"
    r"(?:(?:    .*)?\n)+?        raise  # skip the test after all\n"
)

#: Test ids are irctest's junit class names with this prefix cut.
ID_PREFIX = "irctest.server_tests."


def private_copy(irctest: Path) -> Path:
    """Copies irctest under /tmp, patches conftest.py and adds the controller."""
    copy = Path(tempfile.mkdtemp(prefix="tertulia-irctest-")) / "irctest"
    shutil.copytree(
        irctest, copy, ignore=shutil.ignore_patterns(".git", "__pycache__")
    )
    conftest = copy / "conftest.py"
    text = conftest.read_text()
    hook = (HERE / "conftest_hook.py").read_text()
    patched, count = NEW_STYLE_HOOK.subn(lambda _: hook, text)
    if count != 1:
        raise SystemExit(
            f"error: {irctest / 'conftest.py'}: the pytest_runtest_call hook to "
            "rewrite was not found (irctest changed?)"
        )
    conftest.write_text(patched)
    shutil.copy(HERE / "tertulia.py", copy / "irctest" / "controllers" / "tertulia.py")
    return copy


def read_gaps(path: Path) -> dict:
    """Known gaps: one ``<test id> <reason>`` per line; ``#`` starts a comment line."""
    gaps = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if line == "" or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            raise SystemExit(f"error: {path}:{number}: {parts[0]} needs a reason")
        gaps[parts[0]] = parts[1]
    return gaps


def read_results(junit: Path) -> dict:
    """Outcome (passed, failed, skipped) of each test id in a junit XML report."""
    results = {}
    for case in ET.parse(junit).iter("testcase"):
        test_id = case.get("classname", "").removeprefix(ID_PREFIX) + "." + case.get(
            "name", ""
        )
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            results[test_id] = "failed"
        elif "skipped" in kinds:
            results[test_id] = "skipped"
        else:
            results[test_id] = "passed"
    return results


def start_redis() -> Tuple[subprocess.Popen, str]:
    """A throwaway redis-server on a free loopback port, once it answers PING."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return redis, f"redis://127.0.0.1:{port}"
        except OSError:
            redis.poll()
            if redis.returncode is not None:
                break
            time.sleep(0.05)
    redis.kill()
    raise SystemExit("error: redis-server did not start (is it installed?)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run irctest against tertulia.",
        epilog="Arguments after -- go to pytest (e.g. -- -k who).",
    )
    parser.add_argument("--irctest", type=Path, default=DEFAULT_IRCTEST,
                        help="irctest checkout (default: %(default)s)")
    parser.add_argument("--gaps", type=Path, default=DEFAULT_GAPS,
                        help="known-gaps file (default: %(default)s)")
    parser.add_argument("-n", "--workers", type=int, default=2,
                        help="parallel pytest-xdist workers, 0 for none (default: 2)")
    parser.add_argument("--cluster", action="store_true",
                        help="run each server as a node of a network, over a "
                             "redis-server started for the run (docs/cluster.md)")
    parser.add_argument("--junit", type=Path,
                        help="also keep the junit XML report here")
    parser.add_argument("--keep", action="store_true",
                        help="keep the private irctest copy (its path is printed)")
    args, pytest_args = parser.parse_known_args()
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    if not (args.irctest / "conftest.py").is_file():
        print(f"error: no irctest at {args.irctest}", file=sys.stderr)
        return 2
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    gaps = read_gaps(args.gaps)
    if args.cluster:
        gaps |= read_gaps(CLUSTER_GAPS)
    deno = os.environ.get("TERTULIA_DENO") or shutil.which("deno") or "deno"
    # Fetches and compiles the server's modules once, not in every test.
    warm = subprocess.run([deno, "cache", "--quiet", str(HERE / "serve.ts")], cwd=REPO)
    if warm.returncode != 0:
        print("error: cannot load conformance/irctest/serve.ts", file=sys.stderr)
        return 1

    copy = private_copy(args.irctest)
    junit = copy.parent / "junit.xml"
    command = [
        "/usr/bin/python3", "-m", "pytest",
        "--controller", "irctest.controllers.tertulia",
        "-m", MARKERS,
        "-p", "no:cacheprovider",
        "--timeout", "120",
        "-q", "-rf", "--tb=line",
        f"--junitxml={junit}",
    ]
    if args.workers > 0:
        command += ["-n", str(args.workers)]
    if not any(arg.startswith("irctest/") for arg in pytest_args):
        # The server tests only: irctest's self-tests never start a server.
        pytest_args.append("irctest/server_tests/")
    env = {**os.environ, "TERTULIA_REPO": str(REPO), "TERTULIA_DENO": deno}
    redis = None
    if args.cluster:
        redis, env["TERTULIA_IRCTEST_REDIS"] = start_redis()
    try:
        subprocess.run(command + pytest_args, cwd=copy, env=env, check=False)
        if not junit.is_file():
            print("error: pytest wrote no report", file=sys.stderr)
            return 1
        results = read_results(junit)
        if args.junit:
            shutil.copy(junit, args.junit)
    finally:
        if redis is not None:
            redis.kill()
        if args.keep:
            print(f"private irctest copy kept in {copy}")
        else:
            shutil.rmtree(copy.parent, ignore_errors=True)

    counts = {kind: 0 for kind in ("passed", "failed", "skipped")}
    for outcome in results.values():
        counts[outcome] += 1
    failed = sorted(test for test, outcome in results.items() if outcome == "failed")
    unexpected = [test for test in failed if test not in gaps]
    known = [test for test in failed if test in gaps]
    fixed = sorted(test for test in gaps if results.get(test) == "passed")
    for test in known:
        print(f"known gap: {test} ({gaps[test]})")
    for test in fixed:
        print(f"note: {test} passes now; remove it from {args.gaps.name}")
    for test in unexpected:
        print(f"UNEXPECTED FAILURE: {test}")
    print(
        f"irctest{' (cluster node)' if args.cluster else ''}: {counts['passed']} passed, {counts['failed']} failed "
        f"({len(known)} known gaps, {len(unexpected)} unexpected), "
        f"{counts['skipped']} skipped"
    )
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
