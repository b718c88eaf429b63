"""Every write of the SLA app: one function per business verb, keyword-only, explicit actor.

One module per concept:

- ``setup``: calendars (an edit that changes how time counts stores a new version), policies, and
  the daily extension of calendars' public holidays; audited through ``keel.audit``. The API and
  the admin call these.
- ``clocks``: the clocks that follow an incident (``sync_clocks``, called by incidents' actions:
  attach, pause, resume, stop, re-match and retarget) and a calendar edit (``recalibrate``).
- ``history``: a clock row's events (read once per locked row), their replay, the cached columns
  written back, and the warnings and breaches that fell due (``settle``), shared by the two above
  and the sweep.
- ``sweep``: the periodic sweep that fires warnings and breaches, a locked batch at a time.

Clock rows and events are the engine's own bookkeeping: their events are their history, so they
leave no audit rows. Hand-written SQL for the hot paths lives in ``sla/rows.py``.
"""
