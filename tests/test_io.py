import pytest

from receptorkin.errors import OutputExistsError
from receptorkin.io import atomic_path, atomic_write_text, prepare_outdir


def test_atomic_write_refuses_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("user data")
    with pytest.raises(OutputExistsError, match="out.txt"):
        atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "user data"
    atomic_write_text(target, "new", force=True)
    assert target.read_text(encoding="utf-8") == "new"


def test_failed_write_leaves_original_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("original")
    with pytest.raises(RuntimeError):
        with atomic_path(target, force=True) as tmp:
            tmp.write_text("half")
            raise RuntimeError("writer crashed")
    assert target.read_text(encoding="utf-8") == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_outdir_needs_force_when_not_empty(tmp_path):
    out = tmp_path / "run"
    prepare_outdir(out)
    (out / "fit.json").write_text("{}")
    with pytest.raises(OutputExistsError, match="--force"):
        prepare_outdir(out)
    assert prepare_outdir(out, force=True) == out
    assert (out / "fit.json").read_text(encoding="utf-8") == "{}"
