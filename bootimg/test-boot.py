#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Boot the node image in QEMU and check nodeinit (TAP).

No master: the network is QEMU's user-mode one (its DHCP server hands out
10.0.2.15), and QEMU runs in a network namespace of its own, so the guest
reaches nothing beyond QEMU's DHCP and TFTP servers (and a busybox httpd
for pxe-http). Each boot drives the node through its serial console, as an
operator with bproc.shell would:

  probe     bproc.probe prints "bproc-probe: ok" and powers off
  node      mounts, DHCP, hostname, module, bpslave started and restarted
            after a kill, orphans reaped, pid_max, a bad option reported,
            `poweroff` powers off
  badmod    an unloadable bproc.ko and no bproc.master=: both reported,
            bpslave not started, `reboot` reboots
  nonet     no network card: reported; bproc.nomodule; `halt` halts
  pxe-tftp  no -kernel: firmware and iPXE run boot.ipxe.in (filled in) and
  pxe-http  load the image over TFTP or HTTP; bpslave starts for its master

Consoles are kept in LOGDIR/test-boot-<name>.log.
"""

import argparse
import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

QEMU = "qemu-system-x86_64"
# busybox sh's prompt (PS1 from nodeinit), maybe followed by its cursor
# position query.
PROMPT = re.compile(r"[\w().-]+:/# (\x1b\[6n)?")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, what, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, what), flush=True)
        if not cond and diag:
            for line in diag.rstrip("\n").split("\n"):
                print("# " + line, flush=True)
        return cond

    def done(self):
        print("1..%d" % self.n)
        print("# %d passed, %d failed" % (self.n - self.failed, self.failed))
        return 1 if self.failed else 0


def newc(files):
    """An uncompressed newc cpio archive of (name, mode, data) entries."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(files + [("TRAILER!!!", 0, b"")], 1):
        bname = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(bname), 0)
        out += b"070701" + "".join("%08X" % f for f in fields).encode() + bname
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


