#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of how the harness follows a node VM (cluster.py Node.check_boot
and the control requests that depend on it), without QEMU: a stand-in
process and a console log written by the test. A node VM resets on a guest
reboot and comes back, a guest power-off stops it, a halt leaves it
running; none of that after a boot is a failure of the run, while a boot
that does not finish still is. Prints TAP."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.dont_write_bytecode = True      # no __pycache__ in the source tree
import cluster  # noqa: E402

n_run = 0
n_failed = 0


def ok(cond, what):
    global n_run, n_failed
    n_run += 1
    print("%sok %d - %s" % ("" if cond else "not ", n_run, what))
    if not cond:
        n_failed += 1


class FakeProc:
    """What spawn() gets instead of a QEMU: alive until exit() is called."""
    last = None

    def __init__(self, cmd, **kw):
        self.cmd = cmd
        self.returncode = None
        FakeProc.last = self

    def poll(self):
        return self.returncode

    def exit(self, status):
        self.returncode = status

    def kill(self):
        self.returncode = -9

    def wait(self, timeout=None):
        return self.returncode


def console(node, text):
    with open(node.console, "a") as f:
        f.write(text)


def booted_lines(node):
    return "".join("[ 9.0] bpslave: connected to 10.42.0.1:2223 as node %d\n"
                   % n for n in [node.index] + [v for v, _ in node.vnodes])


def firmware():
    return "\x1b[2JSeaBIOS (version 1.16.2-debian-1.16.2-1)\niPXE ...\n"


def main():
    tmp = tempfile.mkdtemp(prefix="bproc-node-state-")
    saved_popen = subprocess.Popen
    subprocess.Popen = FakeProc
    quiet = open(os.devnull, "w")
    saved_err, sys.stderr = sys.stderr, quiet
    try:
        args = cluster.parse_args(["--nodes", "2", "--vnodes", "2",
                                   "--node-timeout", "300",
                                   "--dir", tmp])
        c = cluster.Cluster(args)
        c.dir = tmp
        c.sockdir = tmp
        c.accel = "tcg"
        c.sercon = os.path.join(tmp, "sercon-port")
        c.ctl_sock = os.path.join(tmp, "ctl.sock")
        c.out_sock = os.path.join(tmp, "out.sock")
        c.nodes = [cluster.Node(c, i, "tftp") for i in range(2)]
        run_tests(c)
    finally:
        sys.stderr = saved_err
        subprocess.Popen = saved_popen
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d\n# %d passed, %d failed" % (n_run, n_run - n_failed,
                                             n_failed))
    return 1 if n_failed else 0


def run_tests(c):
    n = c.nodes[1]
    ok(n.state == "off" and n.check_boot() is None and not n.boot_failed,
       "a node not powered on yet is neither booted nor failed")

    n.start()
    cmd = FakeProc.last.cmd
    ok("-no-reboot" not in cmd and
       "reboot=reset,shutdown=poweroff" in cmd[cmd.index("-action") + 1:][:1],
       "a node VM resets on a guest reboot, QEMU exits on its power-off")
    console(n, firmware() + "Linux ...\n")
    n.check_boot()
    ok(n.state == "booting" and not n.booted and not n.boot_failed,
       "booting: its firmware is not taken for a reset")
    console(n, booted_lines(n))
    n.check_boot()
    ok(n.state == "up" and n.booted, "up once its bpslave and its 2 "
       "virtual nodes' have connected")
    ok(c.wait_nodes([n]) == "ok", "wait-node: ok")

    # a reboot by the master: the guest resets, PXE-boots again
    console(n, "[ 99.0] nodeinit: rebooting\n[ 99.1] reboot: Restarting "
            "system\n" + firmware())
    n.check_boot()
    ok(n.state == "booting" and n.after_reset and not n.booted and
       not n.boot_failed, "a guest reset: booting again, not a failure")
    n.started -= 1000       # longer than --node-timeout ago
    n.check_boot()
    ok(n.boot_failed and n.after_reset,
       "a reset boot that does not finish in time: boot_failed")
    failed = [x for x in c.nodes if x.boot_failed and not x.after_reset]
    ok(not failed, "but the run does not fail for it by itself")
    n.boot_failed = None
    n.started = time.time()
    console(n, booted_lines(n)[:30])
    n.check_boot()
    ok(not n.booted, "the old boot's lines do not count after a reset")
    console(n, booted_lines(n)[30:])
    n.check_boot()
    ok(n.state == "up" and n.booted, "it comes back: up again")

    # a halt: QEMU runs on, the guest is stopped
    console(n, "[ 120.0] nodeinit: halting\n[ 120.1] reboot: System halted\n")
    n.check_boot()
    ok(n.state == "halted" and not n.booted and n.running() and
       not n.boot_failed, "a halt: halted, the VM still running, no failure")
    ok(c.power_request("state", n) == "ok running link up",
       "state: running")
    ok(c.power_request("start", n).startswith("err ") and
       "kill it first" in c.power_request("start", n),
       "start of a halted node: kill it first")
    ok(c.wait_nodes([n]).startswith("err node1 is halted") and
       c.failure is None, "wait-node on it: an error, not a run failure")
    ok(c.power_request("kill", n) == "ok" and
       c.power_request("start", n) == "ok" and n.state == "booting" and
       not n.after_reset, "kill and start: it boots from power-on")
    console(n, firmware() + booted_lines(n))
    n.check_boot()
    ok(n.state == "up", "and comes up")

    # a power-off: QEMU exits
    console(n, "[ 150.0] reboot: Power down\n")
    n.proc.exit(0)
    n.check_boot()
    ok(n.state == "stopped" and not n.booted and not n.boot_failed,
       "a power-off: stopped, not a failure")
    ok(c.power_request("state", n) == "ok stopped link up", "state: stopped")
    ok(c.wait_nodes([n]).startswith("err node1 is stopped") and
       c.failure is None, "wait-node on it: an error, not a run failure")
    ok(c.power_request("start", n) == "ok" and n.state == "booting",
       "start powers it on again")
    console(n, firmware() + booted_lines(n))
    n.check_boot()
    ok(n.state == "up" and n.booted, "and it boots")

    # killed before it booted: not a failure; exited by itself: one
    c.power_request("kill", n)
    c.power_request("start", n)
    c.power_request("kill", n)
    n.check_boot()
    ok(n.state == "stopped" and not n.boot_failed,
       "killed while booting: stopped, not a failure")
    c.power_request("start", n)
    n.proc.exit(1)
    n.check_boot()
    ok(n.boot_failed and "exited (status 1) before it booted" in
       n.boot_failed and not n.after_reset,
       "a VM that exits by itself while booting fails the run")

    m = c.nodes[0]
    m.start()
    m.started -= 1000
    m.check_boot()
    ok(m.boot_failed and "node0 did not boot within 300s" in m.boot_failed
       and not m.after_reset, "a power-on that never boots fails the run")

    master = cluster.Master(c)
    master.start("bzImage", "console=ttyS0", False)
    ok("-no-reboot" in FakeProc.last.cmd, "the master keeps -no-reboot")


if __name__ == "__main__":
    sys.exit(main())
