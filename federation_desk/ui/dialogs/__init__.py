"""Dialogs. Each has a class method ``ask()`` that tests can replace."""
