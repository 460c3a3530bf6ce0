"""Rate limits: token buckets shared by every instance, the in-flight cap and the caller's address."""
