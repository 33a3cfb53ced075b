"""clusterkg why: the supports of one triple, through the API and the command line."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from clusterkg import project, why
from clusterkg.cli import main

CK, CKG, CKV = project.ID_NS, project.ONTOLOGY_NS, project.VOCAB_NS


def test_an_assumption_says_why_and_where(store):
    (sp,) = why.why(store, "ck:cap-digital", "ckg:city", "ck:paris")
    assert (sp.iri, sp.status, sp.source, sp.quote) == (CK + "support-cap-digital-city", CKV + "assumed", None, None)
    assert sp.comment.startswith("Neither text names Cap Digital's seat.")
    assert sp.file == project.DATA_DIR / "clusters.ttl"
    lines = sp.file.read_text(encoding="utf-8").splitlines()
    assert lines[sp.line - 1] == "ck:support-cap-digital-city a ckg:Support ;"


def test_a_stated_triple_gives_the_text_and_the_phrase(store):
    (sp,) = why.why(
        store, ox.NamedNode(CK + "redict"), ox.NamedNode(CKG + "initiatedBy"), ox.NamedNode(CK + "cap-digital")
    )
    assert (sp.status_words, sp.source, sp.source_title, sp.quote) == (
        "stated in the text",
        CK + "src-cap-digital",
        "Cap Digital",
        "Création de REDICT, réseau inter cluster européen",
    )


def test_full_iris_and_a_literal_object(store):
    found = why.why(store, CK + "cap-digital", f"<{CKG}foundingDate>", '"2006"^^xsd:gYear')
    assert [(s.iri, s.quote) for s in found] == [(CK + "support-cap-digital-founded", "Depuis sa création en 2006")]


def test_without_object_every_object_and_each_support(store):
    found = why.why(store, "ck:digital-113-launch", "ckg:date")
    assert sorted((s.status_words, s.source) for s in found) == [
        ("external source", CK + "src-touleco-digital-113"),
        ("external source", CK + "src-usine-digitale-digital-113"),
        ("stated in the text", CK + "src-digital-113-article"),
    ]
    assert {s.object for s in found} == {'"2019-02-05"^^<http://www.w3.org/2001/XMLSchema#date>'}


def test_an_announcement_names_its_event(store):
    (sp,) = why.why(store, "ck:digital-113", "org:hasSite", "ck:digital-113-antenna-mende")
    assert (sp.modality, sp.announced_at, sp.announced_date) == (
        CKV + "announced",
        CK + "digital-113-launch",
        "2019-02-05",
    )


def test_a_triple_not_in_the_graph(store):
    with pytest.raises(why.NotInGraph, match="the graph does not hold ck:paris ckg:twinnedWith ck:san-francisco"):
        why.why(store, "ck:paris", "ckg:twinnedWith", "ck:san-francisco")


def test_a_term_that_is_not_one(store):
    with pytest.raises(why.TermError, match="subject 'ck:' is not a term|subject 'nope:x' is not a term"):
        why.why(store, "nope:x", "ckg:city")


def test_the_command(capsys):
    assert main(["why", "ck:cap-digital", "org:memberOf", "ck:redict"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "ck:support-cap-digital-redict-member: editors' assumption"
    assert "  at: data/clusters.ttl:" in out
    assert main(["why", "ck:cap-digital", "ckg:foundingDate", '"2006"^^xsd:gYear']) == 0
    assert "  quote: « Depuis sa création en 2006 »" in capsys.readouterr().out


def test_the_command_exits_3_when_the_triple_is_absent(capsys):
    assert main(["why", "ck:paris", "ckg:twinnedWith", "ck:san-francisco"]) == 3
    assert capsys.readouterr().err.strip() == (
        "error: the graph does not hold ck:paris ckg:twinnedWith ck:san-francisco"
    )


def test_the_command_without_object_shows_each_object(capsys):
    assert main(["why", "ck:digital-113-launch", "ckg:date"]) == 0
    out = capsys.readouterr().out
    assert out.count('  object: "2019-02-05"^^xsd:date\n') == 3
