"""Schemathesis hooks for scripts/test-schemathesis (SCHEMATHESIS_HOOKS=schemathesis_hooks,
PYTHONPATH=scripts).

Signs every request the way API Gateway wants it (SigV4 with botocore's own signer, service
execute-api, plus the caller's x-api-key), as the operator or as a tenant, and adds one check: every
4xx answer is application/problem+json, or API Gateway's own {"message": ...} JSON.

Environment:
  SEIKYU_DEMO_CREDENTIALS  the local gateway's demo-credentials.json
  SEIKYU_FUZZ_AS           "operator" (default) or "tenant" (the first demo tenant; every
                           {tenantId} in a path is that tenant's own id). Half of the contractId,
                           billingId, invoiceNumber, runId and principalId path parameters are ones that exist.
                           An identifier the API answered with in this run (which a link passes on)
                           is kept as it is: a tenant the operator just onboarded, a draft just created.
                           In requests that fit the document, whole numbers in the body are written
                           as integers (5, not 5.0).
  SEIKYU_FUZZ_LOG          when set, a file to which every answer is appended as one JSON line
                           (operation, phase, generation mode, status), which scripts/test-schemathesis
                           tallies: how many operations got past validation to a 2xx.
"""

import json
import os
import random
import re

import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_demo = json.load(open(os.environ["SEIKYU_DEMO_CREDENTIALS"], encoding="utf-8"))
_as = os.environ.get("SEIKYU_FUZZ_AS", "operator")
if _as == "operator":
    _who = _demo["operator"]
    # Paths name an existing tenant (the first demo tenant, the one with billings and invoices), so
    # the operations get past the lookup.
    _tenant_id = _demo["tenants"][0]["tenantId"]
elif _as == "tenant":
    _who = _demo["tenants"][0]
    _tenant_id = _who["tenantId"]
else:
    raise SystemExit(f"SEIKYU_FUZZ_AS must be operator or tenant, not {_as!r}")
_credentials = Credentials(_who["accessKeyId"], _who["secretAccessKey"])


class _SigV4(requests.auth.AuthBase):
    """Signs the prepared request (final URL, query and body bytes) as the caller."""

    def __call__(self, prepared):
        body = prepared.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = {k: v for k, v in prepared.headers.items() if k.lower() not in ("authorization", "x-amz-date")}
        headers["x-api-key"] = _who["apiKey"]
        aws = AWSRequest(method=prepared.method, url=prepared.url, data=body, headers=headers)
        SigV4Auth(_credentials, "execute-api", _demo["region"]).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "x-api-key"):
            prepared.headers[name] = aws.headers[name]
        return prepared


_auth = _SigV4()


def _known_ids():
    """Identifiers that exist (the demo data's and earlier runs'), per path parameter name."""
    lists = {
        "contractId": f"/v1/tenants/{_tenant_id}/contracts",
        "billingId": f"/v1/tenants/{_tenant_id}/billings",
        "invoiceNumber": f"/v1/tenants/{_tenant_id}/invoices",
        "runId": "/v1/invoice-runs",
        "principalId": f"/v1/principals?tenantId={_tenant_id}",
    }
    found = {}
    for name, path in lists.items():
        answer = requests.get(_demo["endpoint"] + path, auth=_auth, timeout=10)
        if answer.ok:
            found[name] = [item[name] for item in answer.json().get("items", []) if name in item]
    return {name: ids for name, ids in found.items() if ids}


_ids = _known_ids()
_random = random.Random(15)


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@schemathesis.hook
def filter_headers(context, headers):
    """Only header values HTTP allows (RFC 9110 5.5: no control characters but tab): hyper, like
    API Gateway's front end, refuses the others with a bare 400 before the API sees the request."""
    return not any(isinstance(v, str) and _CONTROL.search(v) for v in (headers or {}).values())


# Identifiers the API answered with during this run (what a create made, what a read showed):
# the document's links pass them from one step of the stateful phase to the next, which keeps them.
_ID_NAMES = ("tenantId", "contractId", "billingId", "invoiceNumber", "runId", "principalId")
_answered = set()


def _whole_numbers_as_integers(value):
    """`5.0` → `5`, through objects and arrays. JSON Schema counts 5.0 as an integer, so a request
    that fits the document may carry one; the API reads integers only when they are written as
    integers (the document's description says so), as any client writes them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole_numbers_as_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_integers(v) for v in value]
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    positive = case.meta is not None and case.meta.generation.mode.value == "positive"
    if positive and isinstance(case.body, (dict, list)):
        body = _whole_numbers_as_integers(case.body)
        if json.dumps(body) != json.dumps(case.body):
            case.body = body
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if (name, value) in _answered:
            continue
        if name == "tenantId":
            parameters[name] = _tenant_id
        # Half the time an identifier that exists, so the operations get past their 404s.
        elif name in _ids and _random.random() < 0.5:
            parameters[name] = _random.choice(_ids[name])
    kwargs["auth"] = _auth


_log = open(os.environ["SEIKYU_FUZZ_LOG"], "a", encoding="utf-8") if os.environ.get("SEIKYU_FUZZ_LOG") else None


@schemathesis.hook
def after_call(context, case, response):
    if 200 <= response.status_code < 300:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            _answered.update((name, body[name]) for name in _ID_NAMES if isinstance(body.get(name), str))
    if _log is None:
        return
    meta = case.meta
    line = {
        "operation": case.operation.label,
        "phase": meta.phase.name.value if meta is not None else None,
        "mode": meta.generation.mode.value if meta is not None else None,
        "status": response.status_code,
    }
    if response.status_code == 400:
        # Which fields validation refused: what a document looser than validation lets through.
        try:
            line["refused"] = sorted({e.get("field") for e in json.loads(response.content).get("errors", [])})
        except (ValueError, AttributeError):
            pass
        # The refused headers' values (bodies and paths are in schemathesis's own report).
        headers = {k.lower(): v for k, v in (case.headers or {}).items()}
        sent = {f: headers.get(f[7:].lower()) for f in line.get("refused", []) if f and f.startswith("header.")}
        if sent:
            line["headers"] = sent
    _log.write(json.dumps(line) + "\n")
    _log.flush()


@schemathesis.check
def problem_json_4xx(ctx, response, case):
    """Every 4xx is application/problem+json, or API Gateway's own {"message"} JSON."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = ",".join(response.headers.get("content-type", [])).split(";")[0].strip().lower()
    if content_type == "application/problem+json":
        try:
            problem = json.loads(response.content)
        except ValueError:
            raise AssertionError("a problem+json answer that is not JSON")
        if not isinstance(problem, dict) or problem.get("status") not in (None, response.status_code):
            raise AssertionError(f"a problem+json answer whose status is not {response.status_code}")
        return None
    if content_type == "application/json":
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict) and set(body) in ({"message"}, {"Message"}):
            return None
    raise AssertionError(
        f"{response.status_code} answered with {content_type or 'no content type'}, "
        "not application/problem+json nor API Gateway's {\"message\"}"
    )
