"""Validation with inference (``--inference``): what the entailed triples do to
the verdict, pinned. The support rule (``cks:TripleWithoutSupport``) names the
asserted triples no support backs; a reasoner's triples are backed by none, so
OWL RL's are reported, and RDFS's (types only: typing needs no support) are not.
README, Validating, says so."""

from __future__ import annotations

from collections import Counter

from clusterkg import validate

CKG = "https://w3id.org/clusterkg/ontology#"
RULE = "https://w3id.org/clusterkg/shapes#TripleWithoutSupport"


def test_rdfs_inference_adds_no_unsupported_triple():
    v = validate.validate_files(inference="rdfs")
    assert v.report.conforms
    assert [f.result for f in v.findings if f.result.source_shape == RULE] == []


def test_owl_rl_inference_adds_triples_that_no_support_names():
    v = validate.validate_files(inference="owlrl")
    assert not v.report.conforms
    assert {f.result.source_shape for f in v.findings if f.result.severity.endswith("Violation")} == {RULE}
    by_predicate = Counter(f.result.path for f in v.findings if f.result.source_shape == RULE)
    assert by_predicate == {
        "http://www.w3.org/2002/07/owl#sameAs": 227,  # every individual the same as itself
        CKG + "locatedIn": 20,  # a transitive property closed
        "http://www.w3.org/ns/org#siteOf": 7,  # inverses
        CKG + "participant": 4,
        CKG + "replaces": 2,
        CKG + "replacedBy": 2,
    }
