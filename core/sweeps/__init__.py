"""The experiment layer: sweeps over parameters and seeds, their executors (threads,
processes, Dask), sequential-forgetting curves, the paper's claims and ``reproduce``.

Built on the numeric core (``core.compare``); nothing below ``core/`` imports it.
"""
