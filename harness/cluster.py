#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""bproc QEMU cluster harness.

Boots one master VM (the patched kernel, the host's root file system shared
read-only over 9p with a tmpfs overlay, the bproc module, bpmaster and the
boot service) and N node VMs that have no -kernel: they PXE-boot through
QEMU's iPXE ROM from the master, as hardware would.

Everything runs inside a network namespace made for this run (a bridge and
one tap per VM); a finally-block and PR_SET_PDEATHSIG make sure no QEMU and
no namespace of the run survive it. A node VM's guest reboot resets it (it
PXE-boots again), its power-off ends its QEMU; the master runs -no-reboot. Console logs, the run's output and the
cluster config are kept in build/cluster/.

Channels between the master VM and this harness (virtio-serial ports):
  bproc.ctl  requests from the master (see harness/guest/bproc-vmctl):
             kill/start/link/state of node VMs, wait-nodes, ready, exit N
  bproc.out  the payload's output, streamed to stdout and output.log
"""

import argparse
import ctypes
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("BPROC_CACHE", "/var/cache/bproc")
QEMU = "qemu-system-x86_64"
SUBNET = "10.42.0"
MASTER_MAC = "52:54:00:42:00:01"
NODE_BOOTED = re.compile(rb"bpslave: connected to \S+ as node (\d+)")
# A node VM's firmware starting (again): its power-on, or a guest reset
# (reboot, panic=-1). Its guest halted: the kernel's last words.
FIRMWARE = re.compile(rb"SeaBIOS \(version")
HALTED = re.compile(rb"reboot: System halted")
PROBE_OK = "bproc-probe: ok"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KERNEL_TROUBLE = re.compile(r"(WARNING: CPU|BUG: |Oops|Kernel panic|"
                            r"kmemleak: .* new suspected|UBSAN:|"
                            r"possible recursive locking|circular locking)")


def say(msg):
    print("harness: " + msg, file=sys.stderr, flush=True)


class HarnessError(Exception):
    pass


def tail(path, n=25):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 65536))
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return "    (no console log)"
    data = ANSI.sub("", data)
    lines = [l.rstrip("\r") for l in data.splitlines() if l.strip()]
    if not lines:
        return "    (console log is empty)"
    return "\n".join("    | " + l for l in lines[-n:])


def pdeathsig():
    """Child set-up: die with the harness, keep out of terminal signals."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    os.setpgid(0, 0)


def pdeathsig_fg():
    """The same for a QEMU that owns the terminal (stays in our group)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def run(cmd, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if check and r.returncode != 0:
        raise HarnessError("%s failed: %s" % (" ".join(cmd), r.stdout.strip()))
    return r


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def qmp(path, command, arguments=None, timeout=10):
    """One QMP command over the VM's QMP socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        f = s.makefile("rw")
        f.readline()  # greeting
        f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
        f.flush()
        f.readline()
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        f.write(json.dumps(msg) + "\n")
        f.flush()
        while True:
            reply = json.loads(f.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise HarnessError("QMP %s: %s" % (command,
                                                   reply["error"]["desc"]))
    finally:
        s.close()


def probe_accel(kernel, initrd, logdir):
    """KVM if a guest really runs under it here, else TCG (cached)."""
    forced = os.environ.get("BPROC_ACCEL")
    if forced:
        if forced not in ("kvm", "tcg"):
            raise HarnessError("BPROC_ACCEL must be kvm or tcg, not %r" % forced)
        return forced, "forced by BPROC_ACCEL"
    if not os.path.exists("/dev/kvm"):
        return "tcg", "no /dev/kvm"
    ver = run([QEMU, "--version"]).stdout.splitlines()[0]
    key = "%s|%s" % (ver, os.uname().release)
    cfile = os.path.join(CACHE, "accel-probe")
    try:
        with open(cfile) as f:
            ckey, result, why = f.read().rstrip("\n").split("\t")
        if ckey == key:
            return result, why + " (cached in %s)" % cfile
    except (OSError, ValueError):
        pass
    log = os.path.join(logdir, "kvm-probe.log")
    cmd = [QEMU, "-accel", "kvm", "-m", "256", "-display", "none",
           "-vga", "none", "-monitor", "none", "-no-reboot", "-nodefaults",
           "-serial", "file:" + log, "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyS0 panic=-1 bproc.probe"]
    t0 = time.time()
    limit = 30
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, preexec_fn=pdeathsig)
    try:
        p.wait(limit)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    took = time.time() - t0
    ok = False
    try:
        with open(log, errors="replace") as f:
            ok = PROBE_OK in f.read()
    except OSError:
        pass
    if ok:
        result, why = "kvm", "KVM probe booted in %.1fs" % took
    else:
        result, why = "tcg", "KVM probe did not boot within %ds" % limit
    os.makedirs(CACHE, exist_ok=True)
    with open(cfile, "w") as f:
        f.write("%s\t%s\t%s\n" % (key, result, why))
    return result, why


