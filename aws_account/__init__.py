"""The simulated AWS account: what the mock engine's resources are created in, refused by, and read from."""
