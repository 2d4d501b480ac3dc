"""TLS, mutual TLS and authentication with real clients (issue #12, section 4).

Certificates are made at test time with the openssl command line. The
official Python and Go SDKs send over mutual TLS with a bearer token (their
own OTEL_EXPORTER_OTLP_* settings); curl speaks to the receiver, the query
API (basic auth, as Grafana's data sources send it) and the telemetry
endpoint; one polytrace forwards to another over TLS with a bearer token.
Each refusal (wrong CA, expired certificate, no client certificate, wrong
token) must fail with a clear error on both sides and deliver nothing."""
import base64
import json
import os
import socket
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, free_port, wait_until
from canonical import diff, spans_from_otlp_json_lines

SDK = ROOT / "tests" / "interop" / "sdk"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
TOKEN = "interop-token-7f3a"

CA_CONFIG = """
[ca]
default_ca = local
[local]
database = {d}/index.txt
new_certs_dir = {d}
serial = {d}/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
"""


def openssl(d, *args):
    subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)


def make_ca(d, name):
    openssl(d, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "30",
            "-subj", f"/CN={name}")


def issue(d, ca, name, usage, validity):
    """A leaf certificate signed by `ca`; validity: ["-days", "30"] or start/end dates."""
    ext = d / f"{name}.ext"
    ext.write_text(f"basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n"
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl(d, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", "/CN=localhost")
    openssl(d, "ca", "-batch", "-config", "ca.cnf", "-cert", f"{ca}.crt", "-keyfile", f"{ca}.key",
            "-in", f"{name}.csr", "-out", f"{name}.crt", "-notext", "-extfile", str(ext), *validity)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    (d / "ca.cnf").write_text(CA_CONFIG.format(d=d))
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    issue(d, "ca", "server", "serverAuth", ["-days", "30"])
    issue(d, "ca", "client", "clientAuth", ["-days", "30"])
    issue(d, "ca", "expired", "serverAuth", ["-startdate", "20240101000000Z",
                                              "-enddate", "20240102000000Z"])
    return d


def receiver_tls(pki, cert="server"):
    return (f'tls: {{cert_file: "{pki}/{cert}.crt", key_file: "{pki}/{cert}.key", '
            f'client_ca_file: "{pki}/ca.crt"}}')


PROTECTED = """
extensions:
  bearertokenauth/server: {{token: "{token}"}}
  basicauth/ui: {{htpasswd: {{inline: "grafana:grafana-pass"}}}}
  polytrace_query:
    endpoint: "127.0.0.1:{query}"
    tls: {{cert_file: "{pki}/server.crt", key_file: "{pki}/server.key"}}
    auth: {{authenticator: basicauth/ui}}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "127.0.0.1:{grpc}"
        {tls}
        auth: {{authenticator: bearertokenauth/server}}
      http:
        endpoint: "127.0.0.1:{http}"
        {tls}
        auth: {{authenticator: bearertokenauth/server}}
exporters:
  file: {{path: "{out}"}}
  polytrace_store: {{directory: "{data}"}}
service:
  extensions: [bearertokenauth/server, basicauth/ui, polytrace_query]
  pipelines:
    traces: {{receivers: [otlp], exporters: [file, polytrace_store]}}
  telemetry:
    metrics:
      address: "127.0.0.1:{metrics}"
      tls: {{cert_file: "{pki}/server.crt", key_file: "{pki}/server.key"}}
"""


@pytest.fixture(scope="module")
def protected(pki, tmp_path_factory):
    """A polytrace whose every port needs TLS and credentials."""
    from conftest import Collector, polytrace_bin
    workdir = tmp_path_factory.mktemp("protected")
    ports = {k: free_port() for k in ("grpc", "http", "query", "metrics")}
    out = workdir / "spans.jsonl"
    c = Collector(polytrace_bin(), PROTECTED.format(
        pki=pki, token=TOKEN, tls=receiver_tls(pki), out=out, data=workdir / "data", **ports),
        workdir, list(ports.values()))
    c.out = out
    c.__dict__.update(ports)
    yield c
    assert c.stop() == 0, c.logs()


def sdk_env(pki, token=TOKEN, ca="ca"):
    env = dict(os.environ)
    # Python's requests lets REQUESTS_CA_BUNDLE (and CURL_CA_BUNDLE) override
    # the CA file the SDK sets on its session: with either exported, the
    # Python HTTP exporter ignores OTEL_EXPORTER_OTLP_CERTIFICATE.
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("CURL_CA_BUNDLE", None)
    env.update({
        "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki / f"{ca}.crt"),
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE": str(pki / "client.crt"),
        "OTEL_EXPORTER_OTLP_CLIENT_KEY": str(pki / "client.key"),
        "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Bearer%20{token}",
    })
    return env


PROGRAMS = {
    ("python", "grpc"): [PYTHON, str(SDK / "python" / "send_spans.py"), "--protocol", "grpc"],
    ("python", "http/protobuf"): [PYTHON, str(SDK / "python" / "send_spans.py"),
                                  "--protocol", "http/protobuf"],
    ("go", "grpc"): [str(SDK / "go" / "send-spans"), "--protocol", "grpc"],
    ("go", "http/protobuf"): [str(SDK / "go" / "send-spans"), "--protocol", "http/protobuf"],
}


def send(language, protocol, endpoint, env, tmp_path, run_id):
    oracle = tmp_path / f"sent-{run_id}.json"
    cmd = PROGRAMS[(language, protocol)] + ["--endpoint", endpoint, "--run-id", run_id,
                                            "--out", str(oracle)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                            cwd=str(SDK / language))
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    spans = json.loads(oracle.read_text(encoding="utf-8"))["spans"]
    for s in spans:  # some programs write nanoseconds as strings
        s["start"], s["end"] = int(s["start"]), int(s["end"])
        for e in s["events"]:
            e["time"] = int(e["time"])
    return spans


def wait_for_run(out, run_id, expected, timeout=30):
    def arrived():
        got = spans_from_otlp_json_lines(out, run_id) if out.exists() else []
        return got if len(got) >= len(expected) else None
    return wait_until(arrived, timeout, f"{len(expected)} spans of run {run_id}")


@pytest.mark.parametrize("language,protocol", sorted(PROGRAMS))
def test_sdks_send_over_mutual_tls_with_a_bearer_token(protected, pki, tmp_path, language, protocol):
    port = protected.grpc if protocol == "grpc" else protected.http
    run_id = str(uuid.uuid4())
    expected = send(language, protocol, f"https://127.0.0.1:{port}", sdk_env(pki), tmp_path, run_id)
    problems = diff(expected, wait_for_run(protected.out, run_id, expected), "spans")
    assert not problems, "\n".join(problems[:40])


def curl(*args, timeout=20):
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True,
                          text=True, timeout=timeout)


def span_json(run_id):
    now = time.time_ns()
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "curl-client"}},
            {"key": "run.id", "value": {"stringValue": run_id}}]},
        "scopeSpans": [{"spans": [{
            "traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": "curl span",
            "kind": 2, "startTimeUnixNano": str(now - 100_000_000),
            "endTimeUnixNano": str(now)}]}]}]})