class VM:
    def __init__(self, cluster, name, mac, tap, mem):
        self.c = cluster
        self.name = name
        self.mac = mac
        self.tap = tap
        self.mem = mem
        self.proc = None
        self.console = os.path.join(cluster.dir, name + ".log")
        self.qmp = os.path.join(cluster.sockdir, name + ".qmp")
        self.link = True
        self.started = 0.0
        self.boot_offset = 0
        self.booted = False
        self.boot_failed = None
        self.killed = False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def base_cmd(self):
        return ["ip", "netns", "exec", self.c.netns, QEMU,
                "-accel", self.c.accel, "-m", str(self.mem), "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-vga", "none", "-monitor", "none",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp,
                "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no"
                % self.tap]

    def spawn(self, cmd, stdio=False):
        if self.c.args.verbose:
            say("%s: %s" % (self.name, " ".join(cmd)))
        with open(self.console, "a") as f:
            f.write("\n===== harness: %s powered on at %s =====\n"
                    % (self.name, time.strftime("%H:%M:%S")))
            self.boot_offset = f.tell()
        kw = {}
        if not stdio:
            kw = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                      stderr=open(self.console + ".qemu", "a"))
        self.proc = subprocess.Popen(
            cmd, preexec_fn=pdeathsig_fg if stdio else pdeathsig, **kw)
        self.started = time.time()
        self.booted = False
        self.boot_failed = None
        self.killed = False
        self.link = True

    def kill(self):
        if self.running():
            self.killed = True
            self.proc.kill()
            self.proc.wait()
            with open(self.console, "a") as f:
                f.write("\n===== harness: %s killed at %s =====\n"
                        % (self.name, time.strftime("%H:%M:%S")))

    def set_link(self, up):
        if not self.running():
            raise HarnessError("%s is not running" % self.name)
        qmp(self.qmp, "set_link", {"name": "nic0", "up": up})
        self.link = up


