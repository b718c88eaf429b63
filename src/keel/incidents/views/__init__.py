"""The agent console: server-rendered pages, made smoother (never possible) by htmx.

Split by concept: ``queue`` (lists), ``detail`` (one record), ``editing`` (create and edit forms),
``workflow`` (the steps taken on a record), ``lookups`` (small htmx helpers). Every view fetches
through ``get_incident_for``, calls one action or query, and renders.
"""
