"""Console forms: turn what a person typed into the arguments of one action or query.

No business rules here. The action decides; its errors come back next to the field they name
(see ``views.common.show_error``). A form only checks what it needs to build the arguments.
Split by concept: ``queue`` (the list's query string), ``incident`` (create and edit),
``steps`` (transition, assign, comment, attach), ``fields`` (shared field types).
"""
