"""Scenario 2: signed payment webhooks over real HTTP against gunicorn (2 sync workers) on the bench database.

Each round: fresh members (billed from 2027-01, so the billing scenario's month is never paid), one payment order
each through payment_order_create (today = 2027-01-11), then every order's signed webhook POSTed to
/api/v1/payments/webhooks/simulator/ by a bounded pool of client threads; every 5th order's webhook is sent twice:
for orders 0, 10, 20, … both copies leave at the same moment on two connections, for orders 5, 15, 25, … the copy
is sent again at the end of the round. Figure: confirmed payments per second = orders paid in the round / wall time
of all its requests (replays included).

Reference: the same number of requests, same client and concurrency, to GET /api/v1/income-bases/ (one small
query) on the same gunicorn. Ratio = webhook round time / reference round time for the same request count.

gunicorn runs with the production settings; as in production the receipt SMS is written to the outbox and queued
to Redis for a worker elsewhere (BENCH_WEBHOOK_EAGER=1 delivers it inside the request through
bench.quiet.QuietBackend instead; BENCH_GUNICORN_WORKERS changes the worker count, default 2).
CPU seconds of the gunicorn workers and of their PostgreSQL backends are read from /proc around each round: CPU
per confirmed payment depends much less on other load on the machine than requests per second do.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import Report, database_url, env_int, median

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_PATH = "/api/v1/payments/webhooks/simulator/"
TRIVIAL_PATH = "/api/v1/income-bases/"
TODAY = dt.date(2027, 1, 11)  # inside the webhook members' first billed month
TARGET_PER_SECOND = 300


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn_env(db_url: str, var_dir: str) -> dict:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CELERY_", "NIK_", "PAYMENT_")) and k not in ("REDIS_URL", "DATABASE_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": db_url,
        "DJANGO_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        # The keys the bench data was written with (valid Fernet key), so every page could read it back.
        "NIK_ENCRYPTION_KEYS": ",".join(settings.NIK_ENCRYPTION_KEYS),
        "NIK_HMAC_KEY": settings.NIK_HMAC_KEY,
        "PAYMENT_SIMULATOR_SECRET": settings.PAYMENT_SIMULATOR_SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_COOKIES": "false",
        # Plain HTTP on localhost, as behind the TLS-terminating proxy: production would redirect every request.
        "SECURE_SSL_REDIRECT": "false",
        "NOTIFICATION_BACKEND": "bench.quiet.QuietBackend",
        # As in production, the receipt SMS is queued to Redis for a worker (not consumed here: workers run
        # elsewhere). BENCH_WEBHOOK_EAGER=1 delivers it inside the request instead.
        "CELERY_TASK_ALWAYS_EAGER": "true" if os.environ.get("BENCH_WEBHOOK_EAGER") == "1" else "false",
        "VAR_DIR": var_dir,  # nothing of the run lands in the repository's var/
        "LOG_LEVEL": "WARNING",
        # Connections live through the run (production: 60 s), so the backends whose CPU is read stay the same.
        "DB_CONN_MAX_AGE": "900",
        "PYTHONPATH": str(ROOT),
    })
    if os.environ.get("BENCH_WEBHOOK_EAGER") != "1":
        redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        try:
            import redis

            redis.Redis.from_url(redis_url).flushdb()  # the bench's own Redis database starts empty
            env["REDIS_URL"] = redis_url
        except Exception:  # noqa: BLE001 - no Redis: queue on the filesystem broker under VAR_DIR
            pass
    return env


def _request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _signed_headers(body: bytes) -> dict:
    from django.conf import settings

    from contributions.providers import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

    timestamp = str(int(time.time()))
    return {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(body, timestamp, settings.PAYMENT_SIMULATOR_SECRET)}


def _die_with_parent() -> None:
    """In the gunicorn child before exec: SIGTERM it if the bench process dies without its finally (SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Gunicorn:
    def __init__(self, db_url: str, workers: int = 2):
        self.workers = workers
        self.port = _free_port()
        self.var_dir = tempfile.mkdtemp(prefix="bpu-bench-")
        self.log_path = Path(self.var_dir) / "gunicorn.log"
        self.db_url = db_url
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(gunicorn), "config.wsgi:application", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
             "--chdir", str(ROOT), "--log-level", "warning", "--timeout", "60"],
            cwd=ROOT, env=_gunicorn_env(self.db_url, self.var_dir), stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if _request(self.port, "GET", TRIVIAL_PATH, timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.var_dir, ignore_errors=True)


