"""Every bundled model: in sync with its Antimony source, valid with zero unit
warnings, annotated (SBO terms, references, sources, units), observables present."""

import libsbml
import pytest

from receptorkin.models import library, load_model, validate
from receptorkin.models.build import build_file

MODELS = library.available()


def test_all_nine_models_are_bundled():
    assert MODELS == list(library.MODEL_IDS)


@pytest.mark.parametrize("model_id", MODELS)
def test_sbml_is_in_sync_with_antimony(model_id):
    built = build_file(library.path_of(model_id, "ant"))
    committed = library.path_of(model_id).read_text(encoding="utf-8")
    assert built == committed, f"sbml/{model_id}.xml is stale: run 'make models'"


@pytest.mark.parametrize("model_id", MODELS)
def test_zero_errors_and_zero_unit_warnings(model_id):
    report = validate(library.path_of(model_id).read_text(encoding="utf-8"), name=model_id)
    assert report.errors == []
    assert report.unit_warnings == []


@pytest.mark.parametrize("model_id", MODELS)
def test_annotations(model_id):
    model = load_model(model_id)
    doc = libsbml.readSBMLFromString(model.sbml)
    m = doc.getModel()
    assert m.getNumReactions() > 0
    for r in m.getListOfReactions():
        assert r.isSetSBOTerm(), f"{model_id}: reaction {r.getId()} has no SBO term"
    assert model.references and all(r.uri.startswith("https://identifiers.org/") for r in model.references)
    assert all(r.citation for r in model.references)
    assert m.isSetTimeUnits() and m.isSetSubstanceUnits() and m.isSetExtentUnits()
    for el in model.elements:
        assert el.unit, f"{model_id}: {el.id} has no unit"
        assert el.source, f"{model_id}: {el.id} has no source"
    assert model.ligand in model.parameters
    assert model.observables and model.default_observable in model.observables
    for obs in model.observables:
        model.element(obs)
    assert len(model.description) > 100
