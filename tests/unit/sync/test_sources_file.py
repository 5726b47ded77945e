"""The sources file: every problem named by file, source and field; no secrets; unique names."""

import pytest

from analysis.sync.sources import SourcesError, SourcesStore, parse_sources


@pytest.mark.parametrize(("text", "message"), [
    ("sources: [", "sources.yaml: YAML syntax error at line 1"),
    ("source: []", "sources.yaml: expected a mapping with one key, 'sources', holding a list of sources"),
    ("sources: [3]", "sources.yaml, source #1: expected a mapping of fields, found int"),
    ("sources:\n  - name: a\n    location: s3://b/p\n    kind: ftp\n", "sources.yaml, source 'a', field kind: Input should be"),
    ("sources:\n  - name: a\n    location: s3://b/p\n    aws_secret_access_key: x\n",
     "sources.yaml, source 'a', field aws_secret_access_key: sources.yaml never holds secrets"),
    ("sources:\n  - name: a\n    location: s3://key:pw@b/p\n", "sources.yaml, source 'a', field location: an S3 location names no"),
    ("sources:\n  - name: a\n    location: /x\n  - name: A\n    location: /y\n",
     "sources.yaml, source 'A', field name: two sources are named 'A'; names must be unique"),
])
def test_a_bad_sources_file_names_the_source_and_field(text, message):
    with pytest.raises(SourcesError) as caught:
        parse_sources(text)
    assert str(caught.value).startswith(message)


def test_a_valid_file_is_read_and_an_invalid_one_is_not_saved(tmp_path):
    store = SourcesStore(tmp_path)
    assert parse_sources("") == [] and store.sources()[0] == []
    token = store.save("sources:\n  - name: aws\n    location: s3://bills/cur\n    schedule: hourly\n", store.read()[1])
    (source,), _ = store.sources()
    assert (source.name, source.location, source.kind, source.schedule, source.enabled) == \
        ("aws", "s3://bills/cur", "auto", "hourly", True)
    with pytest.raises(SourcesError):
        store.save("sources:\n  - name: aws\n", token)
    assert store.sources()[0] == [source]
