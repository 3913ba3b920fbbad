"""mkdocs-mlplugin: DVC and git facts for MkDocs sites, resolved at build time."""

__version__ = "0.1.0"
