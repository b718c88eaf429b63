"""What ``keel user`` and ``keel token`` share: a command made of verbs (``create``, ``list``…)."""

from argparse import ArgumentParser


def verb_parsers(parser: ArgumentParser, **verbs: str) -> dict[str, ArgumentParser]:
    """One parser per verb, with its help, for the verb's own arguments; the verb is ``options["verb"]``."""
    chosen = parser.add_subparsers(dest="verb", required=True)
    return {verb: chosen.add_parser(verb, help=text) for verb, text in verbs.items()}
