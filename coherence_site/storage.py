"""Where stored files live: the settings of the S3-compatible bucket, read from the environment.

Settings use it when ``AWS_STORAGE_BUCKET_NAME`` is set; tests use it to point a process at a bucket of their own.
Downloads never go to the bucket's address: the bucket stays private and the permission-checked views stream each
file (``assessments.uploads.file_response``; docs/architecture.md says why).
"""

from __future__ import annotations

from collections.abc import Mapping

BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(env: Mapping[str, str]) -> dict:
    """The ``STORAGES["default"]`` entry for the bucket that ``env`` names (AWS_* variables)."""
    from botocore.config import Config

    timeout = float(env.get("AWS_S3_TIMEOUT", "10"))
    return {
        "BACKEND": BACKEND,
        "OPTIONS": {
            "bucket_name": env["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env.get("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env.get("AWS_S3_REGION_NAME") or None,
            "location": env.get("AWS_LOCATION", ""),
            # Private: no ACL on the objects (the bucket's own policy, private by default), no public URLs.
            "default_acl": None,
            "querystring_auth": True,
            # A file read from the bucket (to stream a download) is spooled: in memory up to this size, then in a
            # temporary file (FILE_UPLOAD_TEMP_DIR). django-storages' default, 0, would keep a whole file in memory.
            "max_memory_size": int(env.get("AWS_S3_MAX_MEMORY_SIZE", str(2 * 1024 * 1024))),
            # As on a disk: a second file of the same name gets a new name, never replaces the first.
            "file_overwrite": False,
            # A hung storage must not hold a web worker: short timeouts, a few retries by botocore. Path-style
            # addresses work with every S3-compatible server (MinIO, moto, Garage…).
            "client_config": Config(
                s3={"addressing_style": env.get("AWS_S3_ADDRESSING_STYLE", "path")},
                signature_version="s3v4",
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": int(env.get("AWS_S3_MAX_ATTEMPTS", "3")), "mode": "standard"},
            ),
        },
    }
