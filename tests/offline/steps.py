"""One engine step against a simulated account, as the mock engine hands it over."""

from offline.engine import ResourceStep


def register(cloud, typ, name, inputs, prerequisites=(), delete_before_replace=False, urn=None, ignore_changes=()):
    """Create (or update, for a URN seen before) one resource; its state as the provider answered."""
    step = ResourceStep(urn or f"urn:pulumi:dev::p::{typ}::{name}", list(prerequisites), delete_before_replace,
                        list(ignore_changes), typ=typ, name=name, inputs=inputs, custom=True)
    return cloud.new_resource(step)[1]
