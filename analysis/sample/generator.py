"""A deterministic, realistic multi-cloud FOCUS 1.2 sample bill: daily line items over ~18 months.

Larkspur Commerce (fictional) runs on AWS, Azure and Google Cloud: 15 sub-accounts, ~40 services. Resources
have heavy-tailed sizes, lifetimes, growth, a weekend rhythm and messy tags; each (resource, day) is a Usage
row whose noise is hashed from (seed, resource, day), so chunking does not change the data. Months add
commitment purchases with their Used / Unused amortization, support, tax and credits; there is one refund.
Anomalies sit on named resources, described by `sample_anomalies`. For the optimization figures: commitment
rows carry FOCUS quantities, some non-production compute runs around the clock, a few resources keep costing
with no consumption in the last weeks, and some AWS instances are of a previous generation (`x_current_generation`
"No", as the CUR's `product/currentGeneration` says).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from analysis.focus.schema import SUBCATEGORY_PARENT

DEFAULT_ROWS = 350_000
CHUNK_ROWS = 500_000  # usage rows per chunk at most: a chunk is a calendar month, or part of a big one
UNTAGGED_USAGE = 0.18  # share of usage spend left untagged; support, tax and unused commitments add ~6 points
MONTH_DAYS = 30.44
TIMES = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"]
NUMBERS = ["PricingQuantity", "ConsumedQuantity", "ListUnitPrice", "ContractedUnitPrice",
           "ListCost", "ContractedCost", "BilledCost", "EffectiveCost"]
COMMITMENT_COLUMNS = ["CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountCategory",
                      "CommitmentDiscountType"]
COLUMNS = [
    "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName", "ProviderName",
    "PublisherName", "InvoiceIssuerName", "BillingCurrency", *TIMES, "ChargeCategory", "ChargeClass",
    "ChargeFrequency", "ChargeDescription", "ServiceCategory", "ServiceSubcategory", "ServiceName", "RegionId",
    "RegionName",
    "AvailabilityZone", "ResourceId", "ResourceName", "ResourceType", "SkuId", "PricingCategory",
    "PricingQuantity", "PricingUnit", "ConsumedQuantity", "ConsumedUnit", *NUMBERS[2:], *COMMITMENT_COLUMNS,
    "CommitmentDiscountStatus", "CommitmentDiscountQuantity", "CommitmentDiscountUnit", "Tags",
    "x_current_generation"]
QUANTITY = ["CommitmentDiscountQuantity", "CommitmentDiscountUnit"]  # set per row, not per resource
STRINGS = [c for c in COLUMNS if c not in {*TIMES, *NUMBERS, *QUANTITY, "ServiceSubcategory"}]  # of a record
DTYPES = ({c: "str" for c in [*STRINGS, "ServiceSubcategory", QUANTITY[1]]} | {QUANTITY[0]: "float64"}
          | dict.fromkeys(NUMBERS, "float64") | dict.fromkeys(TIMES, "datetime64[us, UTC]"))
# Instance types AWS lists as previous generation, for the current-generation SKUs the sample bills
PREVIOUS_GENERATION = {"m6i.xlarge": "m4.xlarge", "c6i.2xlarge": "c4.2xlarge", "r6i.4xlarge": "r4.4xlarge",
                       "db.r6g.xlarge": "db.r4.xlarge", "db.r6g.2xlarge": "db.r4.2xlarge"}

# FOCUS ServiceSubcategory per service (one of its category's); commitments, support and tax get "Other (...)".
SUBCATEGORY = {
    **dict.fromkeys(("Amazon EC2", "Virtual Machines", "Compute Engine"), "Virtual Machines"),
    **dict.fromkeys(("Amazon EKS", "Azure Kubernetes Service", "Kubernetes Engine"), "Containers"),
    "AWS Lambda": "Serverless Compute", "Cloud Run": "Serverless Compute",
    "Amazon S3": "Object Storage", "Cloud Storage": "Object Storage", "Storage Accounts": "Storage Platforms",
    **dict.fromkeys(("Amazon RDS", "Azure SQL Database", "Cloud SQL"), "Relational Databases"),
    "Amazon DynamoDB": "NoSQL Databases", "Azure Cosmos DB": "NoSQL Databases", "Amazon ElastiCache": "Caching",
    "Amazon CloudFront": "Content Delivery", "Azure Front Door": "Content Delivery",
    **dict.fromkeys(("Amazon VPC", "Elastic Load Balancing", "Cloud Load Balancing"), "Network Infrastructure"),
    "Amazon Route 53": "Network Routing", "Amazon CloudWatch": "Observability", "Azure Monitor": "Observability",
    **dict.fromkeys(("Amazon Redshift", "Azure Synapse Analytics", "BigQuery"), "Analytics Platforms"),
    "AWS Glue": "Data Processing", "Amazon OpenSearch Service": "Search",
    "Amazon SageMaker": "Machine Learning", "Amazon Bedrock": "Generative AI", "Vertex AI": "AI Platforms",
    "AWS Key Management Service": "Secret Management", "Amazon SQS": "Messaging", "Cloud Pub/Sub": "Messaging",
    "AWS IoT Core": "IoT Platforms", "Azure App Service": "Application Platforms",
    "Microsoft Entra ID": "Identity and Access Management", "Azure DevOps": "Developer Platforms",
}

# publisher: also the invoice issuer; negotiated: discount of contracted over list prices; zone, id: templates
PROVIDERS = """
provider | billing_id | billing_name | publisher | tax | negotiated | zone | id | regions
AWS | 418293056172 | Larkspur Commerce (AWS payer) | Amazon Web Services, Inc. | 0.03 | 0.05 | {region}{abc} | arn:aws:{tail} | us-east-1=US East (N. Virginia), us-west-2=US West (Oregon), eu-west-1=Europe (Ireland), eu-central-1=Europe (Frankfurt)
Microsoft | 71930452 | Larkspur Commerce EA enrollment | Microsoft | 0.02 | 0 | {n} | /subscriptions/{account}/resourceGroups/rg-{app}-{region}/providers/{tail}/{name} | eastus=East US, westeurope=West Europe, northeurope=North Europe
Google Cloud | 01F2C9-5A7B3D-8E6F41 | Larkspur Commerce GCP billing | Google LLC | 0.02 | 0 | {region}-{abc} | //{tail} | us-central1=Iowa, europe-west1=Belgium, us-east4=Northern Virginia
"""
REGION_WEIGHTS = [0.55, 0.25, 0.12, 0.08]
COST_CENTERS = {"payments": "CC-1100", "storefront": "CC-1200", "data": "CC-1300", "platform": "CC-1400",
                "security": "CC-1500", "ml": "CC-1600", "finance-apps": "CC-2100"}
PROD_SPELLINGS = {"AWS": ["prod"] * 9 + ["production"], "Microsoft": ["production"] * 3 + ["Prod", "prod"],
                  "Google Cloud": ["prod"] * 6 + ["Prod"]}
ACCOUNTS = """
provider | id | name | env | team | apps | weight
AWS | 374507351523 | prod-payments | prod | payments | payments-api checkout ledger fraud-scoring | 1.6
AWS | 390518829169 | prod-storefront | prod | storefront | storefront web search catalog | 1.5
AWS | 549390262420 | data-platform | prod | data | ingest lakehouse airflow dbt | 1.3
AWS | 306809093164 | shared-network | prod | platform | network dns egress vpn | 0.6
AWS | 657822187991 | security-audit | prod | security | guardduty siem audit-logs | 0.3
AWS | 595417191711 | staging | staging | platform | payments-api storefront catalog | 0.6
AWS | 884663741239 | sandbox | sandbox | platform | poc experiments hackathon | 0.3
Microsoft | d9a24dfc-3ede-4867-9208-28be044f7fd4 | corp-erp-prod | prod | finance-apps | erp sap-gateway reporting | 1.2
Microsoft | 1135ea8a-cc8a-4db8-9d30-ddee188eb5ca | analytics-prod | prod | data | powerbi synapse-etl | 0.8
Microsoft | 2ff594e3-0560-4351-a4a0-e99fa78e3a3d | shared-services | prod | platform | identity devops monitoring | 0.6
Microsoft | 41426058-f817-4293-a667-37ba85bf8dd6 | dev-test | dev | finance-apps | erp reporting | 0.4
Google Cloud | ml-platform-prod-5626 | ml-platform-prod | prod | ml | recsys vertex-pipelines feature-store | 1.2
Google Cloud | bigdata-warehouse-9263 | bigdata-warehouse | prod | data | warehouse looker dataflow | 1.0
Google Cloud | web-frontend-9818 | web-frontend | prod | storefront | storefront-ssr images | 0.6
Google Cloud | ml-sandbox-9910 | ml-sandbox | sandbox | ml | notebooks experiments | 0.3
"""
# unit price doubles with each SKU; budget in $k per month at the start; growth in % per month; weekend: cost
# factor on Saturdays and Sundays; count: weight in drawing resources; place: z(onal), g(lobal) or regional
SERVICES = """
provider | name | category | rtype | short | unit | price | skus | budget | growth | weekend | count | place | tail
AWS | Amazon EC2 | Compute | Instance | vm | Hours | 0.192 | m6i.xlarge c6i.2xlarge r6i.4xlarge | 190 | 2 | 0.7 | 30 | z | ec2:{region}:{account}:instance/i-0{hex}
AWS | Amazon S3 | Storage | Bucket | bucket | GB-Months | 0.023 | Standard Standard-IA | 55 | 3 | 1 | 14 | - | s3:::larkspur-{name}
AWS | Amazon RDS | Databases | DB Instance | db | Hours | 0.48 | db.r6g.xlarge db.r6g.2xlarge | 70 | 1.5 | 0.95 | 8 | z | rds:{region}:{account}:db:{name}
AWS | AWS Lambda | Compute | Function | fn | GB-Seconds | 0.0000167 | x86_64 arm64 | 9 | 3.5 | 0.6 | 12 | - | lambda:{region}:{account}:function:{name}
AWS | Amazon CloudFront | Networking | Distribution | cdn | GB | 0.085 | DataTransfer-Out | 30 | 2 | 0.85 | 3 | g | cloudfront::{account}:distribution/E{HEX}
AWS | Amazon EKS | Compute | Cluster | eks | Hours | 0.10 | cluster-hours | 6 | 0 | 1 | 3 | - | eks:{region}:{account}:cluster/{name}
AWS | Amazon DynamoDB | Databases | Table | table | WriteRequestUnits | 0.00000125 | on-demand | 18 | 2.5 | 0.7 | 8 | - | dynamodb:{region}:{account}:table/{name}
AWS | Amazon VPC | Networking | NAT Gateway | nat | GB | 0.045 | NatGateway-Bytes | 22 | 2 | 0.8 | 5 | z | ec2:{region}:{account}:natgateway/nat-0{hex}
AWS | Elastic Load Balancing | Networking | Load Balancer | alb | LCU-Hours | 0.008 | LoadBalancerUsage | 12 | 1.5 | 0.85 | 6 | - | elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}
AWS | Amazon CloudWatch | Management and Governance | Log Group | logs | GB | 0.50 | DataProcessing-Bytes | 16 | 3 | 0.95 | 8 | - | logs:{region}:{account}:log-group:/aws/{name}
AWS | Amazon ElastiCache | Databases | Cache Cluster | cache | Hours | 0.206 | cache.r6g.large cache.r6g.xlarge | 15 | 1 | 1 | 4 | z | elasticache:{region}:{account}:cluster:{name}
AWS | Amazon Redshift | Analytics | Cluster | dwh | Hours | 1.086 | ra3.xlplus ra3.4xlarge | 28 | -1.5 | 1 | 2 | - | redshift:{region}:{account}:cluster:{name}
AWS | Amazon SageMaker | AI and Machine Learning | Endpoint | ml | Hours | 0.23 | ml.m5.xlarge ml.g5.2xlarge | 20 | 4 | 0.9 | 4 | - | sagemaker:{region}:{account}:endpoint/{name}
AWS | Amazon Bedrock | AI and Machine Learning | Model Invocation | llm | 1000 Tokens | 0.003 | claude-sonnet-input | 36 | 3 | 0.6 | 0 | - | bedrock:{region}:{account}:inference-profile/{name}
AWS | AWS Key Management Service | Security | Key | key | Requests | 0.000003 | KMS-Requests | 2 | 1 | 0.9 | 6 | - | kms:{region}:{account}:key/{hex}
AWS | Amazon Route 53 | Networking | Hosted Zone | dns | Queries | 0.0000004 | DNS-Queries | 2 | 1 | 0.9 | 3 | g | route53:::hostedzone/Z{HEX}
AWS | Amazon SQS | Integration | Queue | queue | Requests | 0.0000004 | Requests-Tier1 | 4 | 2 | 0.7 | 6 | - | sqs:{region}:{account}:{name}
AWS | AWS Glue | Analytics | Job | etl | DPU-Hours | 0.44 | ETL-DPU-Hour | 10 | 2 | 0.6 | 4 | - | glue:{region}:{account}:job/{name}
AWS | Amazon OpenSearch Service | Analytics | Domain | search | Hours | 0.335 | r6g.large.search | 12 | 0 | 1 | 2 | z | es:{region}:{account}:domain/{name}
AWS | AWS IoT Core | Internet of Things | Thing Group | iot | Messages | 0.000001 | IoT-Messages | 3 | 5 | 0.9 | 1 | - | iot:{region}:{account}:thinggroup/{name}
Microsoft | Virtual Machines | Compute | Virtual machine | vm | Hours | 0.192 | D4s_v5 D8s_v5 E16s_v5 | 80 | 1.5 | 0.75 | 16 | z | Microsoft.Compute/virtualMachines
Microsoft | Azure SQL Database | Databases | SQL database | sqldb | vCore-Hours | 0.50 | GP_Gen5_4 BC_Gen5_8 | 40 | 1 | 0.95 | 5 | - | Microsoft.Sql/servers/sql-larkspur/databases
Microsoft | Storage Accounts | Storage | Storage account | st | GB-Months | 0.0184 | Hot-LRS Cool-LRS | 18 | 2.5 | 1 | 10 | - | Microsoft.Storage/storageAccounts
Microsoft | Azure Kubernetes Service | Compute | Kubernetes service | aks | Hours | 0.10 | Standard-tier | 14 | 2 | 0.8 | 3 | - | Microsoft.ContainerService/managedClusters
Microsoft | Azure App Service | Web | App Service plan | app | Hours | 0.20 | P1v3 P2v3 | 12 | 1 | 0.9 | 6 | - | Microsoft.Web/serverFarms
Microsoft | Azure Monitor | Management and Governance | Log Analytics workspace | log | GB | 2.30 | Analytics-Logs | 9 | 2 | 0.9 | 4 | - | Microsoft.OperationalInsights/workspaces
Microsoft | Azure Cosmos DB | Databases | Azure Cosmos DB account | cosmos | Hundred RU per Second-Hours | 0.008 | Provisioned-Throughput | 10 | 3 | 0.85 | 3 | - | Microsoft.DocumentDB/databaseAccounts
Microsoft | Azure Synapse Analytics | Analytics | Synapse workspace | syn | DWU-Hours | 1.20 | DW100c | 12 | -2 | 0.7 | 2 | - | Microsoft.Synapse/workspaces
Microsoft | Microsoft Entra ID | Identity | Tenant | aad | User-Months | 0.20 | P1 | 2 | 0 | 1 | 1 | g | Microsoft.AzureActiveDirectory/tenants
Microsoft | Azure DevOps | Developer Tools | Organization | devops | User-Months | 0.20 | Basic | 3 | 1 | 1 | 1 | g | microsoft.visualstudio/account
Microsoft | Azure Front Door | Networking | Front Door | afd | GB | 0.083 | Data-Transfer-Out | 6 | 2 | 0.85 | 2 | g | Microsoft.Cdn/profiles
Google Cloud | Compute Engine | Compute | Instance | vm | Hours | 0.194 | n2-standard-4 n2-standard-8 c2-standard-16 | 55 | 2 | 0.75 | 14 | z | compute.googleapis.com/projects/{account}/zones/{zone}/instances/{name}
Google Cloud | BigQuery | Analytics | Dataset | bq | TiB | 6.25 | Analysis-on-demand | 45 | 3 | 0.55 | 6 | - | bigquery.googleapis.com/projects/{account}/datasets/{name}
Google Cloud | Cloud Storage | Storage | Bucket | gcs | GiB-Months | 0.020 | Standard-Storage Nearline-Storage | 14 | 3 | 1 | 8 | - | storage.googleapis.com/projects/_/buckets/larkspur-{name}
Google Cloud | Vertex AI | AI and Machine Learning | Endpoint | vtx | Node-Hours | 0.75 | n1-standard-8 a2-highgpu-1g | 22 | 4 | 0.85 | 4 | - | aiplatform.googleapis.com/projects/{account}/locations/{region}/endpoints/{name}
Google Cloud | Kubernetes Engine | Compute | Cluster | gke | Hours | 0.10 | Cluster-management-fee | 6 | 1 | 1 | 3 | - | container.googleapis.com/projects/{account}/locations/{region}/clusters/{name}
Google Cloud | Cloud SQL | Databases | Instance | sql | Hours | 0.41 | db-custom-4-16384 | 10 | 1 | 1 | 3 | z | sqladmin.googleapis.com/projects/{account}/instances/{name}
Google Cloud | Cloud Run | Compute | Service | run | vCPU-Seconds | 0.000024 | CPU-Allocation | 5 | 4 | 0.6 | 5 | - | run.googleapis.com/projects/{account}/locations/{region}/services/{name}
Google Cloud | Cloud Pub/Sub | Integration | Topic | topic | TiB | 40 | Message-Delivery | 3 | 2 | 0.8 | 4 | - | pubsub.googleapis.com/projects/{account}/topics/{name}
Google Cloud | Cloud Load Balancing | Networking | Forwarding rule | lb | GiB | 0.008 | Data-Processing | 6 | 2 | 0.85 | 3 | - | compute.googleapis.com/projects/{account}/global/forwardingRules/{name}
"""
# Named resources, the same for any seed and size, most with an anomaly; share: of the service's spend; back,
# back_stop: the anomaly's first and stop day as days before `end` (0: ongoing); mult: cost multiplier
ANCHORS = """
account | service | name | share | tagged | kind | back | back_stop | mult | text
prod-storefront | Amazon CloudFront | storefront-cdn | 0.5 | 1 | spike | 200 | 198 | 4.5 | Flash-sale traffic: CDN egress x4.5 for two days
corp-erp-prod | Azure SQL Database | erp-sql-prod | 0.4 | 1 | level-shift | 120 | 0 | 1.7 | ERP database moved to a bigger tier and stayed there
prod-payments | Amazon EC2 | payments-batch-legacy | 0.15 | 1 | drop | 75 | 0 | 0 | Legacy batch fleet decommissioned; its Savings Plan coverage turns into unused commitment
data-platform | Amazon Bedrock | genai-support-assistant | 1.0 | 0 | new-spend | 45 | 0 | 1 | New service Amazon Bedrock, untagged
bigdata-warehouse | BigQuery | analytics-warehouse | 0.45 | 1 | spike | 9 | 8 | 7.0 | Runaway BigQuery query: one day at x7
prod-payments | Amazon RDS | payments-db-primary | 0.3 | 1 | | 0 | 0 | 1 |
"""
# The first covered sub-account buys it; discount: off contracted prices; own_service: of its own rows
COMMITMENTS = """
name | type | category | service | accounts | discount | own_service | id
Compute Savings Plan (3yr, no upfront) | Savings Plan | Spend | Amazon EC2 | prod-payments prod-storefront data-platform | 0.28 | Savings Plans for AWS Compute usage | arn:aws:savingsplans::{account}:savingsplan/{guid}
RDS Reserved Instances (1yr, partial upfront) | Reserved Instance | Usage | Amazon RDS | prod-payments prod-storefront | 0.35 | Amazon RDS | arn:aws:rds:us-east-1:{account}:ri:payments-db-ri
D-series VM reservation (3yr) | Reservation | Usage | Virtual Machines | corp-erp-prod analytics-prod | 0.40 | Virtual Machines | /providers/Microsoft.Capacity/reservationOrders/{guid}/reservations/{guid}
Compute Engine committed use (1yr) | Committed Use Discount | Usage | Compute Engine | ml-platform-prod bigdata-warehouse | 0.37 | Compute Engine | projects/{account}/regions/us-central1/commitments/compute-cud-1y
"""


def _h(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _table(text: str, numbers: str) -> list[dict]:
    """The rows of a `|` table whose first line names the columns; the `numbers` columns become floats."""
    head, *rows = [[f.strip() for f in line.split("|")] for line in text.strip().splitlines()]
    return [{k: float(v) if k in numbers.split() else v for k, v in zip(head, row, strict=True)}
            for row in rows]


PROV = {p["provider"]: p | {"regions": [tuple(r.split("=")) for r in p["regions"].split(", ")]}
        for p in _table(PROVIDERS, "tax negotiated")}
ACCT = _table(ACCOUNTS, "weight")
_ACCT = {a["name"]: i for i, a in enumerate(ACCT)}
SVC = [s | {"budget": s["budget"] * 1000 / MONTH_DAYS, "growth": math.log1p(s["growth"] / 100) / MONTH_DAYS}
       for s in _table(SERVICES, "price budget growth weekend count")]  # budget and growth per day
_SVC = {s["name"]: i for i, s in enumerate(SVC)}
ANCH = _table(ANCHORS, "share back back_stop mult")
COMM = [c | {"fields": [  # the values of COMMITMENT_COLUMNS
    c["id"].format(account=ACCT[_ACCT[c["accounts"].split()[0]]]["id"], guid=uuid.UUID(_h(c["name"]))),
    c["name"], c["category"], c["type"]]} for c in _table(COMMITMENTS, "discount")]


def _commitment_unit(c: int) -> tuple[str, float]:
    """A commitment's FOCUS unit and what one unit costs after every discount: a spend commitment counts
    dollars; a usage commitment counts hours of its service's smallest size (normalized, as AWS does)."""
    cm = COMM[c]
    if cm["category"] == "Spend":
        return "USD", 1.0
    service = SVC[_SVC[cm["service"]]]
    negotiated = PROV[service["provider"]]["negotiated"]
    return "Hours", service["price"] * (1 - negotiated) * (1 - cm["discount"])


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def sample_anomalies(end: dt.date | None = None, months: int = 18) -> list[dict]:
    """The anomalies injected in `generate_sample(end=end, months=months)`, whatever `rows` and `seed`.

    Each: kind (spike, level-shift, drop, new-spend), start (first affected day), end (exclusive; None
    while still going at the end of the data), provider, sub-account, service, resource, description and
    `approx_daily_impact`: the change in list cost on an average affected day (negative for a drop).
    """
    plan = _plan(0, end, 0, months)
    out = []
    for a, anchor in enumerate(ANCH):
        account, service = ACCT[_ACCT[anchor["account"]]], SVC[_SVC[anchor["service"]]]
        day, stop = (plan.end - dt.timedelta(days=anchor[k]) for k in ("back", "back_stop"))
        base = service["budget"] * anchor["share"] * math.exp(service["growth"] * (day - plan.start).days)
        if anchor["kind"] and day >= plan.start:
            out.append({
                "kind": anchor["kind"], "start": day, "end": stop if stop < plan.end else None,
                "provider": account["provider"], "sub_account_id": account["id"],
                "sub_account": account["name"], "service": service["name"],
                "resource_id": plan.res["ResourceId"][a], "resource_name": anchor["name"],
                "description": anchor["text"], "approx_daily_impact": round(
                    base * {"drop": -1, "new-spend": 1}.get(anchor["kind"], anchor["mult"] - 1), 2)})
    return out


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer: uint64 array -> well-mixed uint64 array (wraps on overflow)."""
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass
class _Plan:
    """Calendar and resources; usage rows are computed from it block by block."""

    start: dt.date
    end: dt.date  # the day after the last one
    months: list[tuple[int, int, dt.date, dt.date]]  # (first day, stop day, period start, period end)
    weekend: np.ndarray  # bool per day
    stamps: pd.DatetimeIndex  # midnight UTC of each day, one more than days
    res: pd.DataFrame  # per resource: the string columns of its usage rows
    num: dict[str, np.ndarray]  # per resource: lifetime, cost model, price factors, indices
    shocks: list[tuple[int, int, int, float]]  # (resource, first day, stop day, cost multiplier)

    def usage(self, block: np.ndarray, d0: int, d1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Active (resource, day) pairs of `block` in days [d0, d1), day-major, and their list cost."""
        n = self.num
        dd = np.repeat(np.arange(d0, d1), len(block))
        rr = np.tile(block, d1 - d0)
        keep = (n["first"][rr] <= dd) & (dd < n["stop"][rr])
        rr, dd = rr[keep], dd[keep]
        h = _mix(n["key"][rr] ^ (dd.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)))
        bits = np.uint64((1 << 21) - 1)  # three 21-bit uniforms -> a roughly normal z
        z = ((h >> np.uint64(43)) + ((h >> np.uint64(22)) & bits) + (h & bits)) * (2.0 / (1 << 21)) - 3.0
        cost = n["base"][rr] * np.exp(n["growth"][rr] * dd + n["sigma"][rr] * z)
        cost *= np.where(self.weekend[dd], n["weekend"][rr], 1.0)
        for r, first, stop, mult in self.shocks:
            cost[(rr == r) & (dd >= first) & (dd < stop)] *= mult
        return rr, dd, cost


