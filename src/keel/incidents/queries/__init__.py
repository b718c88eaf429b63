"""Every read on incidents, named for what it returns and starting from the user who asks.

One module per concept: ``records`` (incidents as models: who sees what, one incident, a page of
the console's queue; the reference data around them), ``listing`` (what a list asks for and
answers: filters, the named queues, a page), ``documents`` (the incident as the API shows it),
``context`` (what an agent sees about a CI while logging an incident, and Keel's impact proposal).
The hand-written statements they run are in ``incidents/rows.py``.
"""
