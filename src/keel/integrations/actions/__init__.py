"""Every write of monitoring: one module per concept, keyword-only, with an explicit actor where a
person can act (``None`` = Keel itself).

Set-up, written by people through the console, the API, the admin and the CLI and audited field
by field (``keel.audit``): ``sources`` (and their secrets), ``windows`` (maintenance), ``rules``
(correlation).

What monitoring tools send, written by Keel: ``intake`` stores each request raw before answering;
``processing`` is the pump that claims stored payloads, has ``alerts`` apply their signals in
memory and ``decisions`` decide about incidents, then writes the batch; ``sweep`` is the periodic
part (leases, flapping, decisions that wait on time). Alert events are their history, not audit
rows; a person acknowledging an alert (``alerts.acknowledge_alert``) is audited.

The hand-written statements these use live in ``integrations/rows.py``.
"""
