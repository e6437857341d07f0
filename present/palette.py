"""One palette keyed by method: the same colour and label for a method in every chart,
card, figure and slide, whatever else is selected (docs/architecture.md).

A method's colour and label are declared with it in the registry (``core.registry``); a
method registered without a colour takes a spare colour chosen by its name (a stable hash),
never by its position in a selection.
"""
import zlib

from core.errors import InputError
from core.registry import get
from core.registry import label as registry_label

# Spare colours for methods registered without one (none of them is a built-in's colour).
SPARE_COLORS = ("#ff7f0e", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
                "#3182bd", "#e6550d")


def color(name):
    """The method's colour: its own, else a spare one fixed by its name."""
    try:
        own = get(name).color
    except InputError:
        own = None
    if own:
        return own
    return SPARE_COLORS[zlib.crc32(str(name).encode()) % len(SPARE_COLORS)]


def label(name):
    """The method's display name (its name when it is not registered)."""
    return registry_label(name)


def colors(names):
    """{name: colour} for ``names``."""
    return {n: color(n) for n in names}


def scale(names):
    """An Altair colour scale of the methods' labels (domain) and colours (range)."""
    import altair as alt

    names = list(names)
    return alt.Scale(domain=[label(n) for n in names], range=[color(n) for n in names])
