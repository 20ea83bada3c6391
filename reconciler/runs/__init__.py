"""The runs that do I/O: a plan session, apply, saved plans, import, offline rule tests."""
