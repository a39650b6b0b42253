"""SBML in and out: loading from every source, validation, unsupported constructs."""

import pytest

from conftest import BAD, DATA
from receptorkin.errors import ModelError, OutputExistsError, SBMLError
from receptorkin.models import load_model, validate
from receptorkin.models.build import unit_definition_parts, unit_id


def test_load_from_file_text_antimony_and_library():
    from_file = load_model(DATA / "simple.xml")
    from_text = load_model((DATA / "simple.xml").read_text(encoding="utf-8"))
    from_ant = load_model("model simple()\n compartment cell = 1\n species R in cell\n R = 100\n k_syn = 10; k_deg = 0.1\n J_syn: => R; k_syn\n J_deg: R => ; k_deg*R\nend\n")
    assert from_file.id == from_text.id == from_ant.id == "simple"
    assert from_file.parameters == from_ant.parameters == {"k_syn": 10.0, "k_deg": 0.1}
    bundled = load_model("trafficking")
    assert bundled.ligand == "ligand" and "surface_receptor" in bundled.observables


def test_malformed_xml_names_the_line():
    with pytest.raises(SBMLError, match=r"sbml_malformed.xml:\d+: error"):
        load_model(BAD / "sbml_malformed.xml")


def test_undefined_symbol_in_rate_law():
    with pytest.raises(SBMLError, match="k_missing"):
        load_model(BAD / "sbml_undefined_symbol.xml")


def test_algebraic_rule_is_refused_before_simulation():
    with pytest.raises(ModelError, match="algebraic rule"):
        load_model(BAD / "sbml_algebraic_rule.xml")


def test_delay_is_refused():
    with pytest.raises(ModelError, match="delay.*J_deg"):
        load_model(BAD / "sbml_delay.xml")


def test_species_without_initial_value():
    with pytest.raises(ModelError, match="species 'R' has no initial value"):
        load_model(BAD / "sbml_no_initial_value.xml")


def test_missing_path():
    with pytest.raises(ModelError, match="no such file"):
        load_model("models/does_not_exist.xml")


def test_url_is_not_downloaded():
    with pytest.raises(ModelError, match="URLs are not loaded"):
        load_model("https://www.ebi.ac.uk/biomodels/model.xml")


def test_unknown_bundled_id_suggests_closest():
    with pytest.raises(ModelError, match="did you mean 'gpcr_desensitization'"):
        load_model("gpcr_desensitisation")


def test_write_is_atomic_and_refuses_overwrite(tmp_path):
    model = load_model("trafficking")
    out = tmp_path / "m.xml"
    model.write(out)
    assert validate(out.read_text(encoding="utf-8")).ok
    before = out.read_text(encoding="utf-8")
    with pytest.raises(OutputExistsError):
        model.with_values({"k_on": 1.0}).write(out)
    assert out.read_text(encoding="utf-8") == before
    model.with_values({"k_on": 1.0}).write(out, force=True)
    assert load_model(out).parameters["k_on"] == 1.0


def test_with_values_returns_a_copy_and_keeps_annotations():
    model = load_model("trafficking")
    edited = model.with_values({"k_internalization": 0.3}, notes={"k_internalization": "fitted: 95% CI 0.2-0.4"})
    assert model.parameters["k_internalization"] == 0.15
    assert edited.parameters["k_internalization"] == 0.3
    assert edited.ligand == model.ligand and edited.observables == model.observables
    assert "fitted: 95% CI" in edited.element("k_internalization").source
    with pytest.raises(ModelError, match="did you mean 'k_on'"):
        model.with_values({"k_onn": 1.0})


@pytest.mark.parametrize("text,kinds,factor", [
    ("1/min", {"second": -1}, 1 / 60),
    ("nM", {"mole": 1, "litre": -1}, 1e-9),
    ("1/(nM*min)", {"mole": -1, "litre": 1, "second": -1}, 1 / (1e-9 * 60)),
    ("receptors/min", {"item": 1, "second": -1}, 1 / 60),
    ("nM^2", {"mole": 2, "litre": -2}, 1e-18),
    ("dimensionless", {}, 1.0),
])
def test_unit_strings_reduce_to_sbml_kinds(text, kinds, factor):
    got_kinds, got_factor = unit_definition_parts(text)
    assert got_kinds == kinds
    assert got_factor == pytest.approx(factor, rel=1e-12)
    assert unit_id(text).isidentifier()


def test_unknown_unit_is_named():
    with pytest.raises(ModelError, match="unknown unit 'parsec'"):
        unit_definition_parts("parsec/min")


def test_regression_libsedml_import_breaks_ast_get_type():
    """Importing libsedml (tellurium does, for SED-ML) makes libsbml's
    ASTNode.getType() return a SWIG pointer; delay detection must not rely on it."""
    import subprocess
    import sys

    code = ("import libsedml, receptorkin.models.sbml as s; from receptorkin.errors import ModelError\n"
            f"try:\n    s.load_model({str(BAD / 'sbml_delay.xml')!r})\nexcept ModelError as e:\n    print('refused', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("refused") and "delay" in out
