"""DECIDE: pure checks from facts to findings.

Pipeline staleness (``pipeline``), doc drift and pins (``drift``), model cards (``cards``).
"""
