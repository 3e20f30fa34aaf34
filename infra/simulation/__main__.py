"""python -m infra.simulation [--seed S] [--orders-per-day N] [--days D]: play the world, print the
mean outcome score per strategy and the lift of AI_ADAPTIVE over DISTANCE_OPTIMAL."""

from __future__ import annotations

import argparse
import sys
import time

from infra.simulation.world import World, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make simulate", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders-per-day", type=int, default=400)
    parser.add_argument("--days", type=int, default=21, help="days of each phase")
    parser.add_argument("--control-pct", type=float, default=20.0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = World(args.seed, args.orders_per_day, args.days, args.days, args.control_pct)
    result = run(world)
    print(f"world: seed {args.seed}, {args.orders_per_day} orders a day, {args.days} + {args.days} days")
    print(f"{'':2}{'strategy':<46}{'outcomes':>9}{'mean score':>12}")
    for name, count, mean in result.table():
        print(f"{'':2}{name:<46}{count:>9}{mean:>12.4f}")
    print(f"fallbacks to DISTANCE_OPTIMAL in phase 2: {result.fallbacks or 'none'}")
    exp = result.experiment
    print(f"experiment {exp.winner or 'undecided'}: {exp.reason}")
    print(f"proposals pending: {len(result.proposals)}")
    for p in result.proposals[:5]:
        print(f"  {p['summary']}")
    orders = len({o.order_id for o in result.phase1 + result.phase2})
    print(f"ran in {time.perf_counter() - started:.1f} s")
    lift = f"{100 * result.lift:+.1f}%"
    print(f"lift: {lift} (AI_ADAPTIVE vs DISTANCE_OPTIMAL, {orders} orders, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
