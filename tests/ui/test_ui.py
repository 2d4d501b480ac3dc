"""The web UI in real Chromium (Debian's, driven by playwright-core) against
a polytrace that serves ui/dist and stores real traces from the polyglot
demo: ui/tests/e2e.mjs walks search -> trace -> expand/collapse -> span
details -> a link -> service map -> health -> compare -> theme, waiting on
conditions with deadlines, and saves screenshots in ui/test-results/.

Needs scripts/build-ui.sh and demo/scripts/install.sh to have run
(scripts/test.sh does both)."""
import os
import subprocess

import pytest

from conftest import ROOT
from demo_env import EXPECT, Polytrace, demo  # noqa: F401 (fixture)

UI = ROOT / "ui"


@pytest.fixture(scope="module")
def polytrace(tmp_path_factory):
    assert (UI / "dist" / "index.html").exists(), "the UI is not built: scripts/build-ui.sh"
    p = Polytrace(tmp_path_factory.mktemp("polytrace-ui"), ui_directory=UI / "dist")
    yield p
    assert p.collector.stop() == 0


def test_ui_walkthrough_in_chromium(polytrace, demo):
    d = demo()
    traces = []
    for i, user in enumerate(["alice", "bob", "carol", "dave", "erin", "alice"]):
        status, body, _ = d.checkout(user, 20 + 7 * i)
        assert status == 200, body
        traces.append(body["trace_id"])
    status, declined, _ = d.checkout("bob", 5000)  # an error trace for the list and the map
    assert status == 402, declined
    for trace_id in traces[:2]:
        code, out = polytrace.verify("--trace", trace_id, "--expect", str(EXPECT), "--wait", "60s")
        assert code == 0, out
    env = dict(os.environ, POLYTRACE_URL=polytrace.endpoint, POLYTRACE_TRACE=traces[0],
               POLYTRACE_TRACE_B=traces[1], POLYTRACE_TRACE_ERROR=declined["trace_id"],
               POLYTRACE_OTLP=f"http://127.0.0.1:{polytrace.ports['http']}")
    run = subprocess.run(["node", str(UI / "tests" / "e2e.mjs")], cwd=UI, env=env,
                         capture_output=True, text=True, timeout=600)
    print(run.stdout[-4000:])
    assert run.returncode == 0, f"e2e failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    shots = list((UI / "test-results").glob("*.png"))
    assert len(shots) >= 6, f"expected the walkthrough's screenshots, found {shots}"
