"""READ: every fact the build takes from the repository, and the only I/O on it.

git (``git``), DVC's files (``dvc``, with the fast reader ``dvc_fast`` that mirrors DVC's
resolver and schema), the small structured files (``structured``, with the fast YAML
reader ``yaml_fast`` that mirrors ruamel.yaml's YAML 1.2), the GTO registry
(``registry``) and past commits (``timeline``). Each read goes through ``guards``.
``reader.SiteReader`` reads them for one build, in the order the build calls it, into what a
build knows (``site.SiteFacts``).
"""
