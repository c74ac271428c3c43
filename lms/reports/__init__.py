"""Organizer evaluation reports: read-only analytics as SQL aggregates, SVG charts, exports.

Reports write nothing. Each ``*.py`` here answers one question (overview, needs, learning,
item analysis, reaction, module health); ``views.py`` shows them and ``tables.py`` turns them
into tables that the pages render and the CSV/XLSX exports download.
"""
