"""Bulk imports (`loyalty import members|points FILE`): streamed, resumable, idempotent per row."""
