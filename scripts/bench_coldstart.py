"""Cold starts of every function against a stub Lambda Runtime API (scripts/bench-coldstart).

For each function, RUNS times: start the binary with AWS_LAMBDA_RUNTIME_API pointing here, time
exec -> its first `GET /runtime/invocation/next` (init: logging, config, SDK clients, the font),
hand it its event from events/, time that -> its response (the first invocation, against moto),
read its peak RSS, stop it. The same for get-tenant written in Python with boto3 under
awslambdaric, in the same run. Prints min/median/p90 per function and the Python/Rust ratio.

Usage: bench_coldstart.py BIN_DIR MOTO_ENDPOINT TABLE BUCKET DEMO_JSON RUNS [function ...]
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd"


class Run:
    """What one cold start has seen so far."""

    def __init__(self, event):
        self.event = event
        self.first_next = None
        self.responded = None
        self.status = None
        self.done = threading.Event()
        self.errors = []


class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    run = None

    def log_message(self, *args):
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        run = self.run
        if not self.path.endswith("/runtime/invocation/next"):
            return self._answer(404)
        if run.first_next is None:
            run.first_next = time.perf_counter()
            body = json.dumps(run.event).encode()
            deadline = str(int(time.time() * 1000) + 30_000)
            return self._answer(200, body, [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", REQUEST_ID),
                ("Lambda-Runtime-Deadline-Ms", deadline),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:ap-northeast-1:000000000000:function:bench"),
                ("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"),
            ])
        # The second /next: the first invocation is over; hold the connection until stopped.
        run.done.wait(10)

    def do_POST(self):
        run = self.run
        body = self._read_body()
        if "/response" in self.path:
            run.responded = time.perf_counter()
            # A buffered answer is the proxy response JSON; a streamed one starts with its prelude.
            text = body.split(b"\x00" * 8)[0]
            try:
                run.status = json.loads(text).get("statusCode")
            except ValueError:
                run.status = "?"
        else:
            run.errors.append(body[:300].decode(errors="replace"))
            run.responded = time.perf_counter()
        run.done.set()
        self._answer(202, b"{}", [("Content-Type", "application/json")])


class QuietServer(ThreadingHTTPServer):
    # A killed function drops its connections mid-request: expected, not worth a traceback.
    def handle_error(self, request, client_address):
        pass


def peak_rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def one(cmd, env, event):
    # A stub of its own per start (its own port): a request the previous, killed process sent
    # late can never be taken for this one's.
    run = Run(event)
    handler = type("RunStub", (Stub,), {"run": run})
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = run.done.wait(30)
    rss = peak_rss_kib(proc.pid)
    proc.kill()
    _, err = proc.communicate()
    run.done.set()
    server.shutdown()
    server.server_close()
    if not finished or run.first_next is None:
        raise RuntimeError(f"{cmd[0]} never finished its first invocation: {err.decode(errors='replace')[-800:]}")
    if run.errors:
        raise RuntimeError(f"{cmd[0]} reported an error: {run.errors[0]}")
    return (run.first_next - started) * 1000, (run.responded - run.first_next) * 1000, rss, run.status


def event_for(function, demo):
    """The function's event from events/, re-pointed at the demo data seeded in moto."""
    path = EVENTS / f"{function}.json"
    if function == "run-worker":
        return {"Records": [{"messageId": "m1", "receiptHandle": "r1", "body": json.dumps({"kind": "plan", "runId": "run-2025-04-bench0001", "slice": 0}),
                             "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                             "eventSourceARN": "arn:aws:sqs:ap-northeast-1:000000000000:runs", "awsRegion": "ap-northeast-1"}]}
    if function == "repair-sweep":
        return {"version": "0", "id": "bench", "detail-type": "Scheduled Event", "source": "aws.events", "account": "000000000000",
                "time": "2025-04-01T00:00:00Z", "region": "ap-northeast-1", "resources": [], "detail": {}}
    event = json.loads(path.read_text())
    tenant = demo["tenants"][0]["tenantId"]
    role = "tenant" if event["requestContext"]["identity"]["userArn"].find("Tenant") >= 0 else "operator"
    arn = "arn:aws:iam::000000000000:user/redmine-shimane" if role == "tenant" else "arn:aws:iam::000000000000:user/seikyu-operator"
    ident = event["requestContext"]["identity"]
    ident["userArn"] = arn
    ident["apiKeyId"] = None
    text = json.dumps(event).replace("tn_0000000000000001", tenant)
    return json.loads(text)


def stats(values):
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return values[0], statistics.median(values), p90


def main():
    bin_dir, moto, table, bucket, demo_file, runs = sys.argv[1:7]
    runs = int(runs)
    demo = json.loads(Path(demo_file).read_text())
    wanted = sys.argv[7:] or sorted(p.name for p in (ROOT / "functions").iterdir())
    base_env = {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AWS_REGION": "ap-northeast-1",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SEIKYU_ENDPOINT_URL": moto,
        "SEIKYU_TABLE": table,
        "SEIKYU_BUCKET": bucket,
        "SEIKYU_CURSOR_KEY": "00" * 32,
        "SEIKYU_RUN_QUEUE_URL": f"{moto}/000000000000/seikyu-runs",
        "SEIKYU_USAGE_PLAN_BASIC": "basic0001",
        "SEIKYU_USAGE_PLAN_STANDARD": "standard01",
        "SEIKYU_USAGE_PLAN_PREMIUM": "premium001",
        # The fonts layer as `sam build` makes it (scripts/bench-coldstart builds it).
        "FONT_DIR": os.environ.get("SEIKYU_BENCH_FONT_DIR", str(ROOT / "layers" / "fonts")),
        "RUST_LOG": "warn",
    }
    rows = []
    print(f"{'function':26} {'init min':>9} {'median':>8} {'p90':>8}  {'1st call median':>15} {'peak RSS':>9}  status")
    for function in wanted:
        binary = Path(bin_dir) / function
        if not binary.exists():
            print(f"{function:26} (no binary at {binary})")
            continue
        event = event_for(function, demo)
        results = [one([str(binary)], base_env, event) for _ in range(runs)]
        init, first, rss, status = zip(*results)
        lo, med, p90 = stats(init)
        rows.append((function, med))
        print(f"{function:26} {lo:8.2f}ms {med:7.2f}ms {p90:7.2f}ms  {statistics.median(first):13.2f}ms {max(rss) / 1024:7.1f}MB  {status[-1]}")
    py = os.environ.get("SEIKYU_BENCH_PYTHON")
    if py:
        env = dict(base_env, PYTHONPATH=str(ROOT / "scripts" / "coldstart"), SEIKYU_DEMO_TENANT=demo["tenants"][0]["tenantId"])
        event = event_for("get-tenant", demo)
        results = [one([py, "-m", "awslambdaric", "get_tenant.handler"], env, event) for _ in range(runs)]
        init, first, rss, status = zip(*results)
        lo, med, p90 = stats(init)
        print(f"{'get-tenant (Python, boto3)':26} {lo:8.2f}ms {med:7.2f}ms {p90:7.2f}ms  {statistics.median(first):13.2f}ms {max(rss) / 1024:7.1f}MB  {status[-1]}")
        rust = dict(rows).get("get-tenant")
        if rust:
            print(f"\nPython/Rust init ratio for get-tenant (medians): {med / rust:.0f}x")


if __name__ == "__main__":
    main()
