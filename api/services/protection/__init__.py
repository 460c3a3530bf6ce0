"""Data protection over time: key rotation, re-encryption, blind-index rotation and retention, in bounded batches."""
