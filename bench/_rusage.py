"""Run one command as a child and print its wall time and peak memory as JSON.

Usage: python bench/_rusage.py OUT.json -- COMMAND [ARG ...]

A separate process per measurement, so RUSAGE_CHILDREN.ru_maxrss (the largest child this
process waited for) is the peak resident memory of exactly that command.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    out, sep, *command = argv
    if sep != "--" or not command:
        print(__doc__, file=sys.stderr)
        return 2
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "returncode": proc.returncode,
                "wall_s": wall,
                "user_s": usage.ru_utime,
                "sys_s": usage.ru_stime,
                "maxrss_kb": usage.ru_maxrss,  # kilobytes on Linux
                "stdout": proc.stdout[-4000:],
                "stderr": proc.stderr[-4000:],
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
