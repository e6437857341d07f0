"""Small in-process caches of the audits' results (shadows, floors, attacks), one kind.

A ``Memo`` is a bounded, thread-safe mapping from a hashable key to a result, evicting the
least recently used entry. Every Memo registers itself here, so ``clear_all()`` empties
them all at once (the tests do, between cases; a long-running app could on a reload).
Results are treated as read-only by whoever reads them.

Keys name the work completely: ``data_key`` digests the data a scenario produced, so that
an uploaded file changed under the same name is never answered from the cache.
"""
from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict

_ALL = weakref.WeakSet()


class Memo:
    """A bounded LRU cache: ``get(key)`` (None when absent), ``put(key, value)``, ``clear()``."""

    def __init__(self, name, size=64):
        self.name, self.size = name, int(size)
        self._items = OrderedDict()
        self._lock = threading.Lock()
        _ALL.add(self)

    def get(self, key):
        """The value stored under ``key`` (now the most recent), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key, value):
        """Store ``value`` under ``key``, evicting the least recently used beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __contains__(self, key):
        with self._lock:
            return key in self._items

    def __len__(self):
        with self._lock:
            return len(self._items)

    def clear(self):
        """Forget every entry."""
        with self._lock:
            self._items.clear()


def clear_all():
    """Empty every Memo of the process."""
    for memo in list(_ALL):
        memo.clear()


def data_key(prepared):
    """(scenario, SHA-1 of X and y): the key of everything computed from one data set."""
    digest = hashlib.sha1(prepared.dataset.X.tobytes() + prepared.dataset.y.tobytes())
    return prepared.scenario, digest.hexdigest()
