"""Command line of the embedded local cloud (what ``make run`` executes).

    python -m infra.local run [--port 3000] [--host 127.0.0.1] [--fresh] [--state-dir DIR]
                              [--speed N] [--param Name=Value ...] [--no-seed] [--no-simulator]
                              [--no-persist] [--chaos SPEC] [--verbose]
    python -m infra.local describe [--param Name=Value ...]

``run`` prints what it serves, then one line tests can wait for::

    Cirrus local cloud ready: API http://127.0.0.1:3000

and runs until Ctrl-C or SIGTERM, then persists and stops cleanly (exit 0). A taken port is a
one-line error and exit code 2. ``describe`` deploys the template into an in-memory moto and prints
the resulting description (physical names, functions, event sources, routes) as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from infra.local.launch import READY_PREFIX  # the line the tests and the chaos run wait for


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--param expects Name=Value, got {pair!r}")
        out[name] = value
    return out


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    quiet = ["werkzeug", "botocore", "boto3", "urllib3", "moto", "samtranslator", "docker"]
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    # moto logs every Fail state an execution reaches (a normal outcome) as an ERROR with a page of
    # repr(); the execution's status says the same. Keep them for --verbose only.
    if not verbose:
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    logging.getLogger("infra.local.access").setLevel(logging.INFO if verbose else logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    from infra.local import chaos
    from infra.local.chaos import ChaosSpec
    from infra.local.cloud import REPO_ROOT, LocalCloud, PortInUseError
    from infra.local.lambda_runtime import EnvironmentConflictError
    from infra.local.template_loader import TemplateError

    _configure_logging(args.verbose)
    try:
        chaos_spec = ChaosSpec.parse(args.chaos) if args.chaos is not None else chaos.from_environment()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cloud = LocalCloud(
        Path(args.repo).resolve() if args.repo else REPO_ROOT,
        api_port=args.port,
        host=args.host,
        state_dir=args.state_dir,
        fresh=args.fresh,
        speed=args.speed,
        parameters=_parameters(args.param),
        seed=not args.no_seed,
        simulator=not args.no_simulator,
        persist=not args.no_persist,
        chaos_spec=chaos_spec or "",
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cloud.start()
    except PortInUseError as exc:
        print(f"error: {exc.strerror or exc} (choose another with --port / PORT=...)", file=sys.stderr)
        return 2
    except (TemplateError, EnvironmentConflictError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        cloud.stop()
        return 130
    try:
        for line in cloud.banner():
            print(line)
        print(f"Started in {cloud.startup_seconds:.1f}s; Ctrl-C to stop.")
        print(f"{READY_PREFIX}{cloud.api_url}", flush=True)
        while not stop.wait(1.0):
            pass
        print("Stopping...", flush=True)
    finally:
        cloud.stop()
    print("Stopped; state saved." if cloud.persist else "Stopped.", flush=True)
    return 0


def _describe(args: argparse.Namespace) -> int:
    from infra.local.testing import REPO_ROOT, deployed_template

    logging.basicConfig(level=logging.WARNING)
    with deployed_template(
        Path(args.repo).resolve() if args.repo else REPO_ROOT, parameters=_parameters(args.param)
    ) as stack:
        print(json.dumps(stack.to_dict(), indent=2, sort_keys=True))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local", description="Cirrus OMS embedded local cloud"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve the template locally until Ctrl-C")
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000), help="HTTP port (3000)")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    run.add_argument("--fresh", action="store_true", help="wipe the saved local state first")
    run.add_argument("--state-dir", default=None, help="where data is kept (<repo>/.local/state)")
    run.add_argument("--speed", type=float, default=1.0, help="run schedules and retries N times faster")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="template parameter")
    run.add_argument("--no-seed", action="store_true", help="do not load demo data into empty tables")
    run.add_argument(
        "--no-simulator", action="store_true", help="do not start the warehouse/carrier simulator"
    )
    run.add_argument("--no-persist", action="store_true", help="keep nothing after stopping")
    run.add_argument(
        "--chaos",
        default=None,
        metavar="SPEC",
        help='inject faults, e.g. "lambda=0.1,ddb_throttle=0.1,sqs_redeliver=0.1,seed=7" '
        "(default: $CIRRUS_CHAOS; see infra/local/chaos.py)",
    )
    run.add_argument("--repo", default=None, help=argparse.SUPPRESS)
    run.add_argument("-v", "--verbose", action="store_true", help="debug logs and one line per request")
    run.set_defaults(handler=_run)

    describe = sub.add_parser("describe", help="print what the template becomes locally (JSON)")
    describe.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    describe.add_argument("--repo", default=None, help=argparse.SUPPRESS)
    describe.set_defaults(handler=_describe)

    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