def _plan(rows: int, end: dt.date | None, seed: int, months: int) -> _Plan:
    """Draw the resources: the anchors, one per service, then as many as `rows` needs."""
    end = end or dt.datetime.now(dt.UTC).date()
    last = end - dt.timedelta(days=1)
    start = dt.date((last.year * 12 + last.month - months) // 12, (last.month - months) % 12 + 1, 1)
    n_days, rng = (end - start).days, np.random.default_rng(seed)
    provider = np.array([a["provider"] for a in ACCT])
    weight = np.array([a["weight"] for a in ACCT])[:, None] * rng.gamma(0.7, size=(len(ACCT), len(SVC)))
    weight *= np.array([s["count"] for s in SVC]) * (provider[:, None] == [s["provider"] for s in SVC])
    forced = np.flatnonzero(weight.sum(axis=0) > 0)
    pool = len(forced) + int(max(rows, 0) / (0.6 * n_days)) + 64
    flat = rng.choice(weight.size, size=pool - len(forced), p=(weight / weight.sum()).ravel())
    svc = np.concatenate([forced, flat % len(SVC)])
    acct = np.concatenate([[rng.choice(len(ACCT), p=weight[:, s] / weight[:, s].sum()) for s in forced],
                           flat // len(SVC)])
    life = rng.random(pool)  # 65 % live throughout, 22 % appear, 13 % are retired
    first = np.where((life > 0.65) & (life < 0.87), rng.integers(0, n_days, pool), 0)
    stop = np.where(life >= 0.87, rng.integers(1, n_days + 1, pool), n_days)
    kind = np.array([a["kind"] for a in ANCH])
    day = np.maximum(n_days - np.array([a["back"] for a in ANCH], int), 0)
    a_first, a_stop = np.where(kind == "new-spend", day, 0), np.where(kind == "drop", day, n_days)
    shocks = [(i, day[i], max(n_days - int(a["back_stop"]), 0), a["mult"]) for i, a in enumerate(ANCH)
              if a["kind"] in ("spike", "level-shift")]
    fixed = int((a_stop - a_first).sum()) + len(COMM) * n_days + 25 * months
    n = min(pool, max(len(forced), int(np.searchsorted(np.cumsum(stop - first), rows - fixed)) + 1))
    svc = np.concatenate([[_SVC[a["service"]] for a in ANCH], svc[:n]])
    acct = np.concatenate([[_ACCT[a["account"]] for a in ANCH], acct[:n]])
    first, stop = np.concatenate([a_first, first[:n]]), np.concatenate([a_stop, stop[:n]])
    anchor = np.arange(len(svc)) < len(ANCH)
    num = _economics(rng, svc, acct, first, stop, anchor, n_days)
    num |= _optimization_traits(np.random.default_rng([seed, 19]), num, anchor, n_days)
    num["key"] = _mix(np.arange(len(svc), dtype=np.uint64) + np.uint64(seed) * np.uint64(1 << 40))
    bounds = [*pd.date_range(start, last, freq="MS").date, _next_month(last)]
    calendar = [((a - start).days, min((b - start).days, n_days), a, b) for a, b in pairwise(bounds)]
    weekend = (start.toordinal() + np.arange(n_days) + 6) % 7 >= 5
    stamps = pd.date_range(start, periods=n_days + 1, freq="D", tz="UTC", unit="us")
    return _Plan(start, end, calendar, weekend, stamps, _strings(rng, num, anchor), num, shocks)


def _economics(rng: np.random.Generator, svc: np.ndarray, acct: np.ndarray, first: np.ndarray,
               stop: np.ndarray, anchor: np.ndarray, n_days: int) -> dict[str, np.ndarray]:
    """Cost model, price factors and tagging per resource: a service's budget split by heavy-tailed sizes."""
    col = {k: np.array([s[k] for s in SVC])[svc]
           for k in ("budget", "growth", "weekend", "price", "category")}
    shares = np.array([a["share"] for a in ANCH])
    size = np.where(anchor, 0.0, rng.lognormal(0.0, 1.4, len(svc)))
    per_svc = np.bincount(svc, size * (stop - first) / n_days, len(SVC))
    share = (1 - np.bincount(svc[anchor], shares, len(SVC)))[svc] * size / per_svc[svc].clip(1e-12)
    share[anchor] = shares
    commit, covered = np.full(len(svc), -1), anchor | (rng.random(len(svc)) < 0.75)
    for c, commitment in enumerate(COMM):
        buyers = [_ACCT[a] for a in commitment["accounts"].split()]
        commit[covered & (svc == _SVC[commitment["service"]]) & np.isin(acct, buyers)] = c
    prod = np.array([ACCT[a]["env"] == "prod" for a in acct])
    spot = (commit < 0) & ~prod & np.isin(svc, [_SVC["Amazon EC2"], _SVC["Compute Engine"]])
    spot &= rng.random(len(svc)) < 0.4
    negotiated = np.array([PROV[ACCT[a]["provider"]]["negotiated"] for a in acct])
    weekend = np.where(commit >= 0, 1 - (1 - col["weekend"]) / 4, col["weekend"])  # steady covered servers
    sku = np.minimum(rng.geometric(0.55, len(svc)) - 1, [len(SVC[s]["skus"].split()) - 1 for s in svc])
    steady = (col["category"] == "Databases") | (commit >= 0)
    num = {"svc": svc, "acct": acct, "first": first, "stop": stop, "commit": commit, "spot": spot, "sku": sku,
           "base": col["budget"] * share / ((5 + 2 * weekend) / 7), "weekend": weekend,
           "growth": col["growth"] + np.where(anchor, 0.0, rng.normal(0.0, 0.01 / MONTH_DAYS, len(svc))),
           "sigma": np.select([col["category"] == "Storage", steady], [0.02, 0.04], 0.1),
           "price": col["price"] * 2.0 ** sku, "contracted": np.where(spot, 0.35, 1 - negotiated),
           "effective": 1 - np.array([c["discount"] for c in COMM] + [0.0])[commit],
           "billed": (commit < 0) * 1.0}
    # untagged: drawn (networking and tooling first) until UNTAGGED_USAGE of the expected spend
    spend = num["base"] * (stop - first) * np.exp(num["growth"] * (first + stop) / 2)
    spend *= num["contracted"] * num["effective"]
    often = ["Networking", "Security", "Developer Tools", "Management and Governance"]
    order = np.argsort(-rng.random(len(svc)) ** np.where(np.isin(col["category"], often), 1 / 3, 1.0))
    order = order[~anchor[order] & (spend[order] < 0.01 * spend.sum())]  # big resources stay tagged
    num["untagged"] = np.zeros(len(svc), bool)
    num["untagged"][order[np.cumsum(spend[order]) <= UNTAGGED_USAGE * spend.sum()]] = True
    num["untagged"][anchor] = [a["tagged"] == "0" for a in ANCH]
    return num


def _optimization_traits(rng: np.random.Generator, num: dict[str, np.ndarray], anchor: np.ndarray,
                         n_days: int) -> dict[str, np.ndarray]:
    """What the optimization figures look for, drawn from their own generator so the rest stays as it was:
    non-production on-demand compute left running over weekends (60 %), previous-generation instance types
    (10 % of EC2 and RDS), and five on-demand hourly resources with cost but no consumption in the last weeks."""
    svc, n = num["svc"], len(anchor)
    category, unit = (np.array([s[k] for s in SVC])[svc] for k in ("category", "unit"))
    nonprod = np.array([ACCT[a]["env"] != "prod" for a in num["acct"]])
    on_demand = (num["commit"] < 0) & ~num["spot"] & ~anchor
    clock = nonprod & on_demand & (category == "Compute") & (rng.random(n) < 0.6)
    skus = [SVC[s]["skus"].split()[k] for s, k in zip(svc, num["sku"], strict=True)]
    old = np.array([k in PREVIOUS_GENERATION for k in skus]) & ~anchor & (rng.random(n) < 0.1)
    idle_from = np.full(n, n_days)
    pool = np.flatnonzero(on_demand & (unit == "Hours") & (num["stop"] == n_days) & (num["first"] < n_days - 90))
    idle = rng.choice(pool, size=min(5, len(pool)), replace=False)
    idle_from[idle] = n_days - rng.integers(14, 45, len(idle))
    return {"weekend": np.where(clock, 1.0, num["weekend"]), "old": old, "idle_from": idle_from}


def _tags(account: dict, team: str, app: str, u: np.ndarray) -> str:
    """Tags as people write them: `Team` on Azure, `production` / `Prod`, `costcenter` on GCP, gaps."""
    provider, env = account["provider"], account["env"]
    if env == "prod":
        env = PROD_SPELLINGS[provider][int(u[0] * len(PROD_SPELLINGS[provider]))]
    team_key = "Team" if u[1] < (0.5 if provider == "Microsoft" else 0.04) else "team"
    tags = {team_key: team, "env": env, "app": app}
    if u[2] < 0.9:
        cost_center = "costcenter" if u[3] < (0.35 if provider == "Google Cloud" else 0.03) else "cost-center"
        tags[cost_center] = COST_CENTERS[team]
    return json.dumps(tags, separators=(",", ":"))


def _strings(rng: np.random.Generator, num: dict, anchor: np.ndarray) -> pd.DataFrame:
    """Per resource, every string column of its usage rows (a loop over resources, not rows)."""
    u = rng.random((7, len(anchor)))
    region_pick = rng.choice(len(REGION_WEIGHTS), size=len(anchor), p=REGION_WEIGHTS)
    u[0, anchor], region_pick[anchor] = 0.0, 0  # anchors sit at the same place whatever the seed
    teams, records = sorted(COST_CENTERS), []
    for i, (s, a, c, spot) in enumerate(zip(num["svc"], num["acct"], num["commit"], num["spot"])):
        s, a = SVC[s], ACCT[a]
        p, k, apps = a["provider"], int(u[0, i] * 3), a["apps"].split()
        region, region_name = PROV[p]["regions"][region_pick[i] % len(PROV[p]["regions"])]
        zone = PROV[p]["zone"].format(region=region, abc="abc"[k], n=k + 1)
        app, hexid = apps[int(u[1, i] * len(apps))], f"{int(num['key'][i]):016x}"
        name = f"{app}-{s['short']}-{i:05d}"
        if anchor[i]:
            name, app, hexid = ANCH[i]["name"], ANCH[i]["name"].split("-")[0], _h(ANCH[i]["name"])[:16]
        tail = s["tail"].format(region=region, account=a["id"], name=name, hex=hexid, HEX=hexid.upper(),
                                zone=zone)
        resource_id = PROV[p]["id"].format(tail=tail, account=a["id"], app=app, region=region, name=name)
        if s["place"] == "g":
            region, region_name = "global", "Global"
        team = a["team"] if u[2, i] > 0.08 else teams[int(u[2, i] / 0.08 * len(teams))]
        sku = s["skus"].split()[num["sku"][i]]
        generation = None
        if sku in PREVIOUS_GENERATION or sku in PREVIOUS_GENERATION.values():
            sku, generation = (PREVIOUS_GENERATION[sku], "No") if num["old"][i] else (sku, "Yes")
        sku += " (spot)" if spot else ""
        h = _h(s["name"] + sku).upper()
        price = np.format_float_positional(num["price"][i])
        records.append((
            PROV[p]["billing_id"], PROV[p]["billing_name"], a["id"], a["name"], p, PROV[p]["publisher"],
            PROV[p]["publisher"], "USD", "Usage", None, "Usage-Based",
            f"${price} per {s['unit']} for {sku}", s["category"], s["name"], region, region_name,
            zone if s["place"] == "z" else None, resource_id, name, s["rtype"],
            {"AWS": h[:16], "Microsoft": f"DZH318Z0{h[:4]}/{h[4:8]}"}.get(p, f"{h[:4]}-{h[4:8]}-{h[8:12]}"),
            "Committed" if c >= 0 else "Dynamic" if spot else "Standard", s["unit"], s["unit"],
            *(COMM[c]["fields"] if c >= 0 else [None] * 4), "Used" if c >= 0 else None,
            (None if i % 2 else "{}") if num["untagged"][i] else _tags(a, team, app, u[3:, i]), generation))
    return pd.DataFrame.from_records(records, columns=STRINGS).astype("str")


def _commitment_levels(plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """Per commitment and day: Used amortization, and the committed amount (bought per 6-month term for
    the term's peak day)."""
    n, covered = plan.num, np.flatnonzero(plan.num["commit"] >= 0)
    used = np.zeros((len(COMM), len(plan.weekend)))
    for d0, d1, _, _ in plan.months:
        rr, dd, cost = plan.usage(covered, d0, d1)
        used.flat += np.bincount(n["commit"][rr] * used.shape[1] + dd,
                                 cost * n["contracted"][rr] * n["effective"][rr], used.size)
    term = np.concatenate([np.full(d1 - d0, m // 6) for m, (d0, d1, _, _) in enumerate(plan.months)])
    level = np.zeros_like(used)
    for t in np.unique(term):
        level[:, term == t] = 1.02 * used[:, term == t].max(axis=1, keepdims=True)
    return used, level


def _charge(plan: _Plan, account: str, day: int, service: str, cost: float, **values) -> dict:
    """One row other than resource usage (purchase, fee, unused commitment, tax, credit, refund) on `day`."""
    a, category = ACCT[_ACCT[account]], SVC[_SVC[service]]["category"] if service in _SVC else "Other"
    p, period = a["provider"], (plan.start + dt.timedelta(days=day)).replace(day=1)
    return dict.fromkeys(["ListCost", "ContractedCost", "BilledCost", "EffectiveCost"], cost) | {
        "BillingAccountId": PROV[p]["billing_id"], "BillingAccountName": PROV[p]["billing_name"],
        "SubAccountId": a["id"], "SubAccountName": account, "ProviderName": p,
        "PublisherName": PROV[p]["publisher"], "InvoiceIssuerName": PROV[p]["publisher"],
        "BillingCurrency": "USD", "BillingPeriodStart": period, "BillingPeriodEnd": _next_month(period),
        "ChargePeriodStart": plan.stamps[day], "ChargePeriodEnd": plan.stamps[day + 1],
        "ServiceName": service, "ServiceCategory": category} | values


def _month_charges(plan: _Plan, m: int, billed: np.ndarray, used: np.ndarray,
                   level: np.ndarray) -> list[dict]:
    """A month's rows besides resource usage: day-one commitment purchases and support fee, daily unused
    commitment, the refund if due, and for a finished month tax per sub-account and a credit."""
    d0, d1, first, nxt = plan.months[m]
    out, days = [], (nxt - first).days

    def purchase(account: str, service: str, fee: float, **fields) -> None:
        out.append(_charge(plan, account, d0, service, fee, ChargeCategory="Purchase",
                           ChargeFrequency="Recurring", PricingCategory="Standard", PricingQuantity=1.0,
                           PricingUnit="Months", ListUnitPrice=fee, ContractedUnitPrice=fee, **fields))

    for c, cm in enumerate(COMM):
        buyer, fields = cm["accounts"].split()[0], dict(zip(COMMITMENT_COLUMNS, cm["fields"], strict=True))
        fields |= {"ResourceId": cm["fields"][0], "ResourceName": cm["name"], "ResourceType": cm["type"],
                   "ServiceCategory": SVC[_SVC[cm["service"]]]["category"]}
        unit, unit_cost = _commitment_unit(c)
        purchase(buyer, cm["own_service"], level[c, d0] * days, **fields, EffectiveCost=0.0,
                 ChargeDescription=f"{cm['name']}: monthly fee", CommitmentDiscountUnit=unit,
                 CommitmentDiscountQuantity=level[c, d0] * days / unit_cost)
        out += [_charge(plan, buyer, d, cm["own_service"], 0.0, **fields, ChargeCategory="Usage",
                        ChargeFrequency="Usage-Based", ChargeDescription=f"{cm['name']}: unused commitment",
                        PricingCategory="Committed", CommitmentDiscountStatus="Unused",
                        EffectiveCost=level[c, d] - used[c, d], CommitmentDiscountUnit=unit,
                        CommitmentDiscountQuantity=(level[c, d] - used[c, d]) / unit_cost)
                for d in range(d0, d1)]
    # AWS Business support: 10/7/5/3 % tiers on the expected AWS bill (always above the $250k tier here)
    aws = sum(s["budget"] * math.exp(s["growth"] * (d0 + 15)) for s in SVC if s["provider"] == "AWS")
    purchase("shared-network", "AWS Support (Business)", 14_400 + 0.03 * (aws * days - 250_000),
             ChargeDescription="AWS Support (Business) monthly fee")
    if d0 <= len(plan.weekend) - 100 < d1:
        out.append(_charge(plan, "prod-payments", len(plan.weekend) - 100, "Amazon RDS", -3240.5,
                           ChargeCategory="Adjustment", ChargeClass="Correction", ChargeFrequency="One-Time",
                           ChargeDescription="Refund: duplicate Multi-AZ storage charges of last month"))
    if nxt > plan.end:
        return out
    out += [_charge(plan, a["name"], d1 - 1, "Tax", PROV[a["provider"]]["tax"] * billed[i],
                    ChargeCategory="Tax", ChargeFrequency="Recurring",
                    ChargeDescription=f"{a['provider']} sales tax {first:%B %Y}") for i, a in enumerate(ACCT)]
    if m < 9:
        out.append(_charge(plan, "data-platform", d1 - 1, "Amazon EC2", -9000.0, ChargeCategory="Credit",
                           ChargeFrequency="One-Time", ChargeDescription=f"AWS MAP credit, {first:%B %Y}"))
    return out


def _usage_frame(plan: _Plan, rr: np.ndarray, dd: np.ndarray, cost: np.ndarray,
                 period: tuple[dt.date, dt.date]) -> pd.DataFrame:
    n, price, factor = plan.num, plan.num["price"][rr], plan.num["contracted"][rr]
    bounds = pd.DatetimeIndex(period).tz_localize("UTC").as_unit("us")
    effective = cost * factor * n["effective"][rr]
    units, commit = [_commitment_unit(c) for c in range(len(COMM))], n["commit"][rr]  # -1: not covered
    frame = plan.res.take(rr).reset_index(drop=True).assign(
        BillingPeriodStart=bounds[[0]].repeat(len(rr)), BillingPeriodEnd=bounds[[1]].repeat(len(rr)),
        ChargePeriodStart=plan.stamps.take(dd), ChargePeriodEnd=plan.stamps.take(dd + 1), ListUnitPrice=price,
        PricingQuantity=cost / price, ConsumedQuantity=np.where(dd < n["idle_from"][rr], cost / price, 0.0),
        ContractedUnitPrice=price * factor, ListCost=cost, ContractedCost=cost * factor,
        BilledCost=cost * factor * n["billed"][rr], EffectiveCost=effective,
        CommitmentDiscountQuantity=effective / np.array([u[1] for u in units] + [np.nan])[commit],
        CommitmentDiscountUnit=np.array([u[0] for u in units] + [None], dtype=object)[commit])
    return _with_subcategory(frame)


def _with_subcategory(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in COLUMNS with ServiceSubcategory: the service's, else `Other (<its category>)`."""
    known = frame["ServiceName"].map(SUBCATEGORY)
    fits = known.map(SUBCATEGORY_PARENT).eq(frame["ServiceCategory"])
    frame["ServiceSubcategory"] = known.where(fits, "Other (" + frame["ServiceCategory"].astype(str) + ")")
    return frame[COLUMNS].astype(DTYPES)


def generate_sample(rows: int | None = None, *, end: dt.date | None = None, seed: int = 7,
                    months: int = 18) -> Iterator[pd.DataFrame]:
    """Yield the sample's FOCUS 1.2 daily line items, one chunk per calendar month (split when large).

    Days run from the first of the month `months - 1` months before yesterday's month through yesterday
    (`end` - 1 day; `end` defaults to today, UTC). `rows` is approximate (default `DEFAULT_ROWS`; at least
    ~25,000: one resource per service). A chunk holds at most `CHUNK_ROWS` usage rows plus the month's few
    hundred other rows. The same arguments give the same rows.
    """
    plan = _plan(DEFAULT_ROWS if rows is None else rows, end, seed, months)
    used, level = _commitment_levels(plan)
    n = plan.num
    for m, (d0, d1, first, nxt) in enumerate(plan.months):
        active = np.flatnonzero((n["first"] < d1) & (n["stop"] > d0))
        days = np.minimum(n["stop"][active], d1) - np.maximum(n["first"][active], d0)
        blocks = np.split(active, np.flatnonzero(np.diff(np.cumsum(days) // CHUNK_ROWS)) + 1)
        billed = np.zeros(len(ACCT))  # the month's usage per sub-account: the base of tax
        for b, block in enumerate(blocks):
            rr, dd, cost = plan.usage(block, d0, d1)
            frame = _usage_frame(plan, rr, dd, cost, (first, nxt))
            billed += np.bincount(n["acct"][rr], frame["BilledCost"].to_numpy(), len(ACCT))
            if b == len(blocks) - 1:
                extra = pd.DataFrame(_month_charges(plan, m, billed, used, level), columns=COLUMNS)
                frame = pd.concat([frame, _with_subcategory(extra)], ignore_index=True)
            yield frame