def _send(port: int, items: list, concurrency: int, time_limit: float) -> tuple[float, list]:
    """Sends `items` (each a list of (key, method, path, body) sent at the same moment on separate connections) with
    `concurrency` client threads; returns the wall time and (key, status, body, seconds) per request."""
    results: list = []
    lock = threading.Lock()
    position = iter(range(len(items)))
    deadline = time.monotonic() + time_limit

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                index = next(position, None)
            if index is None:
                return
            group = items[index]
            conns = []
            started = time.perf_counter()
            for key, method, path, body in group:
                headers = _signed_headers(body) if body is not None else {}
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request(method, path, body=body, headers=headers)
                except OSError as exc:
                    conn.close()
                    results.append((key, 0, str(exc).encode(), 0.0))
                    continue
                conns.append((key, conn))
            for key, conn in conns:
                try:
                    response = conn.getresponse()
                    results.append((key, response.status, response.read(), time.perf_counter() - started))
                except OSError as exc:
                    results.append((key, 0, str(exc).encode(), 0.0))
                finally:
                    conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(deadline - time.monotonic(), 0) + 35)
    return time.perf_counter() - start, results


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each of these processes that still exists."""
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a process that appeared meanwhile counts whole."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _children(parent: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


class CpuMeter:
    """CPU seconds spent by the gunicorn workers, by the PostgreSQL backends serving this database (the workers'
    persistent connections) and by the bench client, between start() and stop(). They depend much less than
    requests per second on what else the machine is running."""

    def __init__(self, server: Gunicorn):
        self.server = server

    @staticmethod
    def _backends() -> list[int]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            return [row[0] for row in cursor.fetchall()]

    def start(self) -> None:
        self.before = (_cpu_seconds(_children(self.server.proc.pid)), _cpu_seconds(self._backends()),
                       time.process_time())

    def stop(self) -> tuple[float, float, float]:
        workers, backends = _cpu_seconds(_children(self.server.proc.pid)), _cpu_seconds(self._backends())
        return (_used(self.before[0], workers), _used(self.before[1], backends),
                time.process_time() - self.before[2])


def _create_orders(count: int) -> tuple[list, float]:
    from bench.dataset import bench_payer, create_webhook_members
    from contributions.services.payments import payment_order_create
    from members.models import Member

    payer = bench_payer()
    ids = create_webhook_members(count)
    members = list(Member.objects.filter(pk__in=ids).select_related("occupation").order_by("pk"))
    start = time.perf_counter()
    orders = [payment_order_create(member=m, months_count=1, payer=payer, today=TODAY) for m in members]
    return orders, time.perf_counter() - start


def _webhook_items(orders: list) -> list:
    from django.utils import timezone

    from contributions.providers import webhook_payload

    paid_at = timezone.now().isoformat()
    items, late = [], []
    for k, order in enumerate(orders):
        body = webhook_payload(event_id=f"bench-{order.pk}-{uuid.uuid4().hex[:12]}", va_number=order.va_number,
                               amount_idr=order.amount_idr, channel="va" if k % 2 else "qris", paid_at=paid_at)
        request = (order.pk, "POST", WEBHOOK_PATH, body)
        items.append([request, request] if k % 10 == 0 else [request])
        if k % 10 == 5:
            late.append([request])
    return items + late


def _verify_round(orders: list, results: list) -> list[str]:
    """Problems found for this round's orders (empty list: none)."""
    from django.db.models import Count

    from contributions.models import EntryKind, LedgerEntry, OrderStatus, Payment, PaymentOrder

    problems = []
    bad = [(key, status, body[:200]) for key, status, body, _s in results if status != 200]
    if bad:
        problems.append(f"{len(bad)} responses not 200, e.g. {bad[:3]}")
    by_order: dict[int, list] = {}
    for key, status, body, _s in results:
        if status == 200:
            by_order.setdefault(key, []).append(json.loads(body))
    for key, answers in by_order.items():
        if len({a["receipt_number"] for a in answers}) != 1 or sum(not a["replay"] for a in answers) != 1:
            problems.append(f"order {key}: answers {answers}")
            break
    pks = [o.pk for o in orders]
    per_order = Payment.objects.filter(order_id__in=pks).values("order_id").annotate(n=Count("id"))
    doubled = [row for row in per_order if row["n"] != 1]
    if len(per_order) != len(pks) or doubled:
        problems.append(f"{len(per_order)} of {len(pks)} orders have a payment; {len(doubled)} have more than one")
    received = (LedgerEntry.objects.filter(payment__order_id__in=pks, kind=EntryKind.RECEIVED)
                .values("payment_id").annotate(n=Count("id")))
    if len(received) != len(per_order) or any(row["n"] != 1 for row in received):
        problems.append(f"'received' ledger entries: {len(received)} payments with one, expected {len(per_order)}")
    paid = PaymentOrder.objects.filter(pk__in=pks, status=OrderStatus.PAID).count()
    if paid != len(pks):
        problems.append(f"{paid} of {len(pks)} orders marked paid")
    return problems


