# title: Release or break the load lock
# description: Remove one claim on the load lock, but only if it still expires
#   when it did when it was read: the owner releasing its own lock, or another
#   loader breaking an expired one (a lock renewed meanwhile is left alone).
# parameters: <urn:clusterkg:param:owner> (IRI) and <urn:clusterkg:param:expires>
#   (xsd:dateTime literal), written by pyoxigraph.
PREFIX ckc: <https://w3id.org/clusterkg/catalogue#>

DELETE { GRAPH <https://w3id.org/clusterkg/catalogue/lock> { <urn:clusterkg:param:owner> ?p ?o } }
WHERE {
  GRAPH <https://w3id.org/clusterkg/catalogue/lock> {
    <urn:clusterkg:param:owner> ckc:expires <urn:clusterkg:param:expires> ; ?p ?o .
  }
}
