"""Reusable widgets: the data table, search box, page header, dashboard card and form dialog."""