class Node(VM):
    def __init__(self, cluster, index, boot):
        super().__init__(cluster, "node%d" % index,
                         "52:54:00:42:01:%02x" % index, "tap%d" % index,
                         cluster.args.node_mem)
        self.index = index
        self.boot = boot
        self.addr = "%s.%d" % (SUBNET, 100 + index)
        # Virtual nodes (bproc.vnodes): (node number, MAC) of each; nodeinit
        # gives vnode j the VM's MAC with byte 2 XORed with j.
        k = cluster.args.vnodes
        first = cluster.args.nodes + index * k
        self.vnodes = [(first + j - 1, "52:54:%02x:42:01:%02x" % (j, index))
                       for j in range(1, k + 1)]
        # the console: logged to self.console, typed into over this socket
        self.consock = os.path.join(cluster.sockdir, self.name + ".con")
        # What the node is, as far as its console and its QEMU tell (see
        # check_boot): off, booting, up, halted or stopped.
        self.state = "off"
        self.after_reset = False    # this boot follows a guest reset
        self.mark = 0               # console offset: resets are looked for after it

    def start(self):
        # Unlike the master's (-no-reboot), a node VM's reboot resets it
        # (it PXE-boots again and comes back) and its power-off ends QEMU;
        # a halt leaves QEMU running with the guest stopped.
        cmd = self.base_cmd() + [
            "-action", "reboot=reset,shutdown=poweroff",
            "-boot", "n",
            "-device", "virtio-net-pci,id=nic0,netdev=n0,mac=%s,bootindex=1"
            % self.mac,
            # SeaBIOS mirrors its and iPXE's screen to COM1 (0x3f8)
            "-fw_cfg", "name=etc/sercon-port,file=%s" % self.c.sercon,
            "-chardev", "socket,id=con,path=%s,server=on,wait=off,"
            "logfile=%s,logappend=on" % (self.consock, self.console),
            "-serial", "chardev:con"]
        self.spawn(cmd)
        self.state = "booting"
        self.after_reset = False
        self.mark = self.boot_offset

    def console_type(self, line):
        """Type @line into the node's console (its bproc.shell)."""
        if not self.running():
            raise HarnessError("%s is not running" % self.name)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(5)
            s.connect(self.consock)
            s.sendall(line.encode() + b"\n")
            time.sleep(0.2)
        finally:
            s.close()

    def read_console(self, offset):
        try:
            with open(self.console, "rb") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return b""

    def check_boot(self):
        """Follow the node from its console log and its QEMU.

        booting (from a power-on or a guest reset) -> up once every bpslave
        of the VM has connected; up -> booting again when its firmware
        starts over (a guest reset: reboot, panic), -> halted on the
        kernel's "System halted"; any -> stopped when QEMU is gone (guest
        power-off, kill). None of that after a boot is a failure.
        boot_failed: a boot that did not finish within --node-timeout, or
        a QEMU that exited by itself before the first boot of its power-on.
        """
        if self.boot_failed or self.state in ("off", "stopped"):
            return
        if not self.running():
            was, self.state, self.booted = self.state, "stopped", False
            if was == "booting" and not self.killed and not self.after_reset:
                self.boot_failed = ("%s: its VM exited (status %s) before it "
                                    "booted" % (self.name, self.proc.returncode))
                say("error: %s; last console lines (%s):\n%s" %
                    (self.boot_failed, self.console, tail(self.console)))
            elif not self.killed:
                say("%s powered off (its VM exited, status %s)"
                    % (self.name, self.proc.returncode))
            return
        if self.state in ("up", "halted"):
            data = self.read_console(self.mark)
            m = FIRMWARE.search(data)
            if not m:
                if self.state == "up" and HALTED.search(data):
                    self.state, self.booted = "halted", False
                    say("%s halted (its VM stays on; kill and start it to "
                        "boot it again)" % self.name)
                # look again from near the end: a line may be half written
                self.mark += max(0, len(data) - 256)
                return
            self.state, self.booted, self.after_reset = "booting", False, True
            self.boot_offset = self.mark + m.start()
            self.started = time.time()
            say("%s reset by its guest: it PXE-boots again" % self.name)
        data = self.read_console(self.boot_offset)
        found = {}
        for m in NODE_BOOTED.finditer(data):
            found.setdefault(int(m.group(1)), m.end())
        want = set([self.index] + [n for n, _ in self.vnodes])
        if want <= set(found):
            self.state, self.booted = "up", True
            self.mark = self.boot_offset + max(found[n] for n in want)
            say("%s booted in %.0fs (%s boot%s)%s" %
                (self.name, time.time() - self.started, self.boot,
                 ", after its reset" if self.after_reset else "",
                 ", %d virtual nodes up" % len(self.vnodes)
                 if self.vnodes else ""))
            return
        if time.time() - self.started > self.c.args.node_timeout:
            missing = sorted(want - set(found))
            self.boot_failed = ("%s did not boot within %ds%s (bpslave never "
                                "connected as node %s)"
                                % (self.name, self.c.args.node_timeout,
                                   " of its reset" if self.after_reset else "",
                                   ",".join(str(n) for n in missing[:8]) +
                                   ("..." if len(missing) > 8 else "")))
            say("%s: %s; last console lines (%s):\n%s" %
                ("warning" if self.after_reset else "error", self.boot_failed,
                 self.console, tail(self.console)))


