"""READ: every fact the build takes from the repository, and the only I/O on it.

git (``git``), DVC's files (``dvc``, with the fast reader ``dvc_fast`` that mirrors DVC's
resolver and schema), the small structured files (``structured``, with the fast YAML
reader ``yaml_fast`` that mirrors ruamel.yaml's YAML 1.2), the GTO registry
(``registry``) and past commits (``timeline``). Each read goes through ``guards``.
``reader.SiteReader`` reads them for one build, in the order the build calls it, into what a
build knows (``site.SiteFacts``).

DVC itself is optional (the ``dvc`` extra): the plain forms of its files are read without it,
and its own schema, resolver and DVC 2 hashing are imported only for the others; without it,
such a form is a finding that says to install the extra (``DVC_EXTRA``).
"""

#: what to install when a file needs DVC's own code and DVC is not there
DVC_EXTRA = "mkdocs-mlplugin[dvc]"
