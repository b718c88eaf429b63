"""Every write on an incident: one function per business verb, called by the UI, the API, the CLI,
the demo loader and the scheduler alike.

Each action locks the incident row, does nothing when nothing changes, checks the permission
predicates, writes one timeline entry plus an audit row per changed field, bumps ``version`` and
publishes its event after commit. ``actor=None`` means Keel itself (the auto-close job).

One module per concept: ``records`` (open, edit, watch), ``assignment``, ``lifecycle``
(transitions, auto-close), ``conversation`` (comments, attachments), ``reference`` (the category
tree and the priority matrix, audited as set-up records). ``_state`` holds the one function that
assigns ``Incident.state``; ``_record`` the steps every action shares.
"""
