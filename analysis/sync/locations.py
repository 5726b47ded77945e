"""Where bills live: an `s3://bucket/prefix` (boto3, the standard AWS credential chain, `AWS_ENDPOINT_URL`
honoured) or a local folder, listed as files with a fingerprint (ETag or modification time, and size).

Every failure is a `LocationError` whose message names the location and what failed in plain words.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

S3_SCHEME = "s3://"


class LocationError(RuntimeError):
    """A location could not be listed or read; the message names it and says why."""


@dataclass(frozen=True)
class RemoteFile:
    """One file at a location: its key (path below the location's root), ETag-like tag, size and time."""

    key: str
    tag: str
    size: int
    modified: float

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


class Location(Protocol):
    """A place holding billing files."""

    url: str

    def files(self) -> list[RemoteFile]:
        """Every file below the location (recursively)."""

    def read(self, key: str) -> bytes:
        """A small file's bytes (a manifest)."""

    def download(self, key: str, target: Path) -> None:
        """Copy a file to a local path."""

    def resolve(self, uri: str) -> str:
        """The key of a file a manifest names (an `s3://` URI or a key relative to the bucket)."""


def is_remote(path: str | Path) -> bool:
    """Whether a path given by a user names an S3 location."""
    return str(path).startswith(S3_SCHEME)


def open_location(url: str | Path) -> Location:
    """The location a sources file or command line names."""
    return S3Location(str(url)) if is_remote(url) else FolderLocation(Path(url))


class FolderLocation:
    """A local (or mounted) folder."""

    def __init__(self, root: Path):
        self.root = root
        self.url = str(root)

    def files(self) -> list[RemoteFile]:
        if not self.root.is_dir():
            raise LocationError(f"{self.url}: no such folder")
        found = []
        try:
            for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
                stat = path.stat()
                found.append(RemoteFile(path.relative_to(self.root).as_posix(), f"{stat.st_mtime_ns}",
                                        stat.st_size, stat.st_mtime))
        except OSError as error:
            raise LocationError(f"{self.url}: could not be listed ({error.strerror or error})") from error
        return found

    def read(self, key: str) -> bytes:
        try:
            return (self.root / key).read_bytes()
        except OSError as error:
            raise LocationError(f"{self.url}: {key} could not be read ({error.strerror or error})") from error

    def download(self, key: str, target: Path) -> None:
        try:
            shutil.copyfile(self.root / key, target)  # streamed: a month's file is never held in memory
        except OSError as error:
            raise LocationError(f"{self.url}: {key} could not be read ({error.strerror or error})") from error

    def resolve(self, uri: str) -> str:
        return uri.split("/", 3)[3] if is_remote(uri) else uri


class S3Location:
    """`s3://bucket/prefix` through boto3 (credentials from the standard chain, never from our files)."""

    def __init__(self, url: str):
        bucket, _, prefix = url[len(S3_SCHEME):].partition("/")
        if not bucket:
            raise LocationError(f"{url}: an S3 location is written s3://bucket/prefix")
        self.url, self.bucket, self.prefix = url, bucket, prefix.strip("/")
        self._client = None

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client("s3", config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                                            connect_timeout=10, read_timeout=60))
        return self._client

    def _key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def files(self) -> list[RemoteFile]:
        found = []
        start = f"{self.prefix}/" if self.prefix else ""
        with self._errors("listing the files"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):
                        continue
                    found.append(RemoteFile(item["Key"][len(start):], item["ETag"].strip('"'), int(item["Size"]),
                                            item["LastModified"].timestamp()))
        return found

    def read(self, key: str) -> bytes:
        with self._errors(f"reading {key}"):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def download(self, key: str, target: Path) -> None:
        with self._errors(f"reading {key}"), target.open("wb") as out:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            expected = int(response.get("ContentLength", -1))
            written = 0
            for chunk in _chunks(response["Body"]):
                out.write(chunk)
                written += len(chunk)
            if 0 <= expected != written:
                raise LocationError(f"{self.url}: the connection dropped while reading {key} "
                                    f"({written:,} of {expected:,} bytes)")

    def resolve(self, uri: str) -> str:
        """A manifest's file: `s3://bucket/key` or a bucket-relative key, as a key below this prefix."""
        if is_remote(uri):
            bucket, _, key = uri[len(S3_SCHEME):].partition("/")
            if bucket != self.bucket:
                raise LocationError(f"{self.url}: a manifest lists {uri}, in another bucket")
        else:
            key = uri
        start = f"{self.prefix}/" if self.prefix else ""
        if not key.startswith(start):
            raise LocationError(f"{self.url}: a manifest lists {uri}, outside this location")
        return key[len(start):]

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Boto3 and connection failures while `doing` something, as `LocationError`s in plain words."""
        try:
            yield
        except LocationError:
            raise
        except Exception as error:
            message = _s3_problem(error, self.bucket, doing)
            if message is None:
                raise
            raise LocationError(f"{self.url}: {message}") from error


def _chunks(body) -> Iterator[bytes]:
    while chunk := body.read(1 << 20):
        yield chunk


def _s3_problem(error: Exception, bucket: str, doing: str) -> str | None:
    """What went wrong, in plain words; None for an error that is not about S3 or the connection."""
    from botocore import exceptions as bx

    if isinstance(error, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return ("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                "or run where an instance or container role applies (credentials never go in sources.yaml)")
    if isinstance(error, bx.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return f"the bucket {bucket!r} does not exist"
        if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
            return f"access denied while {doing} (the credentials in use may not read this bucket)"
        if code in ("NoSuchKey", "404") or status == 404:
            return f"not found while {doing}"
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            return f"the AWS credentials were refused ({code}) while {doing}"
        return f"S3 refused {doing}: {code or status} {error.response.get('Error', {}).get('Message', '')}"
    if isinstance(error, (bx.EndpointConnectionError, bx.ConnectionClosedError, bx.ReadTimeoutError,
                          bx.ConnectTimeoutError, bx.ResponseStreamingError, bx.IncompleteReadError,
                          ConnectionError, TimeoutError)):
        return f"the connection failed while {doing} ({type(error).__name__})"
    if isinstance(error, bx.BotoCoreError | OSError):
        return f"{doing} failed: {error}"
    return None