class Master(VM):
    def __init__(self, cluster):
        super().__init__(cluster, "master", MASTER_MAC, "tapm",
                         cluster.args.master_mem)

    def start(self, kernel, append, interactive):
        if interactive:
            con = ["-chardev", "stdio,id=con,signal=off,logfile=%s,logappend=on"
                   % self.console]
        else:
            con = ["-chardev", "file,id=con,path=%s,append=on" % self.console]
        cmd = self.base_cmd() + con + [
            "-serial", "chardev:con", "-no-reboot",
            "-kernel", kernel, "-append", append,
            "-device", "virtio-net-pci,id=nic0,netdev=n0,mac=%s" % self.mac,
            "-virtfs", "local,path=/,mount_tag=bprocroot,security_model=none,"
            "readonly=on,multidevs=remap",
            "-device", "virtio-rng-pci",
            "-device", "virtio-serial-pci",
            "-chardev", "socket,id=ctl,path=%s,server=on,wait=off"
            % self.c.ctl_sock,
            "-device", "virtserialport,chardev=ctl,name=bproc.ctl",
            "-chardev", "socket,id=out,path=%s,server=on,wait=off"
            % self.c.out_sock,
            "-device", "virtserialport,chardev=out,name=bproc.out"]
        self.spawn(cmd, stdio=interactive)


def node_name(cluster, word):
    m = re.fullmatch(r"(?:node|n)?(\d+)", word or "")
    if not m or int(m.group(1)) >= len(cluster.nodes):
        raise HarnessError("no node %r in this run (have %d nodes)"
                           % (word, len(cluster.nodes)))
    return cluster.nodes[int(m.group(1))]


