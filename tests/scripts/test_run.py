"""`make run`'s process script: every process it starts stops on TERM to its process group, none is left behind."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = """
from config.settings.local import *  # noqa: F403
from config.settings.local import INSTALLED_APPS

# Tables straight from the models: the script's behaviour does not need the migrations' data, only a database.
MIGRATION_MODULES = {app.rsplit(".", 1)[-1]: None for app in INSTALLED_APPS}
CELERY_IMPORTS = ["runtest_tasks"]
"""
TASKS = """
import time

from celery import shared_task


@shared_task(name="runtest_tasks.busy")
def busy(seconds):
    time.sleep(seconds)  # a long job in hand (a bulk check, a rollup) when the stop comes
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_with(marker: str) -> list[int]:
    """Every live process whose environment holds marker (our own VAR_DIR): children that left the process
    group (setsid, double fork) are found too."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes() and \
                    (entry / "stat").read_text().split()[2] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("target", ["process group", "script"])
def test_term_stops_web_workers_and_beat_even_with_a_long_job_in_hand(tmp_path, target):
    """A process manager sends TERM to the process group, or to the script alone: within 30 s nothing is left,
    although a worker is busy with a ten-minute job (Celery's warm shutdown alone would wait for it)."""
    var_dir = tmp_path / "var-run-test"
    (tmp_path / "runtest_settings.py").write_text(SETTINGS)
    (tmp_path / "runtest_tasks.py").write_text(TASKS)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}  # SQLite, filesystem broker
    env.update(VAR_DIR=str(var_dir), PORT=str(_free_port()), DJANGO_SETTINGS_MODULE="runtest_settings",
               PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH")])),
               RUN_STOP_SECONDS="3")
    subprocess.run([sys.executable, "manage.py", "migrate", "--run-syncdb", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True, timeout=120)
    log = (tmp_path / "run.log").open("w")
    script = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)  # its own process group, as under make
    try:
        deadline, answered = time.monotonic() + 120, None
        while time.monotonic() < deadline and answered is None and script.poll() is None:
            try:
                answered = urllib.request.urlopen(f"http://127.0.0.1:{env['PORT']}/", timeout=5).status
            except urllib.error.HTTPError as error:
                answered = error.code
            except OSError:
                time.sleep(0.5)
        assert answered is not None, (tmp_path / "run.log").read_text()[-3000:]
        started = _processes_with(str(var_dir))
        assert len(started) >= 5, started  # the script, two workers, beat, web
        subprocess.run([sys.executable, "-c", "import django; django.setup(); from config.celery import app; "
                        "app.send_task('runtest_tasks.busy', args=[600])"], cwd=ROOT, env=env, check=True, timeout=60)
        deadline = time.monotonic() + 60
        while "runtest_tasks.busy[" not in (tmp_path / "run.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "runtest_tasks.busy[" in (tmp_path / "run.log").read_text(), "the job never reached a worker"
        if target == "script":
            os.kill(script.pid, signal.SIGTERM)
        else:
            os.killpg(script.pid, signal.SIGTERM)
        stopped_at = time.monotonic()
        while _processes_with(str(var_dir)) and time.monotonic() - stopped_at < 30:
            time.sleep(0.2)
        left = _processes_with(str(var_dir))
        assert not left, f"still running 30 s after TERM: {left}\n" + (tmp_path / "run.log").read_text()[-3000:]
        assert script.wait(timeout=5) in (143, -signal.SIGTERM)
    finally:
        for pid in _processes_with(str(var_dir)):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_every_queue_has_a_worker_in_make_run_and_in_compose(settings):
    """A queue nobody consumes would hold its tasks for ever: `urgent`, `default` and `bulk` each have a worker."""
    import re

    import yaml

    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {
        settings.CELERY_TASK_DEFAULT_QUEUE}
    assert queues == {"urgent", "default", "bulk"}
    script = (ROOT / "scripts" / "run.sh").read_text()
    consumed = {q for arg in re.findall(r"celery_worker -Q (\S+)", script) for q in arg.split(",")}
    assert consumed == queues
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    in_compose = set()
    for service in compose.values():
        command = service.get("command") or []
        if "worker" in command and "-Q" in command:
            in_compose |= set(command[command.index("-Q") + 1].split(","))
    assert in_compose == queues
    urgent_only = [s for s in compose.values() if "-Q" in (c := s.get("command") or []) and c[c.index("-Q") + 1]
                   == "urgent"]
    assert len(urgent_only) == 1  # a worker of its own: bulk work never holds a code up
