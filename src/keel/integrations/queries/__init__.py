"""Reads on monitoring, named for what they return: ``alerts`` (scoped by the user who asks) and
the alert list's ``filters``, ``sources`` and what they sent, ``setup`` (maintenance windows,
correlation rules, change events), and ``placement`` (where in the CMDB an alert's labels are)."""
