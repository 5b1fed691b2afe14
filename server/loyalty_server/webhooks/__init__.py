"""Webhooks: endpoints, their signing secrets, and at-least-once signed delivery from the outbox."""
