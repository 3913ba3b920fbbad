"""mkdocs-mlplugin: DVC and git facts for MkDocs sites, resolved at build time."""

__version__ = "0.2.0"

#: How this version is installed until it is on PyPI: from its tag on GitHub (OWNER stands for
#: the account that publishes the repository). The README's install line and the workflow
#: ``mkdocs-ml init`` writes say the same.
REQUIREMENT = f"mkdocs-mlplugin @ git+https://github.com/OWNER/mkdocs-mlplugin@v{__version__}"
