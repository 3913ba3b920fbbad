"""DECIDE: pure checks from facts to findings.

Pipeline staleness (``pipeline``), doc drift and pins (``drift``), model cards (``cards``),
a page's ``ml:`` binding and the drift and pin checks over bound pages (``bindings``).
"""
