"""`python -m offline rehearse --stack prod [--scenario NAME|all]`: play a release through the simulated account,
each call made by the principal that makes it on AWS, on a clock, and print the timeline.

Exit codes: 0 every scenario came to what it must, 1 one did not, 2 bad arguments (or a stack without a pipeline).
"""

import argparse
import sys
from pathlib import Path
from typing import Optional

import pulumi

from aws_account.refusals import AwsRefusal
from offline.rehearsal.scenarios import SCENARIOS, check_rehearsable, play
from offline.stack_config import StackConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXIT_AS_EXPECTED, EXIT_OTHERWISE, EXIT_ERROR = 0, 1, 2


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="prod", help="a stack with a pipeline (default: prod)")
    parser.add_argument("--scenario", default="clean-release", choices=[*SCENARIOS, "all"],
                        help="which release to play (default: clean-release)")
    parser.add_argument("--every-call", action="store_true", help="list every allowed call, not only a count")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    try:
        check_rehearsable(PROJECT_DIR, args.stack)
    except (StackConfigError, pulumi.RunError, ValueError, AwsRefusal) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    failed = []
    for name in names:
        scenario = SCENARIOS[name]
        print(f"== {name}: {scenario.title}\n   expected: {scenario.expect}")
        try:
            played = play(PROJECT_DIR, args.stack, scenario)
        except (StackConfigError, pulumi.RunError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_ERROR
        print(played.timeline.render(args.every_call))
        problem = scenario.check(played)
        print(f"   {'as expected' if problem is None else 'NOT as expected: ' + problem}\n")
        if problem is not None:
            failed.append(name)
    if len(names) > 1:
        print(f"{len(names) - len(failed)} of {len(names)} scenarios as expected" +
              (f"; not: {', '.join(failed)}" if failed else ""))
    return EXIT_OTHERWISE if failed else EXIT_AS_EXPECTED
