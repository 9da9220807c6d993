"""The release rehearsal: one delivery of a commit played through the simulated account, stage by stage, as the
principal that really makes each call, on a clock (`python -m offline rehearse`)."""