def post_with_curl(protected, pki, run_id, *extra):
    return curl("-w", "\n%{http_code}", "-D", "-", "-X", "POST",
                f"https://127.0.0.1:{protected.http}/v1/traces",
                "-H", "Content-Type: application/json", "--data", span_json(run_id), *extra)


def test_curl_needs_the_ca_a_client_certificate_and_the_token(protected, pki):
    certs = ["--cacert", str(pki / "ca.crt"), "--cert", str(pki / "client.crt"),
             "--key", str(pki / "client.key")]
    run_id = str(uuid.uuid4())
    ok = post_with_curl(protected, pki, run_id, *certs, "-H", f"Authorization: Bearer {TOKEN}")
    assert ok.returncode == 0 and ok.stdout.endswith("\n200"), ok.stdout + ok.stderr
    wait_for_run(protected.out, run_id, [None])

    wrong_token = post_with_curl(protected, pki, str(uuid.uuid4()), *certs,
                                 "-H", "Authorization: Bearer guessed")
    assert wrong_token.stdout.endswith("\n401"), wrong_token.stdout
    assert "www-authenticate: bearer" in wrong_token.stdout.lower(), wrong_token.stdout
    assert "scheme or token does not match" in wrong_token.stdout
    assert TOKEN not in wrong_token.stdout and "guessed" not in wrong_token.stdout
    wait_until(lambda: "refused POST /v1/traces from 127.0.0.1: scheme or token does not match"
               in protected.logs(), 10, "the server to log the refused token")
    assert "guessed" not in protected.logs(), "a credential reached the log"

    missing = post_with_curl(protected, pki, str(uuid.uuid4()), *certs)
    assert missing.stdout.endswith("\n401"), missing.stdout

    wrong_ca = post_with_curl(protected, pki, str(uuid.uuid4()), "--cacert",
                              str(pki / "other-ca.crt"), "--cert", str(pki / "client.crt"),
                              "--key", str(pki / "client.key"))
    assert wrong_ca.returncode == 60, wrong_ca.stderr  # curl: peer certificate cannot be authenticated
    assert "unable to get local issuer certificate" in wrong_ca.stderr, wrong_ca.stderr
    wait_until(lambda: "unknown ca" in protected.logs(), 10, "the server to log the unknown CA")

    no_client_cert = post_with_curl(protected, pki, str(uuid.uuid4()),
                                    "--cacert", str(pki / "ca.crt"),
                                    "-H", f"Authorization: Bearer {TOKEN}")
    assert no_client_cert.returncode != 0, no_client_cert.stdout
    assert "certificate required" in no_client_cert.stderr, no_client_cert.stderr

    plaintext = curl("-w", "\n%{http_code}", f"http://127.0.0.1:{protected.http}/v1/traces",
                     "-X", "POST", "--data", "{}")
    assert plaintext.stdout.endswith("\n400") and "speaks TLS" in plaintext.stdout, plaintext.stdout


