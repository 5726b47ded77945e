"""Tag hygiene: the required-tags policy."""
