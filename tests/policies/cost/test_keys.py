"""Keys and secrets (policies/cost/keys.py): KMS keys bill their first two rotations."""

from pytest import approx

from tests.policies.cost.builders import KMS_KEY, kms_key, line, priced


def test_issue_24_a_rotated_key_settles_at_three_dollars_a_month():
    # $1 for the key, +$1 after each of its first two yearly rotations, later ones free: $3 from its third year;
    # $1 before its first rotation
    result = priced([kms_key(rotated=True)])
    item = line(result, KMS_KEY, "key")
    assert item.usd == approx(3.00) and item.first_year_usd == approx(1.00)
    assert result.total == approx(3.00) and result.first_year_total == approx(1.00)
    assert "3 key-months from day 730 on" in item.basis


def test_a_key_rotated_every_90_days_settles_after_180():
    item = line(priced([kms_key(rotated=True, rotationPeriodInDays=90)]), KMS_KEY, "key")
    assert item.usd == approx(3.00) and "from day 180 on" in item.basis


def test_a_key_without_rotation_stays_at_one_dollar():
    item = line(priced([kms_key(rotated=False)]), KMS_KEY, "key")
    assert item.usd == approx(1.00) and item.first_year_usd == approx(1.00)
