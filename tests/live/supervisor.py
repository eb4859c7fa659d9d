"""Parent of every process of one live cell: the BMC simulators (ipmi_sim) it starts, and,
as the cell's child subreaper, the simulated nodes their power-on commands leave behind.

    python3 supervisor.py COMMANDS.json     [[pidfile, logfile, argv...], ...]

This machine's PID 1 does not reap orphans: without a subreaper every node a BMC powered
off would stay a zombie. The harness (tests/live_cluster.py) kills the nodes and the
simulators by their pids, then this process (SIGTERM), which exits once nothing is left.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("supervisor: prctl(PR_SET_CHILD_SUBREAPER) failed")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    with open(sys.argv[1], encoding="utf-8") as f:
        commands = json.load(f)
    for pidfile, logfile, *argv in commands:
        with open(logfile, "ab") as log:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        with open(pidfile, "w", encoding="utf-8") as f:
            f.write(f"{child.pid}\n")
    while True:
        if stopping:
            kill_children()
        try:
            os.waitpid(-1, os.WNOHANG if stopping else 0)
        except ChildProcessError:
            if stopping:
                return
            time.sleep(0.2)
        else:
            if stopping:
                time.sleep(0.1)


def kill_children() -> None:
    """Once told to stop: SIGKILL whatever is still our child (the harness killed the
    nodes and simulators by pid already; this catches a node booted meanwhile)."""
    me = str(os.getpid())
    for proc in os.listdir("/proc"):
        try:
            with open(f"/proc/{proc}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me and fields[0] != "Z":
            try:
                os.kill(int(proc), signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    main()
