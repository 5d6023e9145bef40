"""Signs requests with botocore's own SigV4 signer (what boto3 and awscurl use) and sends them.

Reads the demo credentials written by the local gateway and prints one JSON line per request:
{"name": ..., "status": ..., "body": ...}. Used by the Rust tests to prove that an independent
SigV4 implementation is accepted, and by hand as an example Python client:

    python tests/clients/botocore_client.py .seikyu/demo-credentials.json
"""

import json
import sys
import urllib.error
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def call(demo, who, method, path, body=None):
    creds = Credentials(who["accessKeyId"], who["secretAccessKey"])
    url = demo["endpoint"] + path
    headers = {"x-api-key": who["apiKey"]}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(creds, "execute-api", demo["region"]).add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=prepared.body, method=method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def main():
    demo = json.load(open(sys.argv[1], encoding="utf-8"))
    a, b = demo["tenants"][0], demo["tenants"][1]
    op = demo["operator"]
    contract = {"planName": "追加ストレージ", "monthlyFee": 3300, "startDate": "2025-05-01", "billingCycle": "monthly"}
    cases = [
        ("tenant reads itself", a, "GET", f"/v1/tenants/{a['tenantId']}", None),
        ("tenant lists active contracts", a, "GET", f"/v1/tenants/{a['tenantId']}/contracts?status=active&limit=2", None),
        ("tenant reads another tenant", a, "GET", f"/v1/tenants/{b['tenantId']}", None),
        ("operator writes a contract", op, "PUT", f"/v1/tenants/{b['tenantId']}/contracts/C-PY-1", contract),
        ("operator patches a tenant", op, "PATCH", f"/v1/tenants/{b['tenantId']}", {"name": "いずも工業（更新）"}),
        ("query with reserved characters and Japanese", a, "GET", f"/v1/tenants/{a['tenantId']}/contracts?cursor=a%2Fb%3D%3D&status=%E6%9C%89%E5%8A%B9", None),
    ]
    for name, who, method, path, body in cases:
        status, answer = call(demo, who, method, path, body)
        print(json.dumps({"name": name, "status": status, "body": answer}, ensure_ascii=False))


if __name__ == "__main__":
    main()