def test_query_api_and_telemetry_over_tls_with_basic_auth(protected, pki):
    run_id = str(uuid.uuid4())
    certs = ["--cacert", str(pki / "ca.crt"), "--cert", str(pki / "client.crt"),
             "--key", str(pki / "client.key")]
    assert post_with_curl(protected, pki, run_id, *certs, "-H",
                          f"Authorization: Bearer {TOKEN}").stdout.endswith("\n200")
    url = f"https://127.0.0.1:{protected.query}/api/services"
    ca = ["--cacert", str(pki / "ca.crt")]

    def services():
        r = curl(*ca, "-u", "grafana:grafana-pass", url)
        return r.returncode == 0 and "curl-client" in r.stdout and r.stdout
    wait_until(services, 30, "the query API to list the service")
    header = "Authorization: Basic " + base64.b64encode(b"grafana:grafana-pass").decode()
    assert "curl-client" in curl(*ca, "-H", header, url).stdout  # as Grafana sends it

    anonymous = curl(*ca, "-D", "-", "-w", "\n%{http_code}", url)
    assert anonymous.stdout.endswith("\n401"), anonymous.stdout
    assert 'www-authenticate: basic realm=' in anonymous.stdout.lower(), anonymous.stdout
    wrong = curl(*ca, "-u", "grafana:nope", "-w", "\n%{http_code}", url)
    assert wrong.stdout.endswith("\n401"), wrong.stdout
    ui = curl(*ca, "-u", "grafana:grafana-pass", "-w", "\n%{http_code}",
              f"https://127.0.0.1:{protected.query}/")
    assert ui.stdout.endswith("\n200"), ui.stdout[-300:]

    # The CLI takes its CA and credentials from the environment (not argv).
    from conftest import polytrace_bin
    cli = [polytrace_bin(), "traces", "search", "--endpoint",
           f"https://127.0.0.1:{protected.query}", "--service", "curl-client", "--json"]
    env = dict(os.environ, POLYTRACE_CA_FILE=str(pki / "ca.crt"))
    refused = subprocess.run(cli, capture_output=True, text=True, timeout=30, env=env)
    assert refused.returncode != 0 and "401" in refused.stderr, refused.stderr
    assert "POLYTRACE_AUTHORIZATION" in refused.stderr, refused.stderr
    env["POLYTRACE_AUTHORIZATION"] = header.split(": ", 1)[1]
    found = subprocess.run(cli, capture_output=True, text=True, timeout=30, env=env)
    assert found.returncode == 0 and "curl-client" in found.stdout, found.stdout + found.stderr

    metrics = curl(*ca, f"https://127.0.0.1:{protected.metrics}/metrics")
    assert metrics.returncode == 0 and "otelcol_receiver_accepted_spans" in metrics.stdout, \
        metrics.stderr
    assert curl(f"http://127.0.0.1:{protected.metrics}/metrics").stdout.find("speaks TLS") >= 0


