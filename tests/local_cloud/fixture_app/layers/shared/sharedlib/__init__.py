"""A module that lives in the fixture's layer: importable only if layers are on sys.path."""

import os
from typing import Any

import boto3

LAYER_MARK = "shared-layer"


def records_table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])
