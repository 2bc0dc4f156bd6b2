"""The CLI's error contract and atomic writes (DESIGN §5: exit 2 for bad input, no traceback,
never a half-written file)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from engine import cli
from engine.atomic import atomic_dir, atomic_open, atomic_path
from engine.errors import UserInputError


def _fake_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    (tmp_path / "wy_fake_cmd.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("wy_fake_cmd", "wy_missing_module"))


FAKE = """
from engine.errors import UserInputError
def register(sub):
    p = sub.add_parser("boom")
    p.add_argument("--kind", choices=["user", "internal", "ok"], required=True)
    p.set_defaults(func=run)
def run(args):
    if args.kind == "user":
        raise UserInputError("expected a PNG image", path="in.png", line=3, field="file")
    if args.kind == "internal":
        raise RuntimeError("kaputt")
    return 0
"""


def test_user_error_exits_2_with_one_paragraph(tmp_path, monkeypatch, capsys) -> None:
    _fake_module(tmp_path, monkeypatch, FAKE)
    assert cli.main(["boom", "--kind", "user"]) == 2
    err = capsys.readouterr().err
    assert "in.png:3: file: expected a PNG image" in err
    assert "Traceback" not in err


def test_internal_error_exits_1(tmp_path, monkeypatch, capsys) -> None:
    _fake_module(tmp_path, monkeypatch, FAKE)
    assert cli.main(["boom", "--kind", "internal"]) == 1
    assert "internal error: kaputt" in capsys.readouterr().err


def test_success_and_bad_flags(tmp_path, monkeypatch) -> None:
    _fake_module(tmp_path, monkeypatch, FAKE)
    assert cli.main(["boom", "--kind", "ok"]) == 0
    with pytest.raises(SystemExit) as exc:
        cli.main(["boom", "--kind", "nonsense"])
    assert exc.value.code == 2


def test_real_parser_builds_with_every_registered_command() -> None:
    parser = cli.build_parser()
    assert isinstance(parser, argparse.ArgumentParser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"eval", "bench"} <= set(sub.choices)


def test_atomic_open_keeps_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with atomic_open(target) as fh:
        fh.write("new")
    assert target.read_text() == "new"


def test_atomic_file_gets_ordinary_permissions(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "p.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "p.txt").stat().st_mode & 0o777 == 0o644


def test_atomic_path_and_dir(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "a.bin") as tmp:
        tmp.write_bytes(b"x")
        assert not (tmp_path / "a.bin").exists()
    assert (tmp_path / "a.bin").read_bytes() == b"x"
    out = tmp_path / "db"
    with pytest.raises(ValueError), atomic_dir(out) as d:
        (d / "f").write_text("1")
        raise ValueError
    assert not out.exists()
    with atomic_dir(out) as d:
        (d / "f").write_text("2")
    with atomic_dir(out) as d:
        (d / "g").write_text("3")
    assert sorted(p.name for p in out.iterdir()) == ["g"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_user_input_error_formats() -> None:
    assert str(UserInputError("bad", field="--width")) == "--width: bad"
    assert str(UserInputError("bad", path="a.csv", line=4)) == "a.csv:4: bad"
