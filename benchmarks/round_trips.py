"""Round trips, wall time and the app's own CPU time, with 50 ms added to every FHIR request.

Run: `.venv/bin/python benchmarks/round_trips.py [--backend sekmet|medplum] [--latency-ms 50]`

It starts the sandbox (FHIR backend, sandbox EHR) and the app as its own process (`python -m
smartapp serve`), launches the `typical` and the `heavy` patient at the `open` site with the
sandbox's per-launch fault injection `latency_ms`, and measures, for each patient:

- callback -> context: the app's `/callback` (token exchange) and `GET api/context` (the
  patient context, the write plan); sequential FHIR rounds as the app reports them, and the
  wall time (each sequential round costs at least the injected latency);
- save -> answer: `POST api/plans` (the `transaction` strategy at the open site);
- the review page of the goal just saved (HTML): its Goal read and care-plan search go side by
  side, so its wall time is about one injected latency plus the app's time, not two;
- the app's own CPU time for each step: user + system time of the app's process, read from
  /proc before and after (the EHR and the FHIR backend run in other processes or threads of
  this script, so they do not count).

A script, not a test: it prints a table; the targets are 1 round for the context of a typical
patient (2 at most for a heavy one, where paging may add one), 1 round trip for a transaction
save, and under 100 ms of the app's own time for the heavy patient.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.stack import Stack, smartapp_command, start_stack  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def app_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and its finished children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


@dataclass
class Step:
    """One measured step."""

    name: str
    rounds: int | str
    wall_ms: float
    cpu_ms: float


def measure(pid: int, call):  # type: ignore[no-untyped-def]
    """Run `call`, returning its result, wall ms and the app's CPU ms."""
    cpu0, t0 = app_cpu_seconds(pid), time.perf_counter()
    result = call()
    wall = (time.perf_counter() - t0) * 1000
    # /proc's CPU counters tick at 10 ms; let the app finish its accounting.
    time.sleep(0.05)
    return result, wall, (app_cpu_seconds(pid) - cpu0) * 1000


def plan_json(today: date) -> dict[str, object]:
    """A one-goal walking plan (the API's ActionPlan JSON)."""
    due = date.fromordinal(today.toordinal() + 56).isoformat()
    return {
        "what_matters": "Walking my dog again",
        "expressed_by": "shared",
        "goals": [{
            "key": "walk", "domain": "walking",
            "description": "Walk around the block (15 minutes) 3 times a week",
            "measure": {"text": "Minutes walked per week", "target": 45, "unit": "min/wk"},
            "start": today.isoformat(), "due": due, "gas": None,
            "steps": [{"what": "Walk around the block", "how_much": "5 minutes",
                       "when": "After breakfast",
                       "how_often": {"frequency": 3, "period": 1, "unit": "wk"}}],
            "expressed_by": "patient",
        }],
        "confidence": 8, "importance": 9, "barriers": [], "supports": [],
        "follow_up": {"check_in": None,
                      "review": date.fromordinal(today.toordinal() + 42).isoformat()},
        "override_reason": None,
    }


def run_patient(stack: Stack, kind: str, latency_ms: int) -> list[Step]:
    """Launch one patient with injected latency and measure the three steps."""
    assert stack.app_process is not None
    pid = stack.app_process.pid
    patient = next(p.id for p in stack.patients if p.kind == kind)
    browser = requests.Session()
    url = (f"{stack.launcher_url}?patient={patient}&practitioner={stack.practitioners[0].id}"
           f"&profile=open&auto=1&latency_ms={latency_ms}"
           f"&launch_uri={stack.app_url}/launch")
    while urlsplit(url).path != "/callback":  # EHR launcher -> app /launch -> EHR authorize
        answer = browser.get(url, allow_redirects=False, timeout=30)
        assert answer.status_code in (302, 303), (url, answer.status_code, answer.text[:300])
        url = urljoin(url, answer.headers["Location"])
    landed, wall, cpu = measure(pid, lambda: browser.get(url, allow_redirects=False, timeout=30))
    assert landed.status_code == 303, landed.text[:300]
    steps = [Step(name="callback (token exchange)", rounds="1 OAuth", wall_ms=wall, cpu_ms=cpu)]
    launch_id = landed.headers["Location"].split("/")[2]
    api = f"{stack.app_url}/l/{launch_id}/api"
    context, wall, cpu = measure(pid, lambda: browser.get(f"{api}/context", timeout=60))
    data = context.json()
    assert context.status_code == 200, data
    steps.append(Step(name="context", rounds=data["round_trips"], wall_ms=wall, cpu_ms=cpu))
    headers = {"X-CSRF-Token": data["csrf_token"], "Origin": stack.app_url}
    body = {**plan_json(date.today()), "plan_key": uuid.uuid4().hex}  # a new plan each run
    saved, wall, cpu = measure(pid, lambda: browser.post(
        f"{api}/plans", json=body, headers=headers, timeout=60))
    answer = saved.json()
    assert saved.status_code == 201, answer
    steps.append(Step(name=f"save ({answer['strategy']})", rounds=answer["round_trips"],
                      wall_ms=wall, cpu_ms=cpu))
    goal_id = next(w["id"] for w in answer["written"] if w["resourceType"] == "Goal")
    # The review page: the Goal read and the care-plan search go side by side (one round
    # trip, the context still cached); the page reports no count, so the wall time shows it.
    page, wall, cpu = measure(pid, lambda: browser.get(
        f"{stack.app_url}/l/{launch_id}/goals/{goal_id}/review", timeout=60))
    assert page.status_code == 200, page.text[:300]
    steps.append(Step(name="review page (HTML)", rounds="see wall", wall_ms=wall, cpu_ms=cpu))
    ctx = data["context"]
    print(f"  {kind}: {len(ctx['nrs'])} NRS, {len(ctx['peg'])} PEG, {len(ctx['goals'])} goals, "
          f"missing={data['missing']}", file=sys.stderr)
    return steps


def main(argv: list[str] | None = None) -> int:
    """Start the stack, measure typical and heavy, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sekmet", choices=("sekmet", "medplum"))
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3,
                        help="launches per patient; the table shows the median of each figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ff-bench-") as tmp:
        port = _free_port()  # the app on it, the EHR on port + 1, the backend on port + 2
        stack = start_stack(backend=args.backend, data_dir=Path(tmp), seed=1,
                            app_cmd=smartapp_command(port), port=port)
        with stack:
            print(f"backend {args.backend}, {args.latency_ms} ms added to every FHIR request")
            header = ("patient", "step", "seq. rounds", "wall ms", "app CPU ms")
            print(f"{header[0]:8} {header[1]:28} {header[2]:>11} {header[3]:>8} {header[4]:>10}")
            for kind in ("typical", "heavy"):
                if not any(p.kind == kind for p in stack.patients):
                    print(f"{kind:8} (not seeded on this backend)")
                    continue
                runs = [run_patient(stack, kind, args.latency_ms) for _ in range(args.repeat)]
                for steps in zip(*runs, strict=True):
                    step = steps[0]
                    wall = statistics.median(s.wall_ms for s in steps)
                    cpu = statistics.median(s.cpu_ms for s in steps)
                    rounds = max(str(s.rounds) for s in steps)
                    print(f"{kind:8} {step.name:28} {rounds:>11} {wall:8.0f} {cpu:10.0f}")
    return 0


def _free_port() -> int:
    """A port P with P+1 and P+2 free too (the stack's fixed layout)."""
    import socket

    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        try:
            for offset in (1, 2):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no three consecutive free ports")


if __name__ == "__main__":
    raise SystemExit(main())
