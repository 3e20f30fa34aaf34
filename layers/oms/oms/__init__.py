"""Cirrus OMS shared package (deployed as the Lambda layer).

Layers, imports pointing inward only:
- ``oms.domain``: pure models and rules (no I/O, no boto3, no environment).
- ``oms.data``: DynamoDB access (pynamodb) mapping records to and from domain models.
- ``oms.services``: use cases that combine the domain with repositories and adapters.
- ``oms.adapters``: the outside world (Step Functions, tokens, passwords).
- ``oms.api``: the Chalice HTTP app (thin routes over services).
"""

__version__ = "0.1.0"  # the project version (pyproject.toml); the OpenAPI document carries it
