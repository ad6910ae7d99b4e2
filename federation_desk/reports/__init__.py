"""PDF reports (ReportLab). Shared building blocks: fonts, styles, templates, flowables, tables."""
