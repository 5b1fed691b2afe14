"""The loyalty engine's Python client: generated stubs in `loyalty.v1`."""
