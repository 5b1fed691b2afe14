"""End-to-end tests: the whole engine behind its gateway, driven from a real browser."""
