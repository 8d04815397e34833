"""An S3-compatible server for the object-storage tests: moto's server mode, a real process on a real port.

``.ci/run`` starts one and names it in ``S3_TEST_ENDPOINT_URL``; elsewhere the first test that needs it starts
one of its own (``.venv/bin/moto_server``) for the session. Each test gets a bucket of its own (``S3Bucket``),
and ``S3Bucket.env`` gives the environment that points another process (a worker, gunicorn, manage.py) at it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests

from coherence_site.storage import s3_storage
from tests.processes import free_port

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_S3_REGION_NAME": "us-east-1"}


def _answers(endpoint: str) -> bool:
    try:
        return requests.get(endpoint, timeout=2).status_code < 500
    except requests.RequestException:
        return False


class S3Server:
    """moto's S3 server: the one CI started, or a process of this test session's own."""

    def __init__(self, directory: Path):
        self.endpoint = os.environ.get("S3_TEST_ENDPOINT_URL", "")
        self.process: subprocess.Popen | None = None
        if self.endpoint:
            if not _answers(self.endpoint):
                pytest.fail(f"S3_TEST_ENDPOINT_URL={self.endpoint} does not answer (.ci/run starts moto_server)")
            return
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        moto_server = Path(sys.executable).with_name("moto_server")
        self.log = open(directory / "moto.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while not _answers(self.endpoint):
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"moto_server did not start: {(directory / 'moto.log').read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.log.close()


@dataclass
class S3Bucket:
    """A fresh private bucket on the test S3 server."""

    name: str
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """The environment variables that point a process's storage at this bucket."""
        return {"AWS_STORAGE_BUCKET_NAME": self.name, "AWS_S3_ENDPOINT_URL": self.endpoint, **CREDENTIALS}

    @property
    def storage(self) -> dict:
        """The ``STORAGES["default"]`` entry for this bucket (what settings make of ``env``)."""
        return s3_storage(self.env)

    @property
    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_S3_REGION_NAME"],
        )

    def create(self) -> S3Bucket:
        self.client.create_bucket(Bucket=self.name)
        return self

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def checksums(self) -> dict[str, str]:
        """Each object's SHA-256, by key."""
        return {
            key: hashlib.sha256(self.client.get_object(Bucket=self.name, Key=key)["Body"].read()).hexdigest()
            for key in self.keys()
        }

    @staticmethod
    def fresh(endpoint: str) -> S3Bucket:
        return S3Bucket(f"coherence-test-{uuid.uuid4().hex[:12]}", endpoint).create()
