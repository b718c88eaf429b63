"""The reporting console: the CI record (records.py), the hotspot report (hotspots.py) and the
audit trail (audit.py), each a page and, for the reports, its CSV."""