EXPIRED = """
receivers:
  otlp:
    protocols:
      http:
        endpoint: "127.0.0.1:{http}"
        tls: {{cert_file: "{pki}/expired.crt", key_file: "{pki}/expired.key"}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def test_an_expired_server_certificate_is_refused_by_sdk_and_curl(start_collector, pki, tmp_path):
    http = free_port()
    out = tmp_path / "expired.jsonl"
    c = start_collector(EXPIRED.format(http=http, pki=pki, out=out), [http])
    r = curl("--cacert", str(pki / "ca.crt"), f"https://127.0.0.1:{http}/v1/traces")
    assert r.returncode == 60 and "certificate has expired" in r.stderr, r.stderr
    env = sdk_env(pki)
    run_id = str(uuid.uuid4())
    cmd = PROGRAMS[("go", "http/protobuf")] + ["--endpoint", f"https://127.0.0.1:{http}",
                                               "--run-id", run_id, "--out", str(tmp_path / "o.json")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert "certificate has expired" in result.stdout + result.stderr, result.stdout + result.stderr
    wait_until(lambda: "certificate expired" in c.logs(), 10, "the server to log the expiry")
    assert not out.exists() or not spans_from_otlp_json_lines(out, run_id)


FORWARDER = """
extensions:
  bearertokenauth/client: {{token: "{token}"}}
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
exporters:
  otlp:
    endpoint: "127.0.0.1:{grpc}"
    tls: {{ca_file: "{pki}/ca.crt", cert_file: "{pki}/client.crt", key_file: "{pki}/client.key"}}
    auth: {{authenticator: bearertokenauth/client}}
    retry_on_failure: {{enabled: false}}
  otlphttp:
    endpoint: "https://127.0.0.1:{target_http}"
    tls: {{ca_file: "{pki}/ca.crt", cert_file: "{pki}/client.crt", key_file: "{pki}/client.key"}}
    auth: {{authenticator: bearertokenauth/client}}
    retry_on_failure: {{enabled: false}}
service:
  extensions: [bearertokenauth/client]
  pipelines:
    traces: {{receivers: [otlp], exporters: [{exporter}]}}
  telemetry: {{metrics: {{level: none}}}}
