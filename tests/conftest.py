"""Shared fixtures: free ports, a collector process that is always stopped,
and polling helpers with deadlines (no fixed sleeps)."""
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))


def polytrace_bin():
    return os.environ.get("POLYTRACE_BIN", str(ROOT / "build" / "release" / "src" / "polytrace"))


_PORTS_GIVEN = set()


def free_port():
    """A port free now and not handed out before in this run: the kernel may
    offer the same free port twice in a row, and a config given it for two
    listeners fails to start ("Address already in use"; CI saw it once)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _PORTS_GIVEN:
            _PORTS_GIVEN.add(port)
            return port


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Collector:
    """A polytrace (or otelcol) process running one config."""

    def __init__(self, binary, config_text, workdir, ports):
        self.config = workdir / f"config-{ports[0]}.yaml"
        self.config.write_text(config_text)
        self.log = workdir / f"collector-{ports[0]}.log"
        self.ports = ports
        self.proc = subprocess.Popen([binary, "--config", str(self.config)],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        try:
            for p in ports:
                wait_until(lambda p=p: port_open(p) or self.proc.poll() is not None, 30,
                           f"port {p} to accept connections")
            if self.proc.poll() is not None:
                raise AssertionError(f"collector exited with {self.proc.returncode}:\n"
                                     f"{self.log.read_text()}")
        except Exception:
            self.kill()
            raise

    def stop(self, timeout=15):
        """SIGTERM and the exit code (a clean shutdown is 0)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"collector did not stop within {timeout}s")
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def logs(self):
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_collector(tmp_path):
    started = []

    def start(config_text, ports, binary=None):
        c = Collector(binary or polytrace_bin(), config_text, tmp_path, ports)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()
