"""What a browser would send for a form on a page: its fields and their current values, read from
the HTML, so a test can change a few of them and post the rest as they were (the admin's add and
change pages, their inlines and split date-time inputs included).

    data = form_data(client.get(url).content.decode(), form_id="team_form")
    client.post(url, {**data, "name": "Database administrators"})
"""

from html.parser import HTMLParser

FormData = dict[str, list[str]]

# Inputs whose value a browser sends as it is; checkboxes and radios only when checked; buttons only when clicked.
_TEXTUAL = {"text", "hidden", "number", "email", "url", "password", "search", "tel", "date", "time", "datetime-local"}


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: FormData = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option: dict[str, str | None] | None = None
        self._option_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = found.get("name")
        if tag == "input" and name:
            kind = (found.get("type") or "text").lower()
            if kind in _TEXTUAL or (kind in {"checkbox", "radio"} and "checked" in found):
                self._add(name, found.get("value") or ("on" if kind in {"checkbox", "radio"} else ""))
        elif tag == "select" and name:
            self._select, self._first_option, self._chosen = name, None, False
            self._multiple = "multiple" in found
        elif tag == "option" and self._select is not None:
            self._option, self._option_text = found, []
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        if self._option is not None:
            self._option_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser hands back the text after the newline that follows <textarea>, as browsers do.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option.get("value")
            value = "".join(self._option_text).strip() if value is None else value
            if self._first_option is None:
                self._first_option = value
            if "selected" in self._option:
                self._add(self._select, value)
                self._chosen = True
            self._option = None
        elif tag == "select" and self._select is not None:
            # A single select with nothing marked sends its first option.
            if not self._chosen and not self._multiple and self._first_option is not None:
                self._add(self._select, self._first_option)
            self._select = None

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)


def form_data(html: str, *, form_id: str) -> FormData:
    """Every value the form with this id would send, by field name (a list: selects may send several)."""
    reader = _FormReader(form_id)
    reader.feed(html)
    assert reader.data, f"No form with id {form_id!r} (or it has no fields) on the page."
    return reader.data
