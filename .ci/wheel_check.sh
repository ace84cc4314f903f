#!/usr/bin/env bash
# The installed product, as a user gets it: build the wheel, install it into a fresh venv in a
# temporary directory outside the checkout, and run every user-facing command from a directory
# that holds no checkout (quick variants). Called by .ci/run; runnable alone:
#   bash .ci/wheel_check.sh            (a few minutes, most of it pip and the quick load)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# the project's .venv (made by ./dev) has pip and a Python >= 3.11; else the first python3
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sik-wheel-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
step() { echo; echo "== wheel check: $*"; }
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }
pip_install() {  # quiet, but the whole log when it fails
  "$WORK/venv/bin/python" -m pip install -q "$@" >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log"; fail "pip install $*"; }
}

step "build the wheel"
# setuptools builds in the source tree's build/; a stale build/lib would leak removed files into it
rm -rf "$ROOT/build"
"$PY" -m pip wheel --no-deps -q -w "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "pip wheel"; }
rm -rf "$ROOT/build"
WHEEL="$(ls "$WORK"/dist/sik_llms-*.whl)"
echo "$WHEEL"
"$PY" -c '
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
for f in ("harness/bundled/cassettes/openai/agent_trip.yaml", "harness/bundled/loadtests/locustfile.py"):
    if f not in names:
        sys.exit(f"wheel check FAILED: the wheel does not carry {f}")' "$WHEEL"

step "install sik-llms[harness] into a fresh venv in $WORK"
"$PY" -m venv "$WORK/venv"
pip_install "$WHEEL[harness]"
PYV="$WORK/venv/bin/python"
SIK="$WORK/venv/bin/sik-llms"
mkdir "$WORK/user"
cd "$WORK/user"  # no checkout here: everything below uses the installed wheel only
"$PYV" -c '
import sys, harness, sik_llms
for mod in (harness, sik_llms):
    if "site-packages" not in mod.__file__:
        sys.exit(f"{mod.__name__} imported from {mod.__file__}, not from the installed wheel")'

step "sik-llms --help"
"$SIK" --help >/dev/null

step "a command whose extra is missing says which extra to install, in one line"
rc=0
"$SIK" load --quick --out load-out >out.txt 2>err.txt || rc=$?
[ "$rc" = 2 ] || { cat out.txt err.txt; fail "sik-llms load without [load] exited $rc (want 2)"; }
[ "$(wc -l <err.txt)" = 1 ] && grep -q "pip install 'sik-llms\[load\]'" err.txt || { cat err.txt; fail "no one-line extra hint"; }
cat err.txt

step "sik-llms demo (replays the cassettes bundled in the wheel)"
"$SIK" demo >demo.txt
grep -q "trip_planning.request" demo.txt || fail "the demo printed no trip tree"
"$SIK" demo --json >demo.json
"$PYV" -c "import json; s = json.load(open('demo.json'))['trip']['summary']; assert s['llm_calls'] == 6, s"

step "sik-llms record --out DIR (against the in-process simulator)"
# A user records on their own machine: recording is refused wherever CI is set (CI only
# replays, and that refusal has its own tests), so this one step runs as a user's shell would.
env -u CI "$SIK" record --out recorded --provider openai --scenario text --scenario tools
[ -f recorded/openai/text.yaml ] && [ -f recorded/openai/tools.yaml ] || fail "record wrote no cassettes"
"$SIK" scan recorded

step "sik-llms replay FILE"
"$SIK" replay recorded/openai/text.yaml >replay.txt
grep -q "llm.request" replay.txt || { cat replay.txt; fail "replay printed no span tree"; }
head -4 replay.txt

step "sik-llms simulate (start, one request, Ctrl-C)"
cat >simulate_check.py <<'PYEOF'
import signal, subprocess, sys

from sik_llms import create_client

# a shell's background job ignores SIGINT; start the simulator with Ctrl-C restored instead
sim = subprocess.Popen([sys.argv[1], "simulate", "--port", "0"], stdout=subprocess.PIPE, text=True,
                       preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
try:
    first = sim.stdout.readline()
    url = first.split("listening on ", 1)[1].split()[0]
    reply = create_client("gpt-5.4-mini", api_key="sk-sim", base_url=url + "/v1")([{"role": "user", "content": "Hi"}])
    assert reply.response, reply
    print("simulator on", url, "answered:", reply.response[:50])
    sim.send_signal(signal.SIGINT)
    out = sim.communicate(timeout=20)[0]
    assert sim.returncode == 0 and "stopped after 1 request" in out, (sim.returncode, first, out)
finally:
    if sim.poll() is None:
        sim.kill()
        sim.wait()
PYEOF
"$PYV" simulate_check.py "$SIK"

step "a user's pytest with the plugin (cassette replay and live capture)"
mkdir -p proj/cassettes/openai
cp recorded/openai/text.yaml proj/cassettes/openai/text.yaml
cat >proj/test_user.py <<'PYEOF'
"""A user's tests, written by .ci/wheel_check.sh: the installed pytest plugin's fixtures."""

import pytest

from harness.cassettes.suite import SIMULATOR_BASE_URLS, SIMULATOR_KEY, Target, text
from harness.simulator import Simulator
from sik_llms import create_client


@pytest.mark.llm_cassette("openai/text")
def test_a_recorded_call_replays_offline_with_its_spans(llm_spans):
    outcome = text(Target("openai", SIMULATOR_BASE_URLS["openai"], SIMULATOR_KEY))
    assert outcome.summary
    assert llm_spans.find("llm.request").attributes["llm.model"] == "gpt-5.4-mini"


def test_a_live_call_to_the_simulator_is_captured(llm_spans):
    with Simulator(seed=1) as sim:
        reply = create_client("gpt-5.4-mini", api_key="sk-sim", base_url=sim.openai_base_url)(
            [{"role": "user", "content": "Say hello"}])
    assert reply.response
    llm_spans.assert_tree("llm.request llm.model=gpt-5.4-mini")
    assert llm_spans.metric_value("llm.requests", llm_model="gpt-5.4-mini") == 1
PYEOF
(cd proj && "$PYV" -m pytest -q -p no:cacheprovider test_user.py)

step "install the [load] extra; sik-llms load --quick --out DIR"
pip_install "$WHEEL[load]"
"$SIK" load --quick --out load-out --markdown load-out/table.md
[ -s load-out/summary.json ] && [ -s load-out/table.md ] || fail "load wrote no summary"

echo
echo "wheel check: the installed wheel works outside the checkout"