class VM:
    """One QEMU boot in a network namespace of its own; its console is
    read in the background.

    QEMU's user-mode network would connect the guest to the host's
    network; in a namespace with only a loopback it reaches nothing but
    QEMU's own DHCP and TFTP servers (and, for pxe="http", a busybox httpd
    started in the same namespace on 127.0.0.1:80, which the guest sees
    as 10.0.2.2:80)."""

    def __init__(self, name, args, append=None, initrd=None, nic=False,
                 nic_opts="", pxe=None, pxedir=None):
        self.name = name
        self.log_path = os.path.join(args.logdir, "test-boot-%s.log" % name)
        self.buf = ""
        self.pos = 0
        self.cond = threading.Condition()
        qemu = [QEMU, "-accel", "tcg", "-m", "256", "-nodefaults",
                "-display", "none", "-no-reboot", "-serial", "stdio"]
        if pxe:
            # No -kernel: firmware, iPXE ROM, then boot.ipxe, as on hardware.
            # SeaBIOS mirrors its and iPXE's screen to COM1.
            sercon = os.path.join(args.logdir, "sercon-port")
            with open(sercon, "wb") as f:
                f.write((0x3f8).to_bytes(2, "little"))
            qemu += ["-boot", "n", "-fw_cfg", "name=etc/sercon-port,file=" + sercon]
            nic = True
            nic_opts = "tftp=%s,bootfile=boot.ipxe" % pxedir
        else:
            qemu += ["-kernel", args.kernel, "-initrd", initrd,
                     "-append", "console=ttyS0 panic=-1 " + append]
        if nic:
            qemu += ["-nic", "user,model=virtio-net-pci" +
                     ("," + nic_opts if nic_opts else "")]
        inner = 'ip link set lo up || exit 1\n'
        if pxe == "http":
            inner += 'busybox httpd -f -p 127.0.0.1:80 -h "$1" & \n'
        inner += 'shift; exec "$@"\n'
        cmd = ["unshare", "--net"] + \
            ([] if os.geteuid() == 0 else ["--map-root-user"]) + \
            ["sh", "-c", inner, "sh", pxedir or "/"] + qemu
        self.log = open(self.log_path, "w")
        self.log.write("# " + " ".join(qemu) + "\n")
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = os.read(self.p.stdout.fileno(), 4096)
            if not data:
                break
            text = data.decode("utf-8", "replace").replace("\r", "")
            with self.cond:
                self.buf += text
                self.log.write(text)
                self.log.flush()
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def expect(self, regex, timeout=60):
        """The first match of regex after the last match, or None."""
        rx = re.compile(regex, re.M)
        end = time.time() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
                left = end - time.time()
                if left <= 0 or (not self.reader.is_alive() and
                                 self.p.poll() is not None):
                    return None
                self.cond.wait(min(left, 1))

    def seen(self, regex):
        return re.search(regex, self.buf, re.M)

    def wait_seen(self, regex, timeout=60):
        """regex anywhere in the console (not only after the last match)."""
        rx = re.compile(regex, re.M)
        end = time.time() + timeout
        with self.cond:
            while True:
                m = rx.search(self.buf)
                if m:
                    return m
                left = end - time.time()
                if left <= 0 or (not self.reader.is_alive() and
                                 self.p.poll() is not None):
                    return None
                self.cond.wait(min(left, 1))

    def wait_prompt(self, timeout=60):
        """The shell's first prompt, wherever it is; later output follows."""
        m = self.wait_seen(PROMPT.pattern, timeout)
        if m:
            with self.cond:
                self.pos = len(self.buf)
        return m

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def shell(self, line, timeout=60):
        """Run a command in the console shell; wait for the next prompt."""
        self.send(line)
        return self.expect(PROMPT.pattern, timeout)

    def wait_exit(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Kill QEMU and whatever else runs in its session (httpd)."""
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.p.wait()
        self.reader.join(5)
        self.log.close()

    def tail(self, n=15):
        return "\n".join(self.buf.rstrip("\n").split("\n")[-n:])


def t_probe(tap, args):
    vm = VM("probe", args, "bproc.probe", args.initrd)
    try:
        rc = vm.wait_exit(120)
        vm.reader.join(5)
        tap.ok(rc == 0, "probe: QEMU powered off by itself (exit status %s)" % rc,
               vm.tail())
        tap.ok(vm.seen(r"^bproc-probe: ok$"), "probe: 'bproc-probe: ok' on its own line",
               vm.tail())
        tap.ok(vm.seen(r"nodeinit: powering off"), "probe: nodeinit logged the power-off")
        tap.ok(not vm.seen(r"started udhcpc|loaded /lib/modules"),
               "probe: nothing started before the power-off")
    finally:
        vm.stop()


def t_node(tap, args):
    vm = VM("node", args, "bproc.master=10.0.2.2:2223 bproc.shell bproc.debug "
            "bproc.pid_max=65536 bproc.bogus=1", args.initrd, nic=True,
            nic_opts="hostname=testnode")
    try:
        tap.ok(vm.wait_seen(r"nodeinit: starting \(bproc ABI \d+, Linux \S+\)", 120),
               "node: nodeinit started as PID 1", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: mounted /proc /sys /dev /dev/pts /dev/shm /run /tmp$"),
               "node: every mount succeeded", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: kernel command line: bproc.bogus=1: "
                            r"unknown option \(ignored\)"),
               "node: unknown bproc.bogus=1 reported", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: kernel.pid_max = 65536"), "node: pid_max set",
               vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: loaded /lib/modules/bproc.ko$"),
               "node: bproc.ko loaded", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: eth0 10\.0\.2\.15/24 \(DHCP server 10\.0\.2\.2\)$"),
               "node: DHCP lease on eth0 logged", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: hostname testnode \(from DHCP\)"),
               "node: hostname from DHCP", vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: started bpslave \(pid \d+\): "
                            r"/sbin/bpslave --verbose 10\.0\.2\.2:2223$"),
               "node: bpslave started with the master's address (verbose: bproc.debug)",
               vm.tail())
        tap.ok(vm.wait_prompt(), "node: console shell prompt", vm.tail())

        vm.shell("echo V=$((6*7)) $(cat /proc/sys/kernel/pid_max) $(hostname)")
        tap.ok(vm.seen(r"^V=42 65536 testnode$"),
               "node: shell runs; pid_max and hostname visible", vm.tail())
        vm.shell("ip -4 addr show dev eth0; ip route; cat /run/bproc/dhcp.env")
        tap.ok(vm.seen(r"inet 10\.0\.2\.15/24") and
               vm.seen(r"^default via 10\.0\.2\.2 dev eth0"),
               "node: address and default route applied", vm.tail())
        tap.ok(vm.seen(r"^ip=10\.0\.2\.15$") and vm.seen(r"^mask=24$") and
               vm.seen(r"^router=10\.0\.2\.2$") and vm.seen(r"^serverid=10\.0\.2\.2$") and
               vm.seen(r"^lease=\d+$") and vm.seen(r"^hostname=testnode$"),
               "node: /run/bproc/dhcp.env written", vm.tail())
        vm.shell("grep -c -E ' (/proc|/sys|/dev|/dev/pts|/dev/shm|/run|/tmp) ' /proc/mounts")
        tap.ok(vm.seen(r"^7$"), "node: 7 mounts in /proc/mounts", vm.tail())
        vm.shell("ls /dev/bproc && echo DEV=ok")
        tap.ok(vm.seen(r"^DEV=ok$"), "node: /dev/bproc exists", vm.tail())

        # Orphans are reaped by PID 1 (bproc.debug logs each one).
        vm.shell("sh -c 'sleep 1 & echo ORPHAN=$!'")
        m = vm.seen(r"^ORPHAN=(\d+)$")
        tap.ok(m and vm.wait_seen(r"nodeinit: reaped pid %s \(status 0\)" % m.group(1), 30),
               "node: orphan reaped", vm.tail())

        # Supervision: kill bpslave if it is running (for up to 20 s); if it
        # never is (it keeps exiting by itself, with no master to talk to),
        # its own exits must show the backoff instead.
        vm.shell("i=0; until p=$(pidof bpslave) || [ $i -ge 200 ]; do "
                 "usleep 100000; i=$((i+1)); done; p=${p##* }; [ -n \"$p\" ] && kill -9 $p; "
                 "echo KILLED=${p:-none}", 90)
        m = vm.seen(r"^KILLED=(\d+|none)$")
        if m and m.group(1) != "none":
            tap.ok(vm.wait_seen(r"nodeinit: bpslave exited \(signal 9 \(Killed\)\), "
                                r"restarting in \d+s$", 30),
                   "node: bpslave's death by SIGKILL logged with a restart delay", vm.tail())
        else:
            tap.ok(m and vm.wait_seen(r"bpslave exited \(status \d+\), restarting in 1s\n"
                                      r"(.*\n)*?.*bpslave exited \(status \d+\), "
                                      r"restarting in 2s$", 60),
                   "node: bpslave exits back off 1 s, then 2 s", vm.tail())
        vm.expect(r"KILLED=", 5)
        tap.ok(vm.expect(r"nodeinit: started bpslave \(pid \d+\)", 30),
               "node: bpslave restarted", vm.tail())

        vm.send("poweroff")
        tap.ok(vm.expect(r"nodeinit: poweroff requested \(SIGUSR2 from pid \d+\): "
                         r"stopping all processes", 30),
               "node: poweroff reaches PID 1 as SIGUSR2", vm.tail())
        tap.ok(vm.expect(r"nodeinit: powering off$", 30), "node: powering off", vm.tail())
        rc = vm.wait_exit(60)
        tap.ok(rc == 0, "node: QEMU powered off (exit status %s)" % rc, vm.tail())
        tap.ok(not vm.seen(r"Kernel panic|sending SIGKILL"),
               "node: no panic; every process stopped on SIGTERM", vm.tail())
    finally:
        vm.stop()


def t_badmod(tap, args):
    overlay = os.path.join(args.logdir, "test-boot-badmod.cpio.gz")
    with open(args.initrd, "rb") as f, open(overlay, "wb") as out:
        out.write(f.read())
        # A second gzip member: the kernel unpacks both, the later file wins.
        out.write(gzip.compress(newc([("lib/modules/bproc.ko", 0o100644,
                                       b"this is not an ELF module\n")])))
    vm = VM("badmod", args, "bproc.shell", overlay, nic=True)
    try:
        tap.ok(vm.expect(r"nodeinit: cannot load /lib/modules/bproc.ko: finit_module: "
                         r"Exec format error \(built for another kernel\? see dmesg\)$", 120),
               "badmod: module load failure logged with errno", vm.tail())
        tap.ok(vm.expect(r"nodeinit: eth0 10\.0\.2\.15/24", 60),
               "badmod: network still comes up", vm.tail())
        tap.ok(vm.expect(r"nodeinit: no usable bproc.master=ADDR\[:PORT\] on the "
                         r"kernel command line: not starting bpslave$", 30),
               "badmod: missing bproc.master= reported", vm.tail())
        tap.ok(vm.wait_prompt(), "badmod: console shell still usable", vm.tail())
        vm.send("reboot")
        tap.ok(vm.expect(r"nodeinit: reboot requested \(SIGTERM from pid \d+\)", 30),
               "badmod: reboot reaches PID 1 as SIGTERM", vm.tail())
        tap.ok(vm.expect(r"nodeinit: rebooting$", 30), "badmod: rebooting", vm.tail())
        rc = vm.wait_exit(60)
        tap.ok(rc == 0, "badmod: QEMU exited on reboot with -no-reboot (status %s)" % rc,
               vm.tail())
        tap.ok(not vm.seen(r"started bpslave"), "badmod: bpslave never started")
        tap.ok(not vm.seen(r"sending SIGKILL"),
               "badmod: the console shell stopped without SIGKILL", vm.tail())
    finally:
        vm.stop()


def t_nonet(tap, args):
    vm = VM("nonet", args, "bproc.master=10.0.2.2 bproc.nomodule bproc.shell",
            args.initrd)
    try:
        tap.ok(vm.expect(r"nodeinit: no Ethernet interface after 5 s \(No such device\): "
                         r"no DHCP, no bpslave$", 120),
               "nonet: missing network card reported", vm.tail())
        tap.ok(vm.expect(r"nodeinit: bproc.nomodule: not loading /lib/modules/bproc.ko$", 30),
               "nonet: bproc.nomodule honoured", vm.tail())
        tap.ok(vm.wait_prompt(), "nonet: console shell prompt", vm.tail())
        vm.shell("lsmod | grep -c bproc; echo LSMOD")
        tap.ok(vm.seen(r"^0\nLSMOD$"), "nonet: module really not loaded", vm.tail())
        vm.send("halt")
        tap.ok(vm.expect(r"nodeinit: halt requested \(SIGUSR1 from pid \d+\)", 30),
               "nonet: halt reaches PID 1 as SIGUSR1", vm.tail())
        tap.ok(vm.expect(r"nodeinit: halting$", 30) and
               vm.expect(r"reboot: System halted", 30),
               "nonet: system halted", vm.tail())
        tap.ok(not vm.seen(r"sending SIGKILL"),
               "nonet: the console shell stopped without SIGKILL", vm.tail())
    finally:
        vm.stop()


def pxe(tap, args, proto):
    """PXE-boot through iPXE with boot.ipxe.in filled in for @proto."""
    name = "pxe-" + proto
    d = os.path.join(args.logdir, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(args.ipxe) as f:
        script = f.read()
    script = script.replace("@PROTO@", proto).replace("@SERVER@", "10.0.2.2")
    script = script.replace("@PORT@", "2223")
    # the config's bootargs: words the node kernel gets after the script's
    script = script.replace("@BOOTARGS@", "loglevel=7")
    with open(os.path.join(d, "boot.ipxe"), "w") as f:
        f.write(script)
    shutil.copy(args.kernel, os.path.join(d, "bzImage"))
    shutil.copy(args.initrd, os.path.join(d, "initramfs.cpio.gz"))
    vm = VM(name, args, pxe=proto, pxedir=d)
    try:
        tap.ok(vm.wait_seen(r"bproc: loading the node image over %s from 10\.0\.2\.2" % proto,
                            180),
               "%s: iPXE runs boot.ipxe and names the protocol" % name, vm.tail())
        tap.ok(vm.wait_seen(r"Kernel command line: console=ttyS0 panic=-1 panic_on_warn=1 "
                            r"bproc\.master=10\.0\.2\.2:2223 loglevel=7$", 300),
               "%s: kernel booted with the script's command line" % name, vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: eth0 10\.0\.2\.15/24 \(DHCP server 10\.0\.2\.2\)", 120),
               "%s: nodeinit up, DHCP lease" % name, vm.tail())
        tap.ok(vm.wait_seen(r"nodeinit: started bpslave \(pid \d+\): "
                            r"/sbin/bpslave 10\.0\.2\.2:2223$", 60),
               "%s: bpslave started for the master of the script" % name, vm.tail())
    finally:
        vm.stop()


def t_pxe_tftp(tap, args):
    pxe(tap, args, "tftp")


def t_pxe_http(tap, args):
    pxe(tap, args, "http")


TESTS = {"probe": t_probe, "node": t_node, "badmod": t_badmod, "nonet": t_nonet,
         "pxe-tftp": t_pxe_tftp, "pxe-http": t_pxe_http}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True, help="bzImage")
    ap.add_argument("--initrd", required=True, help="initramfs.cpio.gz")
    ap.add_argument("--ipxe", required=True, help="boot.ipxe.in")
    ap.add_argument("--logdir", required=True, help="where consoles are kept")
    ap.add_argument("tests", nargs="*", help="subset of: " + " ".join(TESTS))
    args = ap.parse_args()
    for t in args.tests:
        if t not in TESTS:
            ap.error("unknown test %r (known: %s)" % (t, " ".join(TESTS)))
    for f in (args.kernel, args.initrd, args.ipxe):
        if not os.path.exists(f):
            ap.error("%s: not found" % f)
    os.makedirs(args.logdir, exist_ok=True)
    # On SIGTERM (e.g. from timeout) still run the finally blocks that
    # kill the VMs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tap = Tap()
    for name in args.tests or TESTS:
        t0 = time.time()
        TESTS[name](tap, args)
        print("# %s: %.0f s" % (name, time.time() - t0), flush=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
