"""The README's terminal sessions, run as written.

Every `$ ` command in a ```console block runs in a shell, through the installed console
script, with stdout on a pseudo terminal 100 columns wide (as a person sees it), from one
scratch directory in README order (the first block's ingest makes the `demo` store the others
read). Its output must be what the README shows, times and rates aside.
`S3SLEUTH_REGEN_README=1 pytest tests/test_readme.py` rewrites the outputs (review the diff).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, missing, on_a_terminal

README = REPO / "README.md"
_BLOCK = re.compile(r"```console\n(.*?)```", re.S)
_TIMING = re.compile(r"in [0-9.]+ s \([0-9,]+ lines/s\)")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Example:
    command: str  # as the README shows it, continuation lines included
    output: str


def examples(text: str) -> list[list[Example]]:
    """The console blocks of `text`, each a list of command and output."""
    blocks = []
    for match in _BLOCK.finditer(text):
        block: list[Example] = []
        for line in match[1].splitlines():
            if line.startswith("$ "):
                block.append(Example(line[2:], ""))
            elif block and line.startswith("    ") and not block[-1].output:
                block[-1].command += "\n" + line
            elif block:
                block[-1].output += line + "\n"
        for example in block:
            example.output = example.output.rstrip("\n") + "\n"
        blocks.append(block)
    return blocks


def _clean(text: str) -> str:
    """What a terminal shows: no escape sequences, no carriage returns or trailing blanks."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def _normal(text: str) -> str:
    return _TIMING.sub("in T s (R lines/s)", _clean(text))


def _on_a_terminal(command: str, cwd: Path) -> str:
    bin_dir = str(Path(sys.executable).parent)  # where the console script is installed
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "COLUMNS": "100",
        "LINES": "50",
        "TERM": "xterm",
        "NO_COLOR": "1",
    }
    env.pop("S3SLEUTH_STORE", None)
    with (cwd / "stderr").open("w") as err:
        # no pipefail: `| head` may stop the writer early
        code, shown = on_a_terminal(["bash", "-c", command], env, cwd=cwd, stderr=err)
    assert code == 0, f"{command!r} exited {code}: {(cwd / 'stderr').read_text()}"
    return shown


def test_the_readme_sessions_print_what_they_show(tmp_path: Path) -> None:
    text = README.read_text()
    blocks = examples(text)
    assert len(blocks) >= 3 and all(blocks)
    for tool in {"jq", "cut", "head"} & set(re.findall(r"\| *(\w+)", text)):
        if shutil.which(tool) is None:
            missing(f"`{tool}`, which a README example pipes into", f"install {tool}")
    (tmp_path / "src").symlink_to(REPO / "src")  # the README runs from a clone's root
    regen = bool(os.environ.get("S3SLEUTH_REGEN_README"))
    for block in blocks:
        for example in block:
            printed = _clean(_on_a_terminal(example.command, tmp_path))
            if regen:
                example.output = printed
            else:
                assert _normal(printed) == _normal(example.output), example.command
    if regen:
        README.write_text(_rewrite(text, blocks))


def _rewrite(text: str, blocks: list[list[Example]]) -> str:
    """`text` with each console block's outputs replaced by what the run printed."""
    new = iter(
        "".join(f"$ {e.command}\n{e.output}\n" for e in block).rstrip("\n") + "\n"
        for block in blocks
    )
    return _BLOCK.sub(lambda m: f"```console\n{next(new)}```", text)


def test_examples_parse_commands_and_outputs() -> None:
    text = '```console\n$ s3sleuth query "SELECT 1,\n    2"\n┏━┓\n\n$ echo hi\nhi\n```\n'
    (block,) = examples(text)
    assert [e.command for e in block] == ['s3sleuth query "SELECT 1,\n    2"', "echo hi"]
    assert [e.output for e in block] == ["┏━┓\n", "hi\n"]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Ingested 9 files in 0.4 s (7,971 lines/s)\r\n", "Ingested 9 files in T s (R lines/s)\n"),
        ("\x1b[1mbold\x1b[0m  \r\n", "bold\n"),
    ],
)
def test_normal_form(raw: str, normal: str) -> None:
    assert _normal(raw) == normal
