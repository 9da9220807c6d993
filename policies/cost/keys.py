"""Keys and secrets: KMS customer managed keys (with what their rotations add) and Secrets Manager secrets."""

from dataclasses import replace

from . import wire
from .estimate import Charge
from .meter import Context, Pricer
from .plan import Resource

# A key with automatic rotation bills $1 a month, plus $1 for each of its first two rotations; later rotations are
# free (AWS KMS pricing, since May 2024): three key-months once it has rotated twice.
KMS_BILLED_KEY_VERSIONS = 3
KMS_DEFAULT_ROTATION_DAYS = 365


def _kms_key(key: Resource, context: Context) -> list[Charge]:
    rotated = wire.boolean(key.get("enableKeyRotation"), f"enableKeyRotation of {key.name}")
    if not rotated:
        return [context.meter.charge("kms.key", 1, "1 customer managed key")]
    days = key.number("rotationPeriodInDays", KMS_DEFAULT_ROTATION_DAYS)
    settled = context.meter.charge(
        "kms.key", KMS_BILLED_KEY_VERSIONS,
        f"1 customer managed key rotated every {days:.0f} days: its first two rotations add $1 a month each (later "
        f"ones are free), so 3 key-months from day {2 * days:.0f} on; 1 before its first rotation")
    return [replace(settled, first_year_usd=settled.usd / KMS_BILLED_KEY_VERSIONS)]


def _secret(secret: Resource, context: Context) -> list[Charge]:
    return [context.meter.charge("secretsmanager.secret", 1, "1 secret")]


PRICERS: dict[str, Pricer] = {
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
}
