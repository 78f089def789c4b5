"""Run the sandbox supplier as its own process (uvicorn), e.g. for the crash test:

    python -m connectors.suppliers.sandbox --host 127.0.0.1 --port 8765 --ship-after 5
        --fail-rate timeout=0.05 --fail-rate 5xx=0.05 --timeout-seconds 0.2

It keeps counting while workers come and go; read the counts at GET /_stats.
A bare `--fail-rate 0.09` spreads the rate over the temporary faults (5xx, timeout, 429).
`--faults 0.2` (or `--faults lost=0.1,429=0.05`) puts the network fault layer in front instead
(connectors/sandbox_faults.py: 429, 5xx, timeout without work, lost answer after work, slow).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from decimal import Decimal

import uvicorn

from connectors.sandbox_faults import ASGIApp, FaultInjector, FaultPlan
from connectors.suppliers.sandbox.asgi import create_app
from connectors.suppliers.sandbox.config import FAULT_KINDS, SupplierFaults, SupplierSandboxConfig
from connectors.suppliers.sandbox.server import CONTROL_PATHS, SandboxSupplierServer

logger = logging.getLogger(__name__)


TEMPORARY = ("5xx", "timeout", "429")


def _fault_rate(text: str) -> list[tuple[str, float]]:
    try:
        total = float(text)
    except ValueError:
        pass
    else:
        return [(kind, total / len(TEMPORARY)) for kind in TEMPORARY]
    kind, sep, rate = text.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"expected KIND=RATE with KIND in {', '.join(FAULT_KINDS)}")
    try:
        return [(kind, float(rate))]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rate {rate!r} is not a number") from exc


def _fault_plan(text: str) -> FaultPlan:
    try:
        return FaultPlan.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m connectors.suppliers.sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ship-after", type=float, default=60.0, help="seconds until an order ships (<0: never)")
    parser.add_argument("--fail-rate", type=_fault_rate, action="append", default=[], metavar="KIND=RATE",
                        help=f"fault probability per request; KIND in {', '.join(FAULT_KINDS)}; repeatable")
    parser.add_argument("--faults", type=_fault_plan, default=FaultPlan(), metavar="SPEC",
                        help="network faults in front of the supplier: RATE for every kind, or KIND=RATE,... "
                             "(429, 5xx, timeout, lost, slow); seeded by --fault-seed")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--timeout-seconds", type=float, default=5.0, help="stall of a 'timeout' fault")
    parser.add_argument("--seed", type=int, default=42, help="catalogue seed")
    parser.add_argument("--fault-seed", type=int, default=11)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--coverage", type=float, default=1.0)
    parser.add_argument("--price-factor", type=Decimal, default=Decimal(1))
    parser.add_argument("--split-rate", type=float, default=0.2)
    parser.add_argument("--api-key", default=None, help="require Authorization: Bearer KEY")
    parser.add_argument("--ignore-idempotency", action="store_true",
                        help="emulate a supplier that ignores Idempotency-Key (duplicates possible)")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> SupplierSandboxConfig:
    faults = SupplierFaults(rates=dict(pair for given in args.fail_rate for pair in given), latency=args.latency,
                            timeout_seconds=args.timeout_seconds, seed=args.fault_seed)
    return SupplierSandboxConfig(seed=args.seed, products=args.products, coverage=args.coverage,
                                 price_factor=args.price_factor, ship_after=args.ship_after,
                                 split_rate=args.split_rate, api_key=args.api_key,
                                 honour_idempotency=not args.ignore_idempotency, faults=faults)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    app: ASGIApp = create_app(SandboxSupplierServer(config_from_args(args)))
    plan = replace(args.faults, seed=args.fault_seed)
    if plan.rates:
        app = FaultInjector(plan, exempt=CONTROL_PATHS).asgi(app)
    logger.info("sandbox supplier on http://%s:%d", args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
