"""REST for the RPCs: routes read from the protos' google.api.http annotations."""
