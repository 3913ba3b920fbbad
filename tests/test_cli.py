"""``mkdocs-ml``: the plugin's checks for CI and pre-commit, without rendering a site.

Every test runs the installed console script (the one next to this interpreter, as a user's
shell or pre-commit would) against a real git + DVC project, and compares what it says with what
a real ``mkdocs build`` says. The pre-commit hook is exercised by really installing pre-commit
into a temporary repository and committing.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT, Repo, snapshot
from pre_commit.clientlib import load_manifest

BIN = Path(sys.executable).parent
MKDOCS_ML = BIN / "mkdocs-ml"

MODEL_CARD = """\
---
ml:
  artifact: classifier
---
# Classifier

Trained with lr {ml param train.lr}; model md5 {ml artifact classifier md5}.
Accuracy {ml metric accuracy}, updated {ml page updated}.

{ml provenance}

{ml pipeline}
"""

# Line 5 names a stage that does not exist, line 7 a param that does not exist.
BROKEN = """\
# Broken

Some text.

Run {ml stage trian} first.

The rate is {ml param train.rl}.
"""

SEVERITY = {"ERROR": "error", "WARNING": "warn", "INFO": "info"}
BUILD_FINDING = re.compile(r"^(ERROR|WARNING|INFO)\s+-\s+mlplugin: (.+ \[[a-z_]+\])$", re.MULTILINE)
CHECK_FINDING = re.compile(r"^(?:(\S+): )?(error|warn|info): (.+ \[[a-z_]+\])$", re.MULTILINE)


def ml(repo: Repo, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs-ml ARGS`` in the repository, as a user would."""
    return repo.run(str(MKDOCS_ML), *args, cwd=cwd, check=False)


def build_findings(output: str) -> list[tuple[str, str]]:
    """(severity, 'file:line: message [kind]') for every finding a build logged."""
    return sorted((SEVERITY[level], text) for level, text in BUILD_FINDING.findall(output))


def check_findings(output: str) -> list[tuple[str, str]]:
    """The same, from ``mkdocs-ml check``'s text output."""
    return sorted(
        (severity, f"{where}: {text}" if where else text)
        for where, severity, text in CHECK_FINDING.findall(output)
    )


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in result.stdout + result.stderr


# ---------------------------------------------------------------------------- check


