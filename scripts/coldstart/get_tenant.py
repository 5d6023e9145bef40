"""get-tenant as a Python Lambda would write it (boto3 under awslambdaric): the baseline that
scripts/bench-coldstart starts side by side with the Rust function. Same work: resolve the
caller from the principal registry, read the tenant, answer it with its ETag."""

import json
import os

import boto3

# Clients at init, as the Rust functions build theirs once.
TABLE = boto3.resource("dynamodb", endpoint_url=os.environ.get("SEIKYU_ENDPOINT_URL")).Table(os.environ["SEIKYU_TABLE"])


def _problem(status, title):
    return {"statusCode": status, "headers": {"Content-Type": "application/problem+json"}, "body": json.dumps({"title": title, "status": status})}


def handler(event, context):
    arn = event["requestContext"]["identity"]["userArn"]
    principal = TABLE.get_item(Key={"PK": f"PRINCIPAL#{arn}", "SK": "PRINCIPAL"}, ConsistentRead=True).get("Item")
    if principal is None:
        return _problem(403, "Forbidden")
    tenant_id = event["pathParameters"]["tenantId"]
    if principal.get("role") == "tenant" and principal.get("tenantId") != tenant_id:
        return _problem(404, "Not Found")
    item = TABLE.get_item(Key={"PK": f"TENANT#{tenant_id}", "SK": "TENANT"}, ConsistentRead=True).get("Item")
    if item is None:
        return _problem(404, "Not Found")
    body = {k: v for k, v in item.items() if k not in ("PK", "SK", "GSI1PK", "GSI1SK")}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "ETag": f'"{item["version"]}"'},
        "body": json.dumps(body, default=str, ensure_ascii=False),
    }
