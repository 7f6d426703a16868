"""Figures and reports (matplotlib; the HTML report lives in :mod:`sselab.report.html`)."""
