"""What the benchmark scripts share: loopback ports, collector processes
(pinned to cores when asked), and what /proc says about a process."""
import pathlib
import signal
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLYTRACE = ROOT / "build" / "release" / "src" / "polytrace"
LOADGEN = ROOT / "build" / "release" / "bench" / "loadgen" / "polytrace-loadgen"

# How the store benchmarks take spans in, the same for polytrace and Jaeger: OTLP on gRPC and
# HTTP, batched (format with grpc, http).
STORE_INTAKE = """
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{grpc}", max_recv_msg_size_mib: 64}}
      http: {{endpoint: "127.0.0.1:{http}"}}
processors:
  batch: {{}}
"""

# Jaeger's Badger storage on disk and its exporter: the end of a Jaeger v2 config, under its
# `extensions:` (format with data).
JAEGER_BADGER = """
  jaeger_storage:
    backends:
      store:
        badger:
          directories: {{keys: "{data}/keys", values: "{data}/values"}}
          ephemeral: false
          ttl: {{spans: 72h}}
exporters:
  jaeger_storage_exporter:
    trace_storage: store
"""

# Jaeger v2 with Badger on disk, as the store benchmarks run it beside polytrace (format with
# data, grpc, http, query, query_grpc).
JAEGER_CONFIG = STORE_INTAKE + """
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [jaeger_storage_exporter]}}
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_query:
    storage: {{traces: store}}
    http: {{endpoint: "127.0.0.1:{query}"}}
    grpc: {{endpoint: "127.0.0.1:{query_grpc}"}}""" + JAEGER_BADGER


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


def start(binary, config, workdir, name, core=None):
    """A collector running `config` (YAML text), its log in workdir/name.log;
    with `core`, pinned to that CPU list (taskset)."""
    path = pathlib.Path(workdir) / f"{name}.yaml"
    path.write_text(config)
    log = open(pathlib.Path(workdir) / f"{name}.log", "w")
    pin = ["taskset", "-c", core] if core is not None else []
    return subprocess.Popen(pin + [str(binary), "--config", str(path)], stdout=log,
                            stderr=subprocess.STDOUT)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tasks(pid):
    return pathlib.Path(f"/proc/{pid}/task").iterdir()


def _task_cpu_ns(task):
    return int((task / "schedstat").read_text().split()[0])


def _task_switches(task):
    return sum(int(line.split()[1]) for line in (task / "status").read_text().splitlines()
               if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")))


def thread_cpu_seconds(pid):
    """CPU time of every live thread, to the nanosecond (/proc/PID/stat counts
    10 ms ticks: too coarse for a collector using 0.5% of a core)."""
    total = 0
    for task in _tasks(pid):
        try:
            total += _task_cpu_ns(task)
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total / 1e9


def cpu_by_thread_name(pid):
    """{thread name: (CPU seconds, context switches)} summed over the live
    threads of each name (polytrace names every thread: otlp/grpc, batch,
    exp:otlphttp, ...), to see where a request's CPU goes."""
    out = {}
    for task in _tasks(pid):
        try:
            name = (task / "comm").read_text().strip()
            cpu, switches = _task_cpu_ns(task) / 1e9, _task_switches(task)
        except FileNotFoundError:
            continue  # a thread that ended meanwhile
        c, s = out.get(name, (0.0, 0))
        out[name] = (c + cpu, s + switches)
    return out


def context_switches(pid):
    """Voluntary and involuntary, summed over every live thread."""
    total = 0
    for task in _tasks(pid):
        try:
            total += _task_switches(task)
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def accepted_spans(metrics_port):
    """otelcol_receiver_accepted_spans summed over its series (both collectors' name)."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                  timeout=5).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("otelcol_receiver_accepted_spans"))


def status_kib(pid, field):
    """A /proc/PID/status figure in KiB (VmRSS, VmHWM, ...)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid):
    """Resets the process's peak RSS (VmHWM := VmRSS)."""
    pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")


def store_query_config(work, receiver, query, metrics):
    """polytrace with its embedded store and query API: `receiver` is the OTLP
    protocols block (e.g. 'grpc: {endpoint: "127.0.0.1:4317"}'); the store
    lives in work/data. Returns the config file's path."""
    config = pathlib.Path(work) / "polytrace.yaml"
    config.write_text(f"""
receivers:
  otlp:
    protocols:
      {receiver}
processors:
  batch: {{}}
exporters:
  polytrace_store: {{directory: "{work}/data"}}
extensions:
  polytrace_query: {{endpoint: "127.0.0.1:{query}"}}
service:
  extensions: [polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [polytrace_store]}}
  telemetry:
    metrics: {{address: "127.0.0.1:{metrics}"}}
""")
    return config


def start_ready(config, metrics, log, timeout=120):
    """Starts polytrace on `config` and waits (with a deadline) until its
    /readyz on the self-metrics port `metrics` answers."""
    proc = subprocess.Popen([str(POLYTRACE), "--config", str(config)], stdout=log, stderr=log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/readyz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"polytrace did not become ready (exit {proc.poll()})")
            time.sleep(0.1)
