"""What a session remembers, declared once: ``SCHEMA`` maps a field's name to its default,
its type and what it means; the named tuples are the immutable values some fields hold.

Only ``ui.state`` reads and writes these fields (docs/architecture.md §Layers); this module
holds no state and imports no Streamlit, so the declarations read on their own.
"""
from types import MappingProxyType
from typing import NamedTuple

from core.errors import InputError
from core.scenario import Scenario
from present import share

EMPTY = MappingProxyType({})


class Field(NamedTuple):
    """One remembered value: its default and its type(s)."""

    default: object
    kind: object             # a type or a tuple of types (isinstance)
    doc: str


class SeenPick(NamedTuple):
    """The last selection taken from a view: the widget key it came with, the indices."""

    key: str
    indices: tuple


class Player(NamedTuple):
    """The training player: the scenario it shows, its frame, whether it plays."""

    scenario: Scenario
    frame: int
    playing: bool


class Upload(NamedTuple):
    """What handling an uploaded file gave: its id, the value, or the InputError."""

    file_id: str
    value: object
    error: InputError | None


class CurveRun(NamedTuple):
    """A Generalization page run: its settings, the curve table, the failed runs."""

    settings: MappingProxyType
    curve: object            # pandas.DataFrame
    failures: tuple


class Notice(NamedTuple):
    """A message shown once on the next run."""

    level: str               # "success", "info" or "error"
    message: str


NONE = type(None)
SCHEMA = {
    "ready": Field(False, bool, "the session was set up from its link"),
    "scenario": Field(None, (Scenario, NONE), "the committed (trained) scenario"),
    "history": Field(None, (tuple, NONE), "removal actions (tuples of indices); None until "
                                          "the default forget set is chosen"),
    "scale": Field(1.0, float, "c, the multiplier of the theory GA step"),
    "sequential": Field(False, bool, "one GA step a point, re-certified in between"),
    "presentation": Field(False, bool, "larger fonts and marks for talks"),
    "view": Field(share.VIEWS[0], str, "the Unlearn page's view (share.VIEWS)"),
    "draft": Field(None, (MappingProxyType, NONE), "the Data & training form's fields"),
    "step_points": Field(None, (tuple, NONE), "points of the Step size page (None: forget)"),
    "token": Field(0, int, "generation of the widget keys (``widget_key``)"),
    "plane_nonce": Field(0, int, "generation of the plane's key (a new key clears it)"),
    "table_nonce": Field(0, int, "generation of the points table's key"),
    "pick": Field((), tuple, "the selected point indices, in picking order"),
    "pick_plane_seed": Field((), tuple, "the selection the plane's key was drawn with"),
    "pick_table_seed": Field((), tuple, "the selection the table's key was drawn with"),
    "seen_plane": Field(None, (SeenPick, NONE), "last selection taken from the plane"),
    "seen_table": Field(None, (SeenPick, NONE), "last selection taken from the table"),
    "seen_data": Field(None, (SeenPick, NONE), "last selection taken from the data view"),
    "player": Field(None, (Player, NONE), "the training player"),
    "method_page": Field(None, (tuple, NONE), "methods chosen on the Methods page"),
    "method_params": Field(EMPTY, MappingProxyType, "{method: {name: value}} of the page"),
    "mia_on": Field(False, bool, "the membership audit runs on the Methods page"),
    "mia_shadows": Field(16, int, "its K shadow pairs"),
    "card_methods": Field((), tuple, "extra methods on the Unlearn page's cards"),
    "evidence_on": Field(False, bool, "the Methods page measures how forgotten it is"),
    "floor_k": Field(8, int, "K retrainings of the noise floor"),
    "ulira_k": Field(8, int, "K pairs of U-LiRA"),
    "relearn": Field(True, bool, "the relearning count runs"),
    "sweep_scaling": Field(None, object, "the Scaling page's last SweepResult"),
    "sweep_generalization": Field(None, (CurveRun, NONE), "the Generalization page's last "
                                                          "run"),
    "upload_data": Field(None, (Upload, NONE), "the data file being uploaded"),
    "upload_scenario": Field(None, (Upload, NONE), "the scenario file being loaded"),
    "notice": Field(None, (Notice, NONE), "a message for the next run"),
    "jobs": Field(EMPTY, MappingProxyType, "background jobs by slot (ui.jobs)"),
    "confirmed": Field(frozenset(), frozenset, "keys of work confirmed above the limits"),
    "trained": Field(frozenset(), frozenset, "job keys of scenarios this session trained"),
}
