"""PER PAGE: the reference syntax (``references``), the values and blocks it resolves to
(``resolve``), and the stash that keeps inline values out of Python-Markdown's way (``stash``).
"""
