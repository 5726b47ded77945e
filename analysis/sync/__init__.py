"""Bills where they live: S3 and folder locations, AWS export manifests, and the sync that keeps the cache current."""