def test_check_passes_a_clean_site_and_says_how_much_it_checked(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n", "model.md": MODEL_CARD})
    pipeline.commit("Docs")
    result = ml(pipeline, "check", "-f", "mkdocs.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "0 errors, 0 warnings on 2 pages."
    assert no_traceback(result)


def test_check_reports_a_broken_reference_with_the_words_mkdocs_build_uses(
    pipeline: Repo,
) -> None:
    pipeline.site({"index.md": "# Home\n", "x.md": BROKEN})
    pipeline.commit("Docs")
    pipeline.write("docs/draft.md", "# Not committed yet\n")  # an info finding too

    check = ml(
        pipeline, "check", "-f", "mkdocs.yml", "--verbose"
    )  # information too, as in the build log
    build = pipeline.build()

    assert check.returncode == 1, check.stdout + check.stderr
    assert (
        "docs/x.md:5: error: '{ml stage trian}': no stage 'trian'. Did you mean 'train'? "
        "[missing_reference]"
    ) in check.stdout.splitlines()
    assert not build.ok
    found = check_findings(check.stdout)
    assert len(found) == 3, check.stdout
    assert found == build_findings(build.output)
    assert check.stdout.splitlines()[-1] == "2 errors, 0 warnings on 3 pages."
    assert no_traceback(check)


def test_a_shallow_ci_checkout_warns_and_fails_only_under_strict(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\nUpdated {ml page updated}.\n"})
    pipeline.commit("Docs")
    clone = pipeline.home / "shallow"
    pipeline.git("clone", "-q", "--depth", "1", f"file://{pipeline.path}", str(clone))

    relaxed = ml(pipeline, "check", "-f", "mkdocs.yml", cwd=clone)
    strict = ml(pipeline, "check", "-f", "mkdocs.yml", "--strict", cwd=clone)

    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert strict.returncode == 1, strict.stdout + strict.stderr
    for result in (relaxed, strict):
        assert "warn: the git checkout is shallow" in result.stdout
        assert "fetch-depth: 0" in result.stdout
        assert "docs/index.md:3: warn: '{ml page updated}'" in result.stdout
        # a shallow clone has no tags either: the registry of the declared artifact is empty
        assert "warn: the checkout is shallow and has no tags" in result.stdout
        assert result.stdout.splitlines()[-1] == "0 errors, 3 warnings on 1 page."


def test_json_output_counts_errors_and_warnings_and_lists_each_finding(pipeline: Repo) -> None:
    pipeline.site(
        {"index.md": "# Home\n", "x.md": BROKEN},
        plugin={"checks": {"uncommitted_page": "warn"}},
    )
    pipeline.commit("Docs")
    pipeline.write("docs/draft.md", "# Not committed yet\n")

    result = ml(pipeline, "check", "-f", "mkdocs.yml", "--format", "json")
    text = ml(pipeline, "check", "-f", "mkdocs.yml")

    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 2
    assert report["warnings"] == 1
    assert sorted(report["findings"], key=lambda f: (f["file"], f["line"] or 0)) == [
        {
            "severity": "warn",
            "kind": "uncommitted_page",
            "file": "docs/draft.md",
            "line": None,
            "message": "the page is not committed yet, so it has no git dates.",
        },
        {
            "severity": "error",
            "kind": "missing_reference",
            "file": "docs/x.md",
            "line": 5,
            "message": "'{ml stage trian}': no stage 'trian'. Did you mean 'train'?",
        },
        {
            "severity": "error",
            "kind": "missing_reference",
            "file": "docs/x.md",
            "line": 7,
            "message": "'{ml param train.rl}': no param 'train.rl' in params.yaml. "
            "Did you mean 'train.lr'?",
        },
    ]
    as_text = sorted(
        (
            f["severity"],
            f"{f['file']}{':' + str(f['line']) if f['line'] else ''}: {f['message']} [{f['kind']}]",
        )
        for f in report["findings"]
    )
    assert as_text == check_findings(text.stdout)


# ---------------------------------------------------------------------------- github


def test_github_annotations_name_pages_by_their_path_from_the_git_root(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n", "x.md": BROKEN}, where="docs-site")
    pipeline.commit("Docs")
    pipeline.write("docs-site/docs/draft.md", "# Not committed yet\n")

    result = ml(pipeline, "check", "-f", "docs-site/mkdocs.yml", "--format", "github", "-v")

    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == [
        "::error file=docs-site/docs/x.md,line=5,title=mlplugin missing_reference::"
        "'{ml stage trian}': no stage 'trian'. Did you mean 'train'?",
        "::error file=docs-site/docs/x.md,line=7,title=mlplugin missing_reference::"
        "'{ml param train.rl}': no param 'train.rl' in params.yaml. Did you mean 'train.lr'?",
        "::notice file=docs-site/docs/draft.md,title=mlplugin uncommitted_page::"
        "the page is not committed yet, so it has no git dates.",
    ]


def test_github_annotation_of_a_stale_stage_points_at_dvc_yaml_from_the_git_root(
    pipeline: Repo,
) -> None:
    """The site lives in docs-site/, the DVC project at the git root: the annotation must name
    dvc.yaml as GitHub sees it, so the error shows on that line in the pull request."""
    pipeline.site({"index.md": "# Home\n"}, where="docs-site")
    params = pipeline.read("params.yaml").replace("lr: 0.05", "lr: 0.07")
    pipeline.write("params.yaml", params)
    pipeline.commit("Docs, and a new learning rate without dvc repro")
    train_line = pipeline.read("dvc.yaml").splitlines().index("  train:") + 1

    result = ml(pipeline, "check", "-f", "docs-site/mkdocs.yml", "--format", "github")

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"::error file=dvc.yaml,line={train_line},title=mlplugin stale_pipeline::"
        "stage 'train' is stale: changed deps: params.yaml: modified train.lr. "
        "Run 'dvc repro train' and commit dvc.lock."
    ]


def test_github_annotations_escape_percent_comma_colon_and_newlines(pipeline: Repo) -> None:
    """GitHub's workflow commands: in the message (data) % is escaped; in a property (file=,
    title=) also ':' and ','. Names carry such characters into messages; a line break in a name
    is shown as '\\n', as in every other output, so it never starts a line of its own."""
    with open(pipeline.path / "params.yaml", "a", encoding="utf-8") as fh:
        fh.write('"rate\\nlimit": 3\n')  # a key with a line break in it
    page = 'Odd {ml stage "tra,in:1%"}\n\nRate {ml param ratelimit}\n'
    pipeline.site({"index.md": "# Home\n", "50%,off:now.md": page}, where="docs-site")
    pipeline.commit("Docs")

    result = ml(pipeline, "check", "-f", "docs-site/mkdocs.yml", "--format", "github")

    assert result.returncode == 1
    where = "file=docs-site/docs/50%25%2Coff%3Anow.md"
    assert result.stdout.splitlines() == [
        f"::error {where},line=1,title=mlplugin missing_reference::"
        """'{ml stage "tra,in:1%25"}': no stage 'tra,in:1%25'. Did you mean 'train'?""",
        f"::error {where},line=3,title=mlplugin missing_reference::"
        "'{ml param ratelimit}': no param 'ratelimit' in params.yaml. "
        "Did you mean 'rate\\nlimit'?",
    ]


# ---------------------------------------------------------------------------- manifest


def test_manifest_command_prints_the_manifest_a_build_writes(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n\n{ml git short}\n", "model.md": MODEL_CARD})
    pipeline.commit("Docs", date="2024-02-01T10:00:00+00:00")
    pipeline.write("docs/draft.md", "# Draft\n\n{ml stage train status}\n")

    printed = ml(pipeline, "manifest", "-f", "mkdocs.yml")
    build = pipeline.build()

    assert printed.returncode == 0, printed.stderr
    assert build.ok, build.output
    manifest = json.loads(printed.stdout)
    assert manifest == build.manifest()
    assert sorted(p["src"] for p in manifest["pages"]) == [
        "docs/draft.md",
        "docs/index.md",
        "docs/model.md",
    ]
    assert manifest["findings"][0]["kind"] == "uncommitted_page"
    # byte for byte what the build wrote; each page and each finding on a line of its own
    written = (build.site / "ml-manifest.json").read_text("utf-8")
    assert printed.stdout == written
    lines = [line.strip().rstrip(",") for line in written.splitlines()]
    for record in [*manifest["pages"], *manifest["findings"]]:
        assert json.dumps(record) in lines
    assert written.startswith('{\n  "manifest_version": 1,\n  "generator": ')


# ---------------------------------------------------------------------------- usage errors


def test_a_missing_config_file_is_a_one_line_usage_error(pipeline: Repo) -> None:
    for command in ("check", "manifest"):
        result = ml(pipeline, command, "-f", "site/mkdocs.yml")
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "mkdocs-ml: site/mkdocs.yml does not exist: name the site's config with -f."
        ]


def test_a_config_without_the_plugin_is_a_one_line_usage_error(pipeline: Repo) -> None:
    pipeline.write("mkdocs.yml", "site_name: Plain\n")
    pipeline.write("docs/index.md", "# Home\n")
    for command in ("check", "manifest"):
        result = ml(pipeline, command, "-f", "mkdocs.yml")
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "mkdocs-ml: mkdocs.yml uses neither the plugin nor the Markdown extension: add '- mlplugin' "
            "under 'plugins:' (or 'mkdocs_mlplugin.markdown' under 'markdown_extensions:')."
        ]


def test_a_misspelled_plugin_name_is_a_usage_error_not_a_failed_check(pipeline: Repo) -> None:
    """Exit 1 means 'the docs are wrong'; a config MkDocs refuses means the check never ran."""
    pipeline.write("mkdocs.yml", "site_name: Typo\nplugins:\n  - mlplugn\n")
    pipeline.write("docs/index.md", "# Home\n")
    result = ml(pipeline, "check", "-f", "mkdocs.yml")
    assert no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("mkdocs-ml: ") and "mlplugn" in result.stderr


def test_a_mistyped_plugin_option_is_named_not_silently_ignored(pipeline: Repo) -> None:
    """`mkdocs build` warns about an unknown option; the check must say it too, and under
    --strict (where MkDocs refuses the config) it must say why it stops."""
    pipeline.site({"index.md": "# Home\n"}, plugin={"dvc_rot": "."})
    pipeline.commit("Docs")
    build = pipeline.build()
    assert "Unrecognised configuration name: dvc_rot" in build.output

    relaxed = ml(pipeline, "check", "-f", "mkdocs.yml")
    strict = ml(pipeline, "check", "-f", "mkdocs.yml", "--strict")

    assert relaxed.returncode == 0
    assert "dvc_rot" in relaxed.stdout + relaxed.stderr
    assert "dvc_rot" in strict.stdout + strict.stderr
    assert strict.returncode == 2


# ---------------------------------------------------------------------------- read-only


def test_check_and_manifest_write_nothing_and_render_no_site(pipeline: Repo) -> None:
    site_dir = pipeline.home / "would-be-site"
    pipeline.site(
        {"index.md": "# Home\n", "model.md": MODEL_CARD, "x.md": BROKEN},
        site_dir=str(site_dir),
    )
    pipeline.commit("Docs")
    before = snapshot(pipeline.path)

    results = [
        ml(pipeline, "check", "-f", "mkdocs.yml"),
        ml(pipeline, "check", "-f", "mkdocs.yml", "--strict", "--format", "json"),
        ml(pipeline, "check", "-f", "mkdocs.yml", "--format", "github"),
        ml(pipeline, "manifest", "-f", "mkdocs.yml"),
    ]

    assert [r.returncode for r in results] == [1, 1, 1, 0]
    assert snapshot(pipeline.path) == before, "no file in the repository (or .git) changed"
    assert not site_dir.exists(), "the check renders no HTML"
    assert not (pipeline.path / "site").exists()


# ---------------------------------------------------------------------------- pre-commit


def hook() -> dict[str, Any]:
    """The hook this repository publishes, read by pre-commit's own schema loader."""
    (published,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    return published


def test_the_published_pre_commit_hook_runs_the_installed_check() -> None:
    published = hook()
    assert published["id"] == "mkdocs-ml-check"
    assert published["language"] == "python"
    assert published["pass_filenames"] is False
    # a stage goes stale when any dep changes, source code included: the hook cannot be skipped
    assert published["always_run"] is True
    script, *command = shlex.split(published["entry"])
    assert command == ["check"]
    (console,) = entry_points(group="console_scripts", name=script)
    assert console.value == "mkdocs_mlplugin.cli:main"
    assert console.dist is not None and console.dist.name == "mkdocs-mlplugin"


def test_pre_commit_refuses_a_commit_with_a_broken_reference_and_accepts_the_fix(
    pipeline: Repo,
) -> None:
    """The published hook, run by real pre-commit from a real ``git commit``. The hook's
    settings come from .pre-commit-hooks.yaml; only the install differs (``language: system``
    with this environment's script, so the test does not build a virtualenv with DVC)."""
    published = hook()
    script, *command = shlex.split(published["entry"])
    local = {
        key: published[key]
        for key in ("id", "name", "pass_filenames", "always_run", "require_serial")
    }
    local |= {
        "entry": shlex.join([str(BIN / script), *command]),
        "language": "system",
        "args": ["-f", "docs-site/mkdocs.yml"],
    }
    pipeline.write(
        ".pre-commit-config.yaml",
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}, sort_keys=False),
    )
    pipeline.site({"index.md": "# Home\n"}, where="docs-site")
    pipeline.commit("Docs and pre-commit")
    pipeline.env["PRE_COMMIT_HOME"] = str(pipeline.home / "pre-commit-home")
    pipeline.run(sys.executable, "-m", "pre_commit", "install")
    head = pipeline.git("rev-parse", "HEAD")

    pipeline.write("docs-site/docs/run.md", "# Run\n\nRun {ml stage trian}.\n")
    pipeline.git("add", "docs-site/docs/run.md")
    refused = pipeline.run("git", "commit", "-m", "Broken page", check=False)

    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "mkdocs-ml check" in output and "Failed" in output
    assert (
        "docs/run.md:3: error: '{ml stage trian}': no stage 'trian'. Did you mean 'train'? "
        "[missing_reference]"
    ) in output
    assert pipeline.git("rev-parse", "HEAD") == head, "the commit was refused"

    pipeline.write("docs-site/docs/run.md", "# Run\n\nRun {ml stage train}.\n")
    pipeline.git("add", "docs-site/docs/run.md")
    accepted = pipeline.run("git", "commit", "-m", "Fixed page", check=False)

    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert re.search(r"mkdocs-ml check\.+Passed", accepted.stdout + accepted.stderr)
    assert pipeline.git("log", "-1", "--format=%s") == "Fixed page"


def test_information_is_shown_only_when_asked(pipeline: Repo) -> None:
    pipeline.site({"index.md": "# Home\n"})
    pipeline.commit("Docs")
    pipeline.write("docs/draft.md", "# Not committed yet\n")
    quiet = ml(pipeline, "check", "-f", "mkdocs.yml")
    verbose = ml(pipeline, "check", "-f", "mkdocs.yml", "-v")
    assert "info:" not in quiet.stdout
    assert "docs/draft.md: info: the page is not committed yet" in verbose.stdout
    assert quiet.returncode == verbose.returncode == 0


def test_collect_leaves_mkdocs_logging_as_it_found_it(pipeline: Repo, monkeypatch) -> None:
    """``collect`` quiets MkDocs' logger while it checks the pages; a host that calls it in its
    own process (a test runner, a script) then logs as before."""
    import logging

    from mkdocs_mlplugin.cli import collect

    for key, val in pipeline.env.items():
        if key.startswith(("GIT_", "DVC_")):
            monkeypatch.setenv(key, val)
    pipeline.site({"index.md": "# Home\n\n{ml param train.lr}\n"})
    mkdocs_log = logging.getLogger("mkdocs")
    before = (mkdocs_log.level, mkdocs_log.propagate, list(mkdocs_log.handlers))
    checked = collect(str(pipeline.path / "mkdocs.yml"))
    assert checked.graded == [] or all(grade != "error" for _, grade in checked.graded)
    assert (mkdocs_log.level, mkdocs_log.propagate, list(mkdocs_log.handlers)) == before