class Cluster:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.dir)
        self.sockdir = None
        self.netns = "bproc-%d" % os.getpid()
        self.nodes = []
        self.master = None
        self.accel = None
        self.exit_status = None
        self.ready = threading.Event()
        self.done = threading.Event()
        self.failure = None
        self.lock = threading.Lock()
        self.out_log = None

    # --- network namespace ------------------------------------------------
    def clean_stale(self):
        for line in run(["ip", "netns", "list"]).stdout.splitlines():
            m = re.match(r"(bproc-(\d+))\b", line)
            if not m or pid_alive(int(m.group(2))):
                continue
            ns = m.group(1)
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for p in pids:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            run(["ip", "netns", "del", ns], check=False)
            say("removed stale namespace %s of a dead run" % ns)

    def make_net(self):
        ns = self.netns
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "link", "add", "br0", "type", "bridge"])
        run(["ip", "-n", ns, "link", "set", "br0", "up"])
        for vm in [self.master] + self.nodes:
            run(["ip", "-n", ns, "tuntap", "add", "dev", vm.tap, "mode", "tap"])
            run(["ip", "-n", ns, "link", "set", vm.tap, "master", "br0"])
            run(["ip", "-n", ns, "link", "set", vm.tap, "up"])

    def cleanup(self):
        for vm in self.nodes + ([self.master] if self.master else []):
            try:
                vm.kill()
            except Exception as e:  # keep cleaning up
                say("cleanup: %s: %s" % (vm.name, e))
        r = run(["ip", "netns", "pids", self.netns], check=False)
        for p in r.stdout.split():
            try:
                os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        run(["ip", "netns", "del", self.netns], check=False)
        if self.sockdir:
            shutil.rmtree(self.sockdir, ignore_errors=True)

    # --- control channel --------------------------------------------------
    def connect(self, path, deadline):
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.time() > deadline or not self.master.running():
                    raise HarnessError("cannot connect to %s" % path)
                time.sleep(0.1)

    def ctl_request(self, line):
        words = line.split()
        if not words:
            return "err empty request"
        cmd, rest = words[0], words[1:]
        try:
            if cmd == "ready":
                self.ready.set()
                return "ok"
            if cmd == "exit" and len(rest) == 1:
                self.exit_status = int(rest[0])
                return "ok"
            if cmd == "nodes":
                return "ok " + " ".join(n.name for n in self.nodes)
            if cmd == "wait-nodes":
                return self.wait_nodes(self.nodes)
            if cmd == "wait-node" and len(rest) == 1:
                return self.wait_nodes([node_name(self, rest[0])])
            if cmd in ("kill", "start", "state") and len(rest) == 1:
                n = node_name(self, rest[0])
                with self.lock:     # not while check_boot looks at it
                    return self.power_request(cmd, n)
            if cmd == "node-sh" and len(rest) >= 2:
                n = node_name(self, rest[0])
                cmdline = line.split(None, 2)[2]
                n.console_type(cmdline)
                say("%s: typed on its console on request of the master: %s"
                    % (n.name, cmdline))
                return "ok"
            if cmd == "link" and len(rest) == 2 and rest[1] in ("up", "down"):
                n = node_name(self, rest[0])
                n.set_link(rest[1] == "up")
                say("%s link %s on request of the master" % (n.name, rest[1]))
                return "ok"
            return "err unknown request %r" % line
        except (HarnessError, ValueError, OSError) as e:
            return "err %s" % e

    def power_request(self, cmd, n):
        if cmd == "kill":
            n.kill()
            say("%s killed on request of the master" % n.name)
        elif cmd == "start":
            if n.running():
                return "err %s is already running%s" % (
                    n.name, " (halted: kill it first)"
                    if n.state == "halted" else "")
            n.start()
            say("%s powered on on request of the master" % n.name)
        else:
            return "ok %s link %s" % ("running" if n.running() else "stopped",
                                      "up" if n.link else "down")
        return "ok"

    def wait_nodes(self, nodes):
        """Until every one of @nodes is up. A boot that fails fails the run;
        a node that is stopped or halted is only an error of the request."""
        while True:
            with self.lock:
                for n in nodes:
                    n.check_boot()
                failed = [n for n in nodes if n.boot_failed]
                if failed:
                    msg = "; ".join(n.boot_failed for n in failed)
                    if self.failure is None:
                        self.failure = msg
                    return "err " + msg
                down = [n for n in nodes if n.state in ("stopped", "halted")]
                if down:
                    return "err " + "; ".join(
                        "%s is %s (%s)" % (n.name, n.state,
                                           "start it" if n.state == "stopped"
                                           else "kill and start it")
                        for n in down)
                if all(n.booted for n in nodes):
                    return "ok"
            time.sleep(0.5)

    def ctl_thread(self, sock):
        buf = b""
        try:
            while not self.done.is_set():
                r, _, _ = select.select([sock], [], [], 0.5)
                if not r:
                    continue
                data = sock.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.decode("utf-8", "replace").strip()
                    if self.args.verbose:
                        say("ctl <- %s" % line)
                    # long requests (wait-nodes) must not block others
                    # from being read, but replies go in request order,
                    # and bproc-vmctl serialises its clients anyway.
                    reply = self.ctl_request(line)
                    sock.sendall((reply + "\n").encode())
        except OSError:
            return

    def out_thread(self, sock):
        with open(os.path.join(self.dir, "output.log"), "wb") as log:
            try:
                while not self.done.is_set():
                    r, _, _ = select.select([sock], [], [], 0.5)
                    if not r:
                        continue
                    data = sock.recv(65536)
                    if not data:
                        return
                    log.write(data)
                    log.flush()
                    if not self.args.quiet_output:
                        sys.stdout.buffer.write(data)
                        sys.stdout.flush()
            except OSError:
                return

    # --- the run ----------------------------------------------------------
    def write_config(self):
        n = len(self.nodes)
        lines = ["# generated by harness/cluster.py for this run",
                 "interface eth0 %s.1/24" % SUBNET,
                 "port 2223"]
        total = n * (1 + self.args.vnodes)
        if n:
            lines.append("iprange 0 %s %s.%d" % (self.nodes[0].addr, SUBNET,
                                                 100 + total - 1))
        for node in self.nodes:
            lines.append("node %d %s %s" % (node.index, node.mac, node.boot))
        for node in self.nodes:
            for num, mac in node.vnodes:
                lines.append("node %d %s" % (num, mac))
        lines += ["pinginterval %d" % self.args.ping_interval,
                  "pingtimeout %d" % self.args.ping_timeout,
                  "bootimage %s" % os.path.join(TOP, "build", "boot"),
                  "bootdir /run/bproc/boot",
                  # a shell on each node's console, for bproc-vmctl node-sh
                  " ".join(["bootargs", "bproc.shell"] +
                           (["bproc.vnodes=%d" % self.args.vnodes]
                            if self.args.vnodes else []) +
                           self.args.node_append)]
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def check_consoles(self):
        """No VM's kernel may have warned: every console is read."""
        bad = []
        for vm in [self.master] + self.nodes:
            try:
                with open(vm.console, errors="replace") as f:
                    for line in f:
                        if KERNEL_TROUBLE.search(line):
                            bad.append("%s: %s" % (vm.name, line.strip()))
            except OSError:
                continue
        if bad:
            raise HarnessError("kernel trouble on a console:\n    "
                               + "\n    ".join(bad[:20]))

    def main(self):
        a = self.args
        kernel = a.kernel
        initrd = os.path.join(TOP, "build", "boot", "initramfs.cpio.gz")
        for f in [kernel] + ([initrd] if a.nodes else []):
            if not os.path.exists(f):
                raise HarnessError("%s missing: build first (make all)" % f)
        for hidden in ("/tmp", "/run", "/var/tmp", "/dev", "/proc", "/sys"):
            if self.dir == hidden or self.dir.startswith(hidden + "/"):
                raise HarnessError("--dir %s: the master VM mounts its own %s; "
                                   "use a directory it can see" % (self.dir,
                                                                   hidden))
        if os.path.isdir(self.dir) and os.listdir(self.dir):
            if not os.path.exists(os.path.join(self.dir, ".bproc-run")):
                raise HarnessError("--dir %s is not empty and not a run "
                                   "directory; refusing to empty it" % self.dir)
            shutil.rmtree(self.dir)
        os.makedirs(self.dir, exist_ok=True)
        open(os.path.join(self.dir, ".bproc-run"), "w").close()
        self.sockdir = "/tmp/bproc-harness-%d" % os.getpid()
        os.makedirs(self.sockdir)
        self.ctl_sock = os.path.join(self.sockdir, "ctl.sock")
        self.sercon = os.path.join(self.sockdir, "sercon-port")
        with open(self.sercon, "wb") as f:
            f.write((0x3f8).to_bytes(2, "little"))
        self.out_sock = os.path.join(self.sockdir, "out.sock")

        if os.path.exists(initrd):
            self.accel, why = probe_accel(kernel, initrd, self.dir)
        else:
            self.accel, why = "tcg", "no node image for a KVM probe"
        say("accelerator: %s (%s)" % (self.accel, why))

        self.clean_stale()
        self.master = Master(self)
        for i in range(a.nodes):
            boot = "tftp" if i < a.tftp_nodes else "http"
            self.nodes.append(Node(self, i, boot))
        self.write_config()
        self.make_net()
        say("network namespace %s: bridge br0, %d taps; logs in %s"
            % (self.netns, 1 + a.nodes, self.dir))

        payload = ""
        if a.run:
            payload = os.path.join(self.dir, "payload")
            shutil.copy(a.run, payload)
            os.chmod(payload, 0o755)
            if a.env:
                # the payload runs with these in its environment
                script = payload + ".script"
                os.rename(payload, script)
                with open(payload, "w") as f:
                    f.write("#!/bin/sh\n")
                    for name, value in a.env:
                        f.write("export %s=%s\n" % (name, shlex.quote(value)))
                    f.write('exec %s "$@"\n' % shlex.quote(script))
                os.chmod(payload, 0o755)
        append = ["console=ttyS0", "panic=-1", "panic_on_warn=1",
                  "root=bprocroot", "rootfstype=9p",
                  "rootflags=trans=virtio,version=9p2000.L,cache=loose,"
                  "msize=262144", "ro", "init=%s/harness/master-init" % TOP,
                  "bproc.top=%s" % TOP, "bproc.rundir=%s" % self.dir,
                  "bproc.nodes=%d" % a.nodes,
                  "bproc.mode=%s" % ("shell" if a.interactive else "run")]
        if payload:
            append.append("bproc.payload=%s" % payload)
        if a.no_boot_service:
            append.append("bproc.noboot=1")
        append += a.append
        t0 = time.time()
        interactive = a.interactive and sys.stdin.isatty()
        self.master.start(kernel, " ".join(append), interactive)
        deadline = time.time() + 30
        ctl = self.connect(self.ctl_sock, deadline)
        out = self.connect(self.out_sock, deadline)
        threading.Thread(target=self.ctl_thread, args=(ctl,),
                         daemon=True).start()
        threading.Thread(target=self.out_thread, args=(out,),
                         daemon=True).start()

        while not self.ready.wait(0.5):
            if not self.master.running():
                raise HarnessError("master VM exited before it was ready; "
                                   "last console lines (%s):\n%s"
                                   % (self.master.console,
                                      tail(self.master.console)))
            if time.time() - t0 > a.master_timeout:
                raise HarnessError("master did not come up within %ds; last "
                                   "console lines (%s):\n%s"
                                   % (a.master_timeout, self.master.console,
                                      tail(self.master.console)))
        say("master up in %.0fs" % (time.time() - t0))
        for n in self.nodes:
            n.start()
        if self.nodes:
            say("%d nodes powering on (%s)" % (
                len(self.nodes), ", ".join("%s: %s boot" % (n.name, n.boot)
                                           for n in self.nodes)))

        t1 = time.time()
        while self.master.running():
            time.sleep(0.5)
            with self.lock:
                for n in self.nodes:
                    n.check_boot()
                # a boot after a guest reset fails only a wait for it
                failed = [n for n in self.nodes
                          if n.boot_failed and not n.after_reset]
            if failed:
                self.failure = "; ".join(n.boot_failed for n in failed)
                break
            if not interactive and time.time() - t1 > a.timeout:
                raise HarnessError("the run did not finish within %ds; master "
                                   "console (%s):\n%s"
                                   % (a.timeout, self.master.console,
                                      tail(self.master.console)))
        # let the master finish its poweroff, then stop the readers
        if self.master.running() and self.failure:
            time.sleep(2)
        try:
            self.master.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.3)
        self.done.set()
        if self.failure:
            raise HarnessError(self.failure)
        self.check_consoles()
        if self.exit_status is None:
            raise HarnessError("master VM stopped without reporting an exit "
                               "status; last console lines (%s):\n%s"
                               % (self.master.console,
                                  tail(self.master.console)))
        say("master reported exit status %d after %.0fs"
            % (self.exit_status, time.time() - t0))
        return self.exit_status


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="cluster.py", description="Boot a bproc cluster in QEMU.")
    p.add_argument("--nodes", type=int, default=3,
                   help="node VMs to PXE-boot (default 3)")
    p.add_argument("--tftp-nodes", type=int, default=1,
                   help="how many of them boot their image over TFTP; "
                   "the others use HTTP (default 1)")
    p.add_argument("--run", metavar="SCRIPT",
                   help="run SCRIPT on the master as root, stream its "
                   "output, exit with its status")
    p.add_argument("--interactive", action="store_true",
                   help="leave an interactive shell on the master console")
    p.add_argument("--kernel", default=os.path.join(
        CACHE, "kbuild-normal", "arch", "x86", "boot", "bzImage"))
    p.add_argument("--node-append", action="append", default=[],
                   metavar="WORD",
                   help="add WORD to every node kernel's command line "
                   "(the config's bootargs); may be repeated")
    p.add_argument("--append", action="append", default=[],
                   help="extra master kernel command line words")
    p.add_argument("--no-boot-service", action="store_true",
                   help="leave the master's boot service off (failure test)")
    p.add_argument("--dir", default=os.path.join(TOP, "build", "cluster"),
                   help="run directory for logs and config (default "
                   "build/cluster; emptied first)")
    p.add_argument("--master-mem", type=int, default=1024)
    p.add_argument("--vnodes", type=int, default=0, metavar="K",
                   help="virtual nodes per node VM (nodeinit bproc.vnodes): "
                   "node VM i's are nodes NODES+i*K .. NODES+i*K+K-1")
    p.add_argument("--node-mem", type=int, default=None,
                   help="MiB per node VM (default 384, and 32 more per "
                   "virtual node)")
    p.add_argument("--master-timeout", type=int,
                   default=int(os.environ.get("BPROC_MASTER_TIMEOUT", 300)))
    p.add_argument("--node-timeout", type=int,
                   default=int(os.environ.get("BPROC_NODE_TIMEOUT", 300)),
                   help="seconds a node may take to PXE-boot (default 300)")
    p.add_argument("--timeout", type=int,
                   default=int(os.environ.get("BPROC_RUN_TIMEOUT", 2400)),
                   help="seconds the whole run may take (default 2400)")
    p.add_argument("--ping-interval", type=int, default=5)
    p.add_argument("--ping-timeout", type=int, default=30)
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                   help="set NAME in the --run script's environment; "
                   "may be repeated")
    p.add_argument("--quiet-output", action="store_true",
                   help="keep the payload output in output.log only")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args(argv)
    if a.nodes < 0 or a.nodes > 60:
        p.error("--nodes must be 0..60")
    if a.vnodes < 0 or a.vnodes > 128:
        p.error("--vnodes must be 0..128")
    if a.nodes * (1 + a.vnodes) > 154:
        p.error("--nodes %d with --vnodes %d: %d nodes do not fit in %s.100-254"
                % (a.nodes, a.vnodes, a.nodes * (1 + a.vnodes), SUBNET))
    if a.node_mem is None:
        a.node_mem = 384 + 32 * a.vnodes
    if a.run and not os.path.isfile(a.run):
        p.error("--run: %s: no such file" % a.run)
    env = []
    for e in a.env:
        name, eq, value = e.partition("=")
        if not eq or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            p.error("--env %r: not NAME=VALUE" % e)
        env.append((name, value))
    if env and not a.run:
        p.error("--env goes with --run")
    a.env = env
    return a


def main(argv):
    args = parse_args(argv)
    if os.geteuid() != 0:
        say("error: must run as root (network namespaces, taps)")
        return 1

    def on_signal(signum, frame):
        raise HarnessError("interrupted by signal %d" % signum)
    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)

    c = Cluster(args)
    try:
        return c.main()
    except HarnessError as e:
        say("error: %s" % e)
        return 1
    finally:
        c.done.set()
        c.cleanup()
        left = run(["ip", "netns", "list"], check=False).stdout
        if c.netns in left:
            say("warning: namespace %s could not be removed" % c.netns)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
