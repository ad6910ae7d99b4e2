"""Persistence plumbing: engines, sessions, the audit hook and migrations."""