"""


@pytest.mark.parametrize("exporter", ["otlp", "otlphttp"])
def test_polytrace_forwards_to_polytrace_over_tls_with_a_bearer_token(
        protected, pki, start_collector, tmp_path, exporter):
    front = free_port()
    start_collector(FORWARDER.format(token=TOKEN, http=front, grpc=protected.grpc, pki=pki,
                                     target_http=protected.http, exporter=exporter), [front])
    run_id = str(uuid.uuid4())
    expected = send("python", "http/protobuf", f"http://127.0.0.1:{front}", dict(os.environ),
                    tmp_path, run_id)
    problems = diff(expected, wait_for_run(protected.out, run_id, expected), "spans")
    assert not problems, "\n".join(problems[:40])

    # The same forwarder with a wrong token: refused, said on both sides.
    refusal = "otlp/grpc: refused POST" if exporter == "otlp" else "otlp/http: refused POST"
    refusals_before = protected.logs().count(refusal)
    wrong_front = free_port()
    wrong = start_collector(FORWARDER.format(token="not-the-token", http=wrong_front,
                                             grpc=protected.grpc, pki=pki,
                                             target_http=protected.http, exporter=exporter),
                            [wrong_front])
    run_id = str(uuid.uuid4())
    send("python", "http/protobuf", f"http://127.0.0.1:{wrong_front}", dict(os.environ), tmp_path,
         run_id)
    wait_until(lambda: "scheme or token does not match" in wrong.logs(), 20,
               "the forwarder to log the refusal")
    assert "dropping" in wrong.logs()
    wait_until(lambda: protected.logs().count(refusal) > refusals_before, 10,
               "the receiver to log the refusal")
    assert "not-the-token" not in protected.logs() + wrong.logs(), "a credential reached a log"
    assert not spans_from_otlp_json_lines(protected.out, run_id)


TLS_ONLY = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "127.0.0.1:{grpc}"
        tls: {{cert_file: "{pki}/server.crt", key_file: "{pki}/server.key"}}
      http:
        endpoint: "127.0.0.1:{http}"
        tls: {{cert_file: "{pki}/server.crt", key_file: "{pki}/server.key"}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{level: none}}}}
"""


@pytest.mark.parametrize("language,protocol", sorted(PROGRAMS))
def test_sdks_send_over_server_only_tls(start_collector, pki, tmp_path, language, protocol):
    grpc, http = free_port(), free_port()
    out = tmp_path / "spans.jsonl"
    start_collector(TLS_ONLY.format(grpc=grpc, http=http, pki=pki, out=out), [grpc, http])
    env = sdk_env(pki)
    for key in ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                "OTEL_EXPORTER_OTLP_HEADERS"):
        env.pop(key)
    run_id = str(uuid.uuid4())
    port = grpc if protocol == "grpc" else http
    expected = send(language, protocol, f"https://127.0.0.1:{port}", env, tmp_path, run_id)
    problems = diff(expected, wait_for_run(out, run_id, expected), "spans")
    assert not problems, "\n".join(problems[:40])


TLS13_ONLY = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "127.0.0.1:{grpc}"
        tls: {{cert_file: "{pki}/server.crt", key_file: "{pki}/server.key", min_version: "1.3"}}
exporters:
  file: {{path: "{out}"}}
service:
  pipelines:
    traces: {{receivers: [otlp], exporters: [file]}}
  telemetry: {{metrics: {{level: none}}}}
"""


def handshake(port, pki, version, alpn=("h2",)):
    """(negotiated TLS version, ALPN protocol) or the handshake's error."""
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(pki / "ca.crt"))
    ctx.minimum_version = ctx.maximum_version = version
    ctx.set_alpn_protocols(list(alpn))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                return tls.version(), tls.selected_alpn_protocol()
    except (ssl.SSLError, ConnectionError) as e:
        return type(e).__name__


def test_grpc_receiver_honours_min_version_and_selects_h2(pki, start_collector, tmp_path):
    """grpc++ could not narrow TLS; polytrace's own HTTP/2 over OpenSSL can."""
    import ssl
    grpc_port, out = free_port(), tmp_path / "tls13.jsonl"
    start_collector(TLS13_ONLY.format(grpc=grpc_port, pki=pki, out=out), [grpc_port])
    assert handshake(grpc_port, pki, ssl.TLSVersion.TLSv1_3) == ("TLSv1.3", "h2")
    assert handshake(grpc_port, pki, ssl.TLSVersion.TLSv1_2) == "SSLError"
    run_id = str(uuid.uuid4())
    env = dict(os.environ, OTEL_EXPORTER_OTLP_CERTIFICATE=str(pki / "ca.crt"))
    expected = send("go", "grpc", f"https://127.0.0.1:{grpc_port}", env, tmp_path, run_id)
    problems = diff(expected, wait_for_run(out, run_id, expected), "spans")
    assert not problems, "\n".join(problems[:40])
