"""Material's blog: post URLs from resolved titles.

Material's blog plugin reads its posts itself, in its ``on_files``, and makes each post's URL
from a slug of its title (``post_slugify`` of the first heading or ``title:``), before any
page's Markdown is built: a title ``# Release {ml param train.lr}`` would give the slug
``release-ml-param-train-lr``. ``slug_posts`` makes the slug again from the title with its
references resolved, as the post will show it, and moves the post there, as the blog plugin
places a post (``post_url_format``). A post whose front matter sets ``slug:`` keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File

from mkdocs_mlplugin.findings import log


def slug_posts(config: MkDocsConfig, text: Callable[[str, File], str]) -> None:
    """Give each post of each blog of CONFIG whose title holds references the slug of its
    title as TEXT resolves it (TEXT: the title, written on the post's file -> plain text)."""
    for name, plugin in config.plugins.items():
        if name.split(" #")[0] != "material/blog" or not plugin.config.get("enabled", True):
            continue
        blog = getattr(plugin, "blog", None)
        for post in getattr(blog, "posts", None) or ():
            title = post.title or ""
            resolved = text(title, post.file)
            if post.config.slug or resolved == title:
                continue
            options = plugin.config
            post.config.slug = options.post_slugify(resolved, options.post_slugify_separator)
            _move(plugin, post, config)


def _move(plugin: Any, post: Any, config: MkDocsConfig) -> None:
    """Put POST where PLUGIN (Material's blog) places a post with its slug, as the blog
    plugin's own ``_resolve_post`` does."""
    place = getattr(plugin, "_format_path_for_post", None)
    if place is None:  # a Material release that places posts otherwise
        log.debug(f"the blog post {post.file.src_uri} keeps its slug.")
        return
    target = File(place(post, config), config.docs_dir, config.site_dir, config.use_directory_urls)
    post.file.dest_uri = target.dest_uri
    post.file.abs_dest_path = target.abs_dest_path
    post.file.url = target.url
    post._set_canonical_url(config.site_url)
