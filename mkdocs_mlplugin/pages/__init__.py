"""PER PAGE: Markdown reference → value or block → HTML.

The reference syntax (``references``); the value of an inline reference (``values``); the
HTML or Mermaid of a block reference (``blocks``); the pages the plugin writes itself
(``generated``); and the stash that keeps inline values out of Python-Markdown's way
(``stash``). All answer from the facts of the build (``facts.site``) and read nothing else.
"""