def _global_checks() -> tuple[bool, str]:
    from django.db import connection

    from contributions.selectors import reconciliation

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT order_id FROM contributions_payment WHERE order_id IS NOT NULL "
                       "GROUP BY order_id HAVING count(*) > 1) AS d")
        double_orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM contributions_payment p WHERE (SELECT count(*) FROM "
                       "contributions_ledgerentry l WHERE l.payment_id = p.id AND l.kind = 'received') <> 1")
        bad_received = cursor.fetchone()[0]
    rec = reconciliation()
    ok = double_orders == 0 and bad_received == 0 and rec.balanced
    return ok, (f"{rec.payments:,} payments in the book, orders paid twice: {double_orders}, payments without exactly "
                f"one 'received' entry: {bad_received}, reconciliation balanced: {rec.balanced} "
                f"(received {rec.received_idr:,} = allocated {rec.allocated_idr:,} + credit {rec.credit_held_idr:,} "
                f"+ refunded {rec.refunded_idr:,})")


def scenario(report: Report) -> None:
    from django.db import connection

    orders_per_round = env_int("BENCH_WEBHOOK_ORDERS", 3000)
    rounds = env_int("BENCH_WEBHOOK_ROUNDS", 3)
    concurrency = env_int("BENCH_WEBHOOK_CONCURRENCY", 24)
    time_limit = env_int("BENCH_WEBHOOK_TIME_LIMIT", 120)
    server = Gunicorn(database_url(connection.settings_dict), workers=env_int("BENCH_GUNICORN_WORKERS", 2))
    print(f"webhooks: gunicorn {server.workers} workers on 127.0.0.1:{server.port}, {rounds} rounds of "
          f"{orders_per_round} fresh orders (+{orders_per_round // 5} replays), {concurrency} concurrent clients",
          flush=True)
    rates, ref_rates, ratios, latencies, order_rates, problems, cpu, ref_cpu = [], [], [], [], [], [], [], []
    try:
        server.start()
        # Warm-up (not timed): both workers import and connect, on both endpoints.
        warm, _t = _create_orders(40)
        _send(server.port, _webhook_items(warm), concurrency, time_limit)
        _send(server.port, [[(0, "GET", TRIVIAL_PATH, None)]] * 200, concurrency, time_limit)
        for n in range(rounds):
            orders, order_seconds = _create_orders(orders_per_round)
            order_rates.append(len(orders) / order_seconds)
            items = _webhook_items(orders)
            requests = sum(len(group) for group in items)
            meter = CpuMeter(server)
            meter.start()
            ref_seconds, ref_results = _send(server.port, [[(0, "GET", TRIVIAL_PATH, None)]] * requests,
                                             concurrency, time_limit)
            ref_ok = sum(status == 200 for _k, status, _b, _s in ref_results)
            ref_cpu.append([c / max(ref_ok, 1) * 1000 for c in meter.stop()])
            meter.start()
            seconds, results = _send(server.port, items, concurrency, time_limit)
            used = meter.stop()
            found = _verify_round(orders, results)
            problems += [f"round {n + 1}: {p}" for p in found]
            confirmed = len({key for key, status, body, _s in results
                             if status == 200 and not json.loads(body)["replay"]})
            rates.append(confirmed / seconds)
            cpu.append([c / max(confirmed, 1) * 1000 for c in used])
            ref_rates.append(ref_ok / ref_seconds)
            ratios.append(seconds / ref_seconds)
            lat = sorted(s for _k, status, _b, s in results if status == 200)
            latencies.append((statistics.median(lat), lat[int(len(lat) * 0.95) - 1]) if lat else (0, 0))
            print(f"  round {n + 1}: {len(orders)} orders created in {order_seconds:.1f} s "
                  f"({len(orders) / order_seconds:.0f}/s); {requests} webhooks in {seconds:.1f} s: {confirmed} "
                  f"confirmed = {confirmed / seconds:.0f}/s (latency median {latencies[-1][0] * 1000:.0f} ms, p95 "
                  f"{latencies[-1][1] * 1000:.0f} ms); reference {requests} x GET {TRIVIAL_PATH} in "
                  f"{ref_seconds:.1f} s = {ref_ok / ref_seconds:.0f}/s; {'ok' if not found else 'PROBLEMS'}",
                  flush=True)
            print(f"    CPU per confirmed payment: gunicorn {cpu[-1][0]:.1f} ms, PostgreSQL {cpu[-1][1]:.1f} ms, "
                  f"bench client {cpu[-1][2]:.1f} ms; per reference GET: {ref_cpu[-1][0]:.1f} / {ref_cpu[-1][1]:.1f}"
                  f" / {ref_cpu[-1][2]:.1f} ms", flush=True)
    finally:
        if problems:
            print(f"  gunicorn log (last lines):\n{server.log_tail()}", flush=True)
        server.stop()
    for problem in problems:
        print(f"  PROBLEM {problem}")
    ok, summary = _global_checks()
    print(f"  check: {summary}", flush=True)
    if rates:
        rate = median(rates)
        report.add(f"webhook confirmations (median of {len(rates)} rounds)", f"{rate:.0f}/s",
                   f"{median(ref_rates):.0f} req/s GET {TRIVIAL_PATH}",
                   f"{median(ratios):.2f}x time", f">= {TARGET_PER_SECOND}/s", rate >= TARGET_PER_SECOND)
        app_ms, db_ms = median([c[0] for c in cpu]), median([c[1] for c in cpu])
        cores = os.cpu_count() or 1
        report.add("webhook CPU per payment: gunicorn + PostgreSQL", f"{app_ms:.1f} + {db_ms:.1f} ms",
                   f"{median([c[0] for c in ref_cpu]):.1f} + {median([c[1] for c in ref_cpu]):.1f} ms per GET",
                   target=f"{cores} cores: <= {cores * 1000 / TARGET_PER_SECOND:.1f} ms")
        report.add("webhook ceiling from CPU alone", f"{cores * 1000 / (app_ms + db_ms):.0f}/s on {cores} cores")
        report.add("webhook latency median / p95", f"{median([a for a, _ in latencies]) * 1000:.0f} / "
                   f"{median([b for _, b in latencies]) * 1000:.0f} ms")
        report.add("payment_order_create (bench process)", f"{median(order_rates):.0f} orders/s")
    report.add("webhooks: no double credit, ledger balanced", "yes" if ok and not problems else "NO",
               target="zero double credits", ok=ok and not problems, correctness=True)
