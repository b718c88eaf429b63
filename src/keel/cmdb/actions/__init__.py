"""Every write on the CMDB: one function per verb, keyword-only, with an explicit actor (None = Keel).

Each checks ``can_manage_cmdb``, validates the whole record before saving (bad input changes
nothing), is a no-op when nothing changes, writes its audit rows in the same transaction
(``keel.audit``) and publishes ``CMDBChanged`` on commit.

One module per concept: ``records`` (CI types, CIs, business services), ``relationships``,
``transfer`` (the CSV import's writes), ``names`` (the name rows monitoring matches on);
``_common`` holds the steps they share.
"""
