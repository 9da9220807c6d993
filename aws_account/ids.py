"""The ids the simulated account makes where AWS or a provider would make a random or time-based one: each is
derived from what names the resource (its URN, mostly) instead, so that a run of the program is repeatable."""

import hashlib
import uuid


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def urn_uuid(urn: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, urn))


def prefixed_unique_id(prefix: str, urn: str) -> str:
    """The Terraform plugin SDK's id.PrefixedUniqueId, which the provider uses for bucket_prefix and attachment
    ids: the prefix, then 18 digits (the UTC time to 1/10000 s) and an 8-digit hex counter. The simulation
    derives them from the resource's URN instead, so that a run of the program is repeatable."""
    digest = hashlib.sha256(urn.encode()).hexdigest()
    return f"{prefix}{int(digest[:32], 16) % 10 ** 18:018d}{digest[32:40]}"
