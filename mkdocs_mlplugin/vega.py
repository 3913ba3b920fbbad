"""Vega-Lite drawn as SVG by vl-convert, in a child process: the one place that calls vl_convert.

Why a child: vl-convert runs Vega in an embedded JavaScript engine (V8), which costs about
65 MB of memory when it starts and grows with each drawing to about 110 MB, and keeps it for
as long as the process lives; a drawing cannot be interrupted, and a specification that asks
for too much (a custom template in .dvc/plots is the repository's own JavaScript-free but
unbounded Vega-Lite) can run for hours or end the process when V8 runs out of memory. In a
child, the build's own process stays small, the memory is given back when the drawing is
done (``Painter.close``), and a drawing that takes longer than its time is stopped by
ending the child: a PlotError, which the page shows as a finding.

The parent sends one specification per line (JSON) on the child's standard input; the
child answers one line, ``{"svg": ...}`` or ``{"error": ...}``. The child starts the engine
(a tiny drawing) before it says it is ready, so that a plot's time is its own drawing.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, cast

#: the Vega-Lite version the specifications are drawn with (DVC's templates are v5)
VEGA_LITE = "5.21"
_INK = "currentColor"  # the page's text colour: readable on Material's default and slate
#: the look of every plot: no background of its own, text and axes in the page's colour
CONFIG: dict[str, Any] = {
    "background": None,
    "view": {"stroke": _INK, "strokeOpacity": 0.25},
    "axis": {
        "labelColor": _INK,
        "titleColor": _INK,
        "domainColor": _INK,
        "tickColor": _INK,
        "gridColor": _INK,
        "gridOpacity": 0.15,
    },
    "legend": {"labelColor": _INK, "titleColor": _INK},
    "header": {"labelColor": _INK, "titleColor": _INK},
    "title": {"color": _INK, "subtitleColor": _INK},
    "style": {"guide-label": {"fill": _INK}, "guide-title": {"fill": _INK}},
}


class PlotError(Exception):
    """A plot that cannot be drawn: DVC's message when DVC cannot make its specification
    from its definition and data (a field not in the data, x and y of different lengths, a
    template without a data anchor), Vega's when Vega cannot draw it, or that its drawing
    was stopped (``Painter``)."""


#: seconds a plot may take to be drawn before it is stopped (the ``plots_timeout`` option)
TIMEOUT = 60.0
#: seconds the child may take to start (Python, vl-convert, the engine): no plot's doing
START_TIMEOUT = 120.0
_WARM_UP = {"data": {"values": [{"x": 0}]}, "mark": "point"}


class Painter:
    """A child process drawing Vega-Lite as SVG, started on the first ``draw`` and again
    after one that was stopped; ``close`` ends it. Used from one thread at a time."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self._child: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    def draw(self, vega_lite: dict[str, Any]) -> str:
        """VEGA_LITE drawn as an SVG document, as vl-convert draws it. PlotError with Vega's
        reason when it cannot be drawn, or when drawing it took longer than ``timeout``."""
        child = self._child or self._start()
        try:
            stdin = cast(IO[str], child.stdin)  # a pipe: subprocess.PIPE
            stdin.write(json.dumps(vega_lite, default=str) + "\n")
            stdin.flush()
        except OSError:
            pass  # the child has ended: the answer says so
        answer = self._answer(self.timeout)
        if answer is None:
            self.close()
            raise PlotError(
                f"drawing it took longer than {self.timeout:g} s (the plots_timeout option) "
                "and was stopped"
            )
        if "svg" in answer:
            return str(answer["svg"])
        raise PlotError(str(answer.get("error") or "vl-convert gave no reason"))

    def close(self) -> None:
        """End the child (its memory is given back); the next ``draw`` starts another."""
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    stream.close()

    def _start(self) -> subprocess.Popen[str]:
        # the child imports this copy of the package, wherever the build's came from
        package_parent = str(Path(__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, path]))}
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "mkdocs_mlplugin.vega"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                text=True,
                encoding="utf-8",
            )
        except OSError as exc:
            raise PlotError(f"vl-convert could not be started ({exc})") from None
        self._child, self._lines = child, queue.Queue()
        stdout = cast(IO[str], child.stdout)  # a pipe: subprocess.PIPE
        threading.Thread(target=_read_lines, args=(stdout, self._lines), daemon=True).start()
        ready = self._answer(START_TIMEOUT)
        if ready is None or not ready.get("ready"):
            self.close()
            raise PlotError(f"vl-convert could not be started ({_said(ready)})")
        return child

    def _answer(self, timeout: float) -> dict[str, Any] | None:
        """The child's next answer; None when it gave none within TIMEOUT seconds. An
        answer saying why when the child ended without one."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            child = self._child
            code = child.wait() if child is not None else None
            self.close()
            return {"error": f"the drawing process ended without an answer (exit status {code})"}
        try:
            answer = json.loads(line)
        except ValueError:
            answer = None
        return answer if isinstance(answer, dict) else {"error": "an unreadable answer"}


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _said(answer: dict[str, Any] | None) -> str:
    if answer is None:
        return f"no answer within {START_TIMEOUT:g} s"
    return str(answer.get("error") or "no answer")


def _vega_reason(exc: Exception) -> str:
    """What Vega said, from vl-convert's message (a JavaScript stack around an Error line)."""
    said = [line.strip() for line in str(exc).splitlines() if "Error:" in line]
    why = said[0].split("Error:", 1)[1].strip() if said else ""
    return f"Vega cannot draw it: {why or 'no reason given'}"


def main() -> None:
    """The child: draw each specification read from standard input, answer each on a line."""
    import vl_convert

    def draw(vega_lite: dict[str, Any]) -> str:
        return str(
            vl_convert.vegalite_to_svg(
                vega_lite, vl_version=VEGA_LITE, config=CONFIG, allowed_base_urls=[]
            )
        )

    out, sys.stdout = sys.stdout, sys.stderr  # standard output carries the answers alone
    draw(_WARM_UP)
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            answer = {"svg": draw(json.loads(line))}
        except ValueError as exc:  # Vega's own error, e.g. a template asking for a URL
            answer = {"error": _vega_reason(exc)}
        except Exception as exc:  # said to the build, which makes it a finding
            answer = {"error": f"vl-convert failed ({type(exc).__name__}: {exc})"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
