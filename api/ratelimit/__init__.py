"""Rate limits: token buckets shared by every instance, the in-flight cap, the caller's address, and the subscription
connections per member and app counted across instances."""
