"""Run the fake GENESIS service for a demo: `python -m tests.fake_genesis --port 8081`, then export what it prints."""

from __future__ import annotations

import argparse
import threading

from .server import INSTANCE_PATHS, FakeGenesis


def main(argv: list[str] | None = None) -> None:
    """Start the service on 127.0.0.1 and print the IMON_* variables that point imon at it."""
    parser = argparse.ArgumentParser(prog="python -m tests.fake_genesis", description=__doc__)
    parser.add_argument("--port", type=int, default=8081, help="port on 127.0.0.1 (default 8081; 0 = any free one)")
    parser.add_argument("--job-polls", type=int, default=1,
                        help="how many catalogue/results polls answer 104 before a background job is done (default 1)")
    parser.add_argument("--too-large", action="append", metavar="TABLE",
                        help="answer status 98 for this table (repeatable; default 12531-0043, which then runs as a "
                             "background job; a Zensus table is then fetched per Land)")
    arguments = parser.parse_args(argv)
    fake = FakeGenesis(job_polls=arguments.job_polls,
                       too_large=set(arguments.too_large) if arguments.too_large else None).start(arguments.port)
    print(f"# fake GENESIS on 127.0.0.1:{fake.port}: {', '.join(INSTANCE_PATHS)} (test support, answers from the "
          "recorded cassettes and offline/sample/). In another shell:")
    for instance in INSTANCE_PATHS:
        for name, value in fake.environ(instance).items():
            print(f"export {name}={value}")
    print("# then: imon sources check; imon run --warehouse /tmp/imon-demo.duckdb   (Ctrl+C here stops the service)",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
